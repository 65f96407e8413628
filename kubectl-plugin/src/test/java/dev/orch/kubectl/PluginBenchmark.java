package dev.orch.kubectl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.KubeBinaries;
import dev.orch.localcluster.SharedCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * make bench-plugin (hack/bench-plugin.sh): hyperfine times the packaged kubectl-orch (its launcher, AppCDS archive
 * and all) running `list` and `info` against a local API server with 100 AgentServices, beside `kubectl get
 * agentservices` and the plugin's `--version` (the JVM's start-up alone), in one run. It prints figures and asserts
 * nothing about them; its name keeps it out of `make test`.
 */
class PluginBenchmark {
  private static final int SERVICES = 100;

  @Test
  void listAndInfoBesideKubectlGet() throws IOException, InterruptedException {
    String launcher = System.getProperty("orch.plugin.launcher");
    if (launcher == null) {
      throw new IllegalStateException("run through make bench-plugin, which passes -Dorch.plugin.launcher");
    }
    ClusterConnection cluster = SharedCluster.get();
    String namespace = "bench-plugin";
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
          .create();
      for (int i = 0; i < SERVICES; i++) {
        String name = String.format("agent-%03d", i);
        GenericKubernetesResource service = new GenericKubernetesResource();
        service.setApiVersion(Kind.API_VERSION);
        service.setKind("AgentService");
        service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        service.setAdditionalProperty("spec", Map.of("agent", "acme/" + name + "@1.0.0",
            "bundle", Map.of("configMap", Map.of("name", name + "-bundle")),
            "env", List.of(Map.of("name", "LOG_LEVEL", "value", "info")), "requiredSecrets", List.of("TOKEN")));
        GenericKubernetesResource created = Kind.AGENT_SERVICE.in(client).inNamespace(namespace).resource(service).create();
        created.setAdditionalProperty("status", Map.of("observedGeneration", 1, "state", "running", "health", "healthy",
            "restartCount", i % 7, "readyInstances", 1, "deployedAt", Instant.now().toString(),
            "url", "https://" + name + ".example.com",
            "conditions", OperatorStatus.conditions(true, "Available", "1 of 1 instances ready", false)));
        Kind.AGENT_SERVICE.in(client).inNamespace(namespace).resource(created).updateStatus();
      }
    }
    String kubeconfig = cluster.kubeconfig().toString();
    String kubectl = KubeBinaries.locate().path("kubectl").toString();
    String flags = " --kubeconfig " + kubeconfig + " -n " + namespace;
    Path results = Files.createTempFile("bench-plugin", ".json");
    List<String> command = new ArrayList<>(List.of("hyperfine", "--warmup", "3", "--runs",
        System.getProperty("orch.bench.runs", "20"), "--export-json", results.toString(), "--style", "basic",
        "-N",
        "-n", "kubectl get agentservices", kubectl + flags + " get agentservices",
        "-n", "kubectl orch list", launcher + flags + " list",
        "-n", "kubectl orch info", launcher + flags + " info agent-042",
        "-n", "kubectl orch --version (JVM start-up)", launcher + " --version"));
    System.out.println("bench-plugin: " + SERVICES + " AgentServices in namespace " + namespace + "; load average "
        + Files.readString(Path.of("/proc/loadavg")).strip());
    int exit = new ProcessBuilder(command).inheritIO().start().waitFor();
    if (exit != 0) {
      throw new IllegalStateException("hyperfine failed with exit code " + exit);
    }
    System.out.println("bench-plugin: wall time median (mean), CPU user + system per run:");
    for (JsonNode result : Serialization.jsonMapper().readTree(results.toFile()).get("results")) {
      System.out.printf(Locale.ROOT, "  %-40s %6.0f ms (%.0f ms)   CPU %4.0f ms%n", result.get("command").asText(),
          result.get("median").asDouble() * 1000, result.get("mean").asDouble() * 1000,
          (result.get("user").asDouble() + result.get("system").asDouble()) * 1000);
    }
  }
}
