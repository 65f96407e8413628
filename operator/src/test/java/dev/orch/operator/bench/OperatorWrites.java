package dev.orch.operator.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.orch.localcluster.LocalControlPlane;

/**
 * The operator's writes in one namespace since a mark, from the local control plane's audit log (its policy logs
 * writes). Only requests from fabric8's user agent count: the controller manager keeps writing meanwhile, and
 * {@link #controllerManager} says what it wrote, since a pod it makes is news the operator writes to status.
 */
final class OperatorWrites {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FABRIC8 = "\"userAgent\":\"fabric8";

  private final Path auditLog;
  private final long mark;

  private OperatorWrites(Path auditLog, long mark) {
    this.auditLog = auditLog;
    this.mark = mark;
  }

  static OperatorWrites from(LocalControlPlane cluster) throws IOException {
    try (Stream<String> lines = Files.lines(cluster.auditLog())) {
      return new OperatorWrites(cluster.auditLog(), lines.count());
    }
  }

  long in(String namespace) throws IOException {
    return entries(namespace, FABRIC8).size();
  }

  /** The writes by verb, resource and subresource, e.g. {@code 3 × patch agentservices/status}; "none" when none. */
  String summary(String namespace) throws IOException {
    return summary(entries(namespace, FABRIC8));
  }

  String controllerManager(String namespace) throws IOException {
    return summary(entries(namespace, "\"userAgent\":\"kube-controller-manager"));
  }

  private static String summary(List<JsonNode> entries) {
    Map<String, Long> byKind = entries.stream().collect(Collectors.groupingBy(entry -> {
      JsonNode object = entry.path("objectRef");
      String subresource = object.path("subresource").asText();
      return entry.path("verb").asText() + " " + object.path("resource").asText() + (subresource.isEmpty() ? "" : "/" + subresource);
    }, TreeMap::new, Collectors.counting()));
    return byKind.isEmpty() ? "none"
        : byKind.entrySet().stream().map(e -> e.getValue() + " × " + e.getKey()).collect(Collectors.joining(", "));
  }

  private List<JsonNode> entries(String namespace, String userAgent) throws IOException {
    try (Stream<String> audit = Files.lines(auditLog)) {
      return audit.skip(mark).filter(l -> l.contains("\"namespace\":\"" + namespace + "\"") && l.contains(userAgent))
          .map(OperatorWrites::read).toList();
    }
  }

  private static JsonNode read(String line) {
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new UncheckedIOException("an audit log line is not JSON: " + line, e);
    }
  }
}
