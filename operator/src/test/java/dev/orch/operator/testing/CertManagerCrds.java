package dev.orch.operator.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import dev.orch.localcluster.KubeBinaries;
import dev.orch.localcluster.SharedCluster;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * cert-manager's own CRDs (from its Go module, by {@code hack/cert-manager-crds.sh}; {@code ORCH_CERT_MANAGER_CRDS}
 * names the directory when set), installed and removed so tests can play a cluster with and without cert-manager.
 * The test writes the Certificates' status as cert-manager's controller would, as the crash-loop tests play the kubelet.
 */
public final class CertManagerCrds {
  private CertManagerCrds() {
  }

  public static Path directory() {
    String fromEnv = System.getenv("ORCH_CERT_MANAGER_CRDS");
    return fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv) : KubeBinaries.buildWithScript("hack/cert-manager-crds.sh");
  }

  public static boolean served(KubernetesClient client) {
    try {
      APIResourceList resources = client.getApiResources("cert-manager.io/v1");
      return resources != null && resources.getResources().stream().anyMatch(r -> "certificates".equals(r.getName()));
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  public static void install(KubernetesClient client) {
    SharedCluster.installCrds(client, directory());
    await().atMost(Duration.ofSeconds(30)).until(() -> served(client));
  }

  public static void uninstall(KubernetesClient client) {
    for (CustomResourceDefinition crd : crds(client, directory())) {
      client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName()).delete();
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> !served(client));
  }

  private static List<CustomResourceDefinition> crds(KubernetesClient client, Path directory) {
    try (Stream<Path> files = Files.list(directory)) {
      return files.filter(p -> p.toString().endsWith(".yaml")).map(p -> {
        try (var in = Files.newInputStream(p)) {
          return client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
