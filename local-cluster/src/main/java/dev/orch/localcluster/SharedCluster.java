package dev.orch.localcluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * The one cluster a test JVM uses, started on first use with the CRDs from {@code crds/} installed, and
 * stopped when the JVM exits. Shared by the JUnit extension and by anything else in the same JVM (for
 * example a Quarkus test resource) so that only one control plane ever runs.
 */
public final class SharedCluster {
  private static final Duration CRD_ESTABLISHED_TIMEOUT = Duration.ofSeconds(60);
  private static ClusterConnection cluster;

  private SharedCluster() {
  }

  public static synchronized ClusterConnection get() {
    if (cluster == null) {
      ClusterConnection started = Clusters.fromEnvironment();
      Runtime.getRuntime().addShutdownHook(new Thread(started::close, "shared-cluster-shutdown"));
      try (KubernetesClient client = new KubernetesClientBuilder().withConfig(started.adminConfig()).build()) {
        installCrds(client, crdDirectory());
      } catch (RuntimeException e) {
        started.close();
        throw e;
      }
      System.out.println("[orch-local-cluster] using " + started.describe());
      cluster = started;
    }
    return cluster;
  }

  /** {@code orch.crds.dir} when the build sets it, else {@code crds/} at the checkout's root. */
  public static Path crdDirectory() {
    String configured = System.getProperty("orch.crds.dir");
    return configured != null ? Path.of(configured) : KubeBinaries.repositoryRoot().resolve("crds");
  }

  /** Server-side applies every CRD file in the directory and waits until each is Established. */
  public static void installCrds(KubernetesClient client, Path directory) {
    List<Path> files;
    try (Stream<Path> listing = Files.list(directory)) {
      files = listing.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list CRDs in " + directory + "; run `make crds` to generate them", e);
    }
    if (files.isEmpty()) {
      throw new IllegalStateException("no CRDs in " + directory + "; run `make crds` to generate them");
    }
    for (Path file : files) {
      CustomResourceDefinition crd;
      try (var in = Files.newInputStream(file)) {
        crd = client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      client.apiextensions().v1().customResourceDefinitions().resource(crd)
          .forceConflicts().fieldManager("orch-tests").serverSideApply();
      client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
          .waitUntilCondition(SharedCluster::established, CRD_ESTABLISHED_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  private static boolean established(CustomResourceDefinition crd) {
    return crd != null && crd.getStatus() != null && crd.getStatus().getConditions() != null
        && crd.getStatus().getConditions().stream()
        .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
  }
}
