package dev.orch.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.orch.localcluster.SharedCluster;

/**
 * The CRDs committed in crds/ are what users and Helm install; the build regenerates them from the model
 * classes into target/crds. Any difference means someone changed the model without running `make crds`.
 */
class CrdDriftTest {
  private static final Path COMMITTED = SharedCluster.crdDirectory();
  private static final Path GENERATED = Path.of(System.getProperty("orch.generated.crds.dir", "target/crds"));

  @Test
  void committedCrdsMatchTheModel() throws IOException {
    List<String> generated = fileNames(GENERATED);
    assertThat(generated).as("CRDs generated from the model in %s", GENERATED).isNotEmpty();
    assertThat(fileNames(COMMITTED))
        .as("CRD files in crds/ differ from the model's; run `make crds` and commit crds/")
        .containsExactlyElementsOf(generated);
    for (String name : generated) {
      assertThat(Files.readString(COMMITTED.resolve(name)))
          .as("crds/%s is out of date with the model classes; run `make crds` and commit crds/", name)
          .isEqualTo(Files.readString(GENERATED.resolve(name)));
    }
  }

  private static List<String> fileNames(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).sorted().toList();
    }
  }
}
