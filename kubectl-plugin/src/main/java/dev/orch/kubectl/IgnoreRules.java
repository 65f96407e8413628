package dev.orch.kubectl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What `.gitignore` and `.orchignore` at the top of an agent's directory leave out of its bundle, in gitignore's
 * syntax: `#` comments, `!` to take a path back, a trailing `/` for directories only, a `/` elsewhere anchoring the
 * pattern at the top, and `*`, `?`, `**` wildcards. The last matching line wins.
 */
public final class IgnoreRules {
  public static final List<String> FILES = List.of(".gitignore", ".orchignore");

  private record Rule(Pattern pattern, boolean negated, boolean directoriesOnly) {
  }

  private final List<Rule> rules;

  private IgnoreRules(List<Rule> rules) {
    this.rules = rules;
  }

  public static IgnoreRules read(Path directory) throws IOException {
    List<String> lines = new ArrayList<>();
    for (String file : FILES) {
      Path path = directory.resolve(file);
      if (Files.isRegularFile(path)) {
        lines.addAll(Files.readAllLines(path));
      }
    }
    return parse(lines);
  }

  static IgnoreRules parse(List<String> lines) {
    List<Rule> rules = new ArrayList<>();
    for (String raw : lines) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      boolean negated = line.startsWith("!");
      if (negated) {
        line = line.substring(1);
      }
      boolean directoriesOnly = line.endsWith("/");
      if (directoriesOnly) {
        line = line.substring(0, line.length() - 1);
      }
      boolean anchored = line.contains("/");
      if (line.startsWith("/")) {
        line = line.substring(1);
      }
      if (line.isEmpty()) {
        continue;
      }
      String regex = (anchored ? "" : "(?:.*/)?") + globToRegex(line);
      rules.add(new Rule(Pattern.compile(regex), negated, directoriesOnly));
    }
    return new IgnoreRules(rules);
  }

  private static String globToRegex(String glob) {
    StringBuilder regex = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char c = glob.charAt(i);
      if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
        boolean slashFollows = i + 2 < glob.length() && glob.charAt(i + 2) == '/';
        regex.append(slashFollows ? "(?:.*/)?" : ".*");
        i += slashFollows ? 2 : 1;
      } else if (c == '*') {
        regex.append("[^/]*");
      } else if (c == '?') {
        regex.append("[^/]");
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return regex.toString();
  }

  /** Whether the path (relative, with '/' separators) is left out. */
  public boolean ignores(String relativePath, boolean directory) {
    boolean ignored = false;
    for (Rule rule : rules) {
      if ((!rule.directoriesOnly || directory) && rule.pattern.matcher(relativePath).matches()) {
        ignored = !rule.negated;
      }
    }
    return ignored;
  }
}
