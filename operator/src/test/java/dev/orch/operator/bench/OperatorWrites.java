package dev.orch.operator.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import dev.orch.localcluster.LocalControlPlane;

/**
 * The operator's writes in one namespace since a mark, from the local control plane's audit log (its policy logs
 * writes). Only requests from fabric8's user agent count: the controller manager keeps writing meanwhile.
 */
final class OperatorWrites {
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
    try (Stream<String> audit = Files.lines(auditLog)) {
      return audit.skip(mark).filter(l -> l.contains("\"namespace\":\"" + namespace + "\"")
          && l.contains("\"userAgent\":\"fabric8")).count();
    }
  }
}
