package dev.orch.runner;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replaces secret values with {@value #REDACTED}. Values are tried longest first at every position, so a
 * secret that contains another is masked whole. A multi-line value (a PEM key, say) is masked line by
 * line, because output is masked one line at a time.
 */
final class SecretMasker {
  static final String REDACTED = "[REDACTED]";
  private final List<String> values;

  SecretMasker(Collection<String> secretValues) {
    Set<String> unique = new LinkedHashSet<>();
    for (String value : secretValues) {
      for (String line : value.split("\r?\n")) {
        if (!line.isEmpty()) {
          unique.add(line);
        }
      }
    }
    List<String> sorted = new ArrayList<>(unique);
    sorted.sort(Comparator.comparingInt(String::length).reversed());
    this.values = List.copyOf(sorted);
  }

  /** The values of the variables ORCH_SECRET_NAMES lists (comma-separated); unset names are skipped. */
  static List<String> valuesOf(Map<String, String> env) {
    List<String> secretValues = new ArrayList<>();
    for (String name : env.getOrDefault("ORCH_SECRET_NAMES", "").split(",")) {
      String value = name.isBlank() ? null : env.get(name.strip());
      if (value != null) {
        secretValues.add(value);
      }
    }
    return secretValues;
  }

  int longest() {
    return values.isEmpty() ? 0 : values.get(0).length();
  }

  String mask(CharSequence text) {
    if (values.isEmpty()) {
      return text.toString();
    }
    StringBuilder out = new StringBuilder(text.length());
    int i = 0;
    while (i < text.length()) {
      int end = matchEnd(text, i);
      if (end > i) {
        out.append(REDACTED);
        i = end;
      } else {
        out.append(text.charAt(i++));
      }
    }
    return out.toString();
  }

  /**
   * Where text may be cut so that masking the two parts separately equals masking the whole: {@code cut}
   * itself, or the end of a secret occurrence that straddles it.
   */
  int safeCut(CharSequence text, int cut) {
    int i = 0;
    while (i < cut) {
      int end = matchEnd(text, i);
      if (end > i) {
        if (end > cut) {
          return end;
        }
        i = end;
      } else {
        i++;
      }
    }
    return cut;
  }

  private int matchEnd(CharSequence text, int at) {
    for (String value : values) {
      if (at + value.length() <= text.length() && regionMatches(text, at, value)) {
        return at + value.length();
      }
    }
    return at;
  }

  private static boolean regionMatches(CharSequence text, int at, String value) {
    for (int j = 0; j < value.length(); j++) {
      if (text.charAt(at + j) != value.charAt(j)) {
        return false;
      }
    }
    return true;
  }
}
