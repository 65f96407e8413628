package dev.orch.localcluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.readiness.Readiness;

/**
 * The local node runs a pod (also one with a claim on {@link LocalVolumes}, as {@code make run} gives them), and stopping it leaves the host as it found it: no process, mount, bridge, nftables or
 * iptables rule left, and the kernel settings the kubelet and kube-proxy change restored.
 */
class LocalNodeIT {
  private static final List<String> HOST_SETTINGS = List.of("vm.overcommit_memory", "kernel.panic", "kernel.panic_on_oops",
      "net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables", "net.ipv4.conf.all.route_localnet",
      "net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_tcp_timeout_established");

  @Test
  void theNodeRunsAPodAndLeavesTheHostAsItFoundIt() throws Exception {
    Map<String, String> before = hostSettings();

    try (LocalControlPlane plane = LocalControlPlane.startWithNode(KubeBinaries.locate());
         KubernetesClient client = new KubernetesClientBuilder().withConfig(plane.adminConfig()).build()) {
      assertThat(plane.runsPods()).isTrue();
      Pod sandboxOnly = new PodBuilder().withNewMetadata().withName("pause").withNamespace("default").endMetadata()
          .withNewSpec().addNewContainer().withName("pause").withImage("localhost/orch-pause:1").withImagePullPolicy("Never")
          .endContainer().endSpec().build();
      client.resource(sandboxOnly).create();
      client.pods().inNamespace("default").withName("pause").waitUntilCondition(Readiness::isPodReady, 120, TimeUnit.SECONDS);
      assertThat(client.pods().inNamespace("default").withName("pause").get().getStatus().getPodIP()).startsWith("10.244.0.");

      // What `make run` gives its node: a claim that names no StorageClass binds to one of the local volumes.
      LocalVolumes.asDefault(client, Path.of("target", "local-volumes"), 2, "1Gi");
      client.resource(new PersistentVolumeClaimBuilder().withNewMetadata().withName("cache").withNamespace("default")
          .endMetadata().withNewSpec().withAccessModes("ReadWriteOnce").withNewResources()
          .addToRequests("storage", new Quantity("64Mi")).endResources().endSpec().build()).create();
      client.resource(new PodBuilder().withNewMetadata().withName("with-claim").withNamespace("default").endMetadata()
          .withNewSpec().addNewContainer().withName("pause").withImage("localhost/orch-pause:1").withImagePullPolicy("Never")
          .addNewVolumeMount().withName("cache").withMountPath("/cache").endVolumeMount().endContainer()
          .addNewVolume().withName("cache").withNewPersistentVolumeClaim().withClaimName("cache").endPersistentVolumeClaim()
          .endVolume().endSpec().build()).create();
      client.pods().inNamespace("default").withName("with-claim").waitUntilCondition(Readiness::isPodReady, 120, TimeUnit.SECONDS);
      assertThat(client.persistentVolumeClaims().inNamespace("default").withName("cache").get().getSpec().getStorageClassName())
          .isEqualTo(LocalVolumes.STORAGE_CLASS);
    }

    assertThat(hostSettings()).isEqualTo(before);
    Process check = new ProcessBuilder(KubeBinaries.repositoryRoot().resolve("hack/local-node.sh").toString(), "check")
        .redirectErrorStream(true).start();
    String leftBehind = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(leftBehind).as("hack/local-node.sh check").isEmpty();
    assertThat(check.exitValue()).isZero();
  }

  private static Map<String, String> hostSettings() throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    for (String name : HOST_SETTINGS) {
      Path file = Path.of("/proc/sys", name.replace('.', '/'));
      values.put(name, Files.exists(file) ? Files.readString(file).strip() : "(absent)");
    }
    return values;
  }
}
