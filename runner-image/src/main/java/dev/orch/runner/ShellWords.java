package dev.orch.runner;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a manifest's command string into argv the way a POSIX shell would for plain words, single and
 * double quotes and backslash escapes, without running a shell (no expansion, no injection).
 */
final class ShellWords {
  private ShellWords() {
  }

  static List<String> split(String command) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < command.length(); i++) {
      char c = command.charAt(i);
      if (quote == '\'') {
        if (c == '\'') {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\\' && i + 1 < command.length() && (quote == 0 || "\"\\$`".indexOf(command.charAt(i + 1)) >= 0)) {
        word.append(command.charAt(++i));
        inWord = true;
      } else if (quote == '"') {
        if (c == '"') {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (quote != 0) {
      throw new IllegalArgumentException("unbalanced " + quote + " quote in command: " + command);
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
