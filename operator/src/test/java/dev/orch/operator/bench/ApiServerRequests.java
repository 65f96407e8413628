package dev.orch.operator.bench;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The API server's own account of a phase, from its {@code /metrics}: requests and the time spent answering them,
 * by verb and resource. It shows what a figure is made of (which requests the API server was busy with), where
 * CPU time per process cannot.
 */
record ApiServerRequests(Map<String, Totals> byRequest) {
  private static final Pattern SAMPLE = Pattern.compile(
      "^apiserver_request_duration_seconds_(sum|count)\\{([^}]*)} ([0-9.e+-]+)$");
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  record Totals(double count, double seconds) {
    Totals minus(Totals earlier) {
      return new Totals(count - earlier.count, seconds - earlier.seconds);
    }
  }

  static ApiServerRequests snapshot(KubernetesClient admin) {
    Map<String, Totals> totals = new HashMap<>();
    for (String line : admin.raw("/metrics").split("\n")) {
      Matcher sample = SAMPLE.matcher(line);
      if (!sample.matches()) {
        continue;
      }
      Map<String, String> labels = new HashMap<>();
      Matcher label = LABEL.matcher(sample.group(2));
      while (label.find()) {
        labels.put(label.group(1), label.group(2));
      }
      String verb = labels.getOrDefault("verb", "");
      if (verb.equals("WATCH") || verb.equals("CONNECT")) {
        continue;
      }
      String subresource = labels.getOrDefault("subresource", "");
      String key = verb + " " + labels.getOrDefault("resource", "") + (subresource.isEmpty() ? "" : "/" + subresource);
      double value = Double.parseDouble(sample.group(3));
      totals.merge(key, sample.group(1).equals("sum") ? new Totals(0, value) : new Totals(value, 0),
          (a, b) -> new Totals(a.count + b.count, a.seconds + b.seconds));
    }
    return new ApiServerRequests(totals);
  }

  /** The requests since {@code earlier}, the most time-consuming first: "PATCH services 1,337 (706 s, 528 ms each)". */
  String since(ApiServerRequests earlier, int top) {
    Map<String, Totals> phase = new HashMap<>();
    byRequest.forEach((key, now) -> {
      Totals delta = now.minus(earlier.byRequest.getOrDefault(key, new Totals(0, 0)));
      if (delta.count >= 1) {
        phase.put(key, delta);
      }
    });
    double requests = phase.values().stream().mapToDouble(Totals::count).sum();
    return String.format("%,.0f requests; the longest in total:%n", requests) + phase.entrySet().stream()
        .sorted(Comparator.comparingDouble((Map.Entry<String, Totals> e) -> e.getValue().seconds).reversed())
        .limit(top)
        .map(e -> String.format("    %-36s %,7.0f  (%6.1f s, %5.0f ms each)", e.getKey(), e.getValue().count,
            e.getValue().seconds, 1000 * e.getValue().seconds / e.getValue().count))
        .collect(Collectors.joining("\n"));
  }
}
