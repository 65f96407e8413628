package dev.orch.kubectl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import dev.orch.localcluster.ClusterConnection;
import dev.orch.localcluster.KubeBinaries;
import dev.orch.localcluster.WithKubernetes;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * `kubectl orch deploy DIR` of every example writes what `kubectl apply --server-side -k DIR` writes (the bundle
 * ConfigMap's files and label, the resource's spec as stored with the CRD's defaults), apart from the field manager
 * and the ConfigMap's owner; and its --dry-run=client -o yaml output, applied with kubectl, gives the same again.
 */
@WithKubernetes
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeployExamplesTest {
  private final KubernetesClient client;
  private final ClusterConnection cluster;

  DeployExamplesTest(KubernetesClient client, ClusterConnection cluster) {
    this.client = client;
    this.cluster = cluster;
  }

  static Stream<Arguments> examples() {
    return Stream.of(
        Arguments.of("custom-entrypoint", Kind.AGENT_SERVICE, List.of("deploy", "--agent", "acme/my-agent@1.0.0",
            "--command", "python", "--arg", "start.py", "--arg", "--verbose", "--arg=--port=3000", "--port", "3000")),
        Arguments.of("daily-report", Kind.SCHEDULE, List.of("schedule", "deploy", "--cron", "0 9 * * 1-5", "--tz",
            "Europe/Berlin", "--run-timeout", "600", "--agent", "acme/daily-report@1.0.0", "--command",
            "python report.py", "--env", "STATS_URL=https://stats.example.com/yesterday.json", "--required-secret",
            "SLACK_WEBHOOK_URL")),
        Arguments.of("deploy-hook", Kind.SCHEDULE, List.of("schedule", "deploy", "--webhook", "--agent",
            "acme/cache-warmer@1.0.0", "--env", "SITE_URL=https://www.example.com", "--env", "WARM_PAGES=/,/pricing,/docs")),
        Arguments.of("discord-bot", Kind.AGENT_SERVICE, List.of("deploy", "--agent", "acme/discord-bot@1.0.0",
            "--no-http", "--env", "BOT_PREFIX=!", "--env", "LOG_LEVEL=INFO")),
        Arguments.of("hello-http", Kind.AGENT_SERVICE, List.of("deploy", "--agent", "acme/hello-http@1.0.0", "--env",
            "GREETING=hello from orch-operator", "--required-secret", "HELLO_TOKEN", "--port", "3000")),
        Arguments.of("issue-shards", Kind.SWARM, List.of("swarm", "deploy", "--replicas", "10", "--max-failed-replicas",
            "2", "--agent", "acme/issue-reviewer@1.0.0", "--env", "GITHUB_REPOSITORY=acme/widgets", "--required-secret",
            "GITHUB_TOKEN")),
        Arguments.of("queue-worker", Kind.AGENT_SERVICE, List.of("deploy", "--agent", "acme/queue-worker@1.0.0",
            "--no-http", "--command", "python worker.py", "--env", "QUEUE_NAME=tasks", "--env", "CONCURRENCY=4",
            "--required-secret", "REDIS_URL")),
        Arguments.of("telegram-webhook", Kind.AGENT_SERVICE, List.of("deploy", "--agent", "acme/telegram-webhook@1.0.0",
            "--min-instances", "2", "--max-instances", "4", "--port", "3000", "--ingress", "telegram.example.com/webhook",
            "--tls-issuer", "letsencrypt")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examples")
  void deployOfAnExampleDirectoryWritesWhatKubectlApplyKustomizeWrites(String example, Kind kind, List<String> flags) {
    Path directory = KubeBinaries.repositoryRoot().resolve("examples").resolve(example);
    String byKubectl = namespace(example + "-k");
    String byPlugin = namespace(example + "-p");
    String fromDryRun = namespace(example + "-d");
    Kubectl.run(cluster.kubeconfig(), null, "apply", "--server-side", "-n", byKubectl, "-k", directory.toString());

    Cli.Result deployed = new Cli(cluster.kubeconfig(), byPlugin).run(args(flags, directory));
    assertThat(deployed.exitCode()).as(deployed.toString()).isZero();
    assertThat(deployed.out()).contains(kind.lowerCase() + "/" + example + " deployed with bundle configmap/" + example
        + "-bundle");

    Cli.Result dryRun = new Cli(cluster.kubeconfig(), fromDryRun).run(args(flags, directory, "--dry-run=client", "-o", "yaml"));
    assertThat(dryRun.exitCode()).as(dryRun.toString()).isZero();
    assertThat(kind.in(client).inNamespace(fromDryRun).list().getItems()).as("a dry run writes nothing").isEmpty();
    Kubectl.run(cluster.kubeconfig(), dryRun.out(), "apply", "--server-side", "-f", "-");

    GenericKubernetesResource expected = kind.in(client).inNamespace(byKubectl).withName(example).get();
    ConfigMap expectedBundle = client.configMaps().inNamespace(byKubectl).withName(example + "-bundle").get();
    for (String namespace : List.of(byPlugin, fromDryRun)) {
      GenericKubernetesResource resource = kind.in(client).inNamespace(namespace).withName(example).get();
      ConfigMap bundle = client.configMaps().inNamespace(namespace).withName(example + "-bundle").get();
      assertThat(Fields.get(resource, "spec")).as(namespace).isEqualTo(Fields.get(expected, "spec"));
      assertThat(resource.getMetadata().getLabels()).isEqualTo(expected.getMetadata().getLabels());
      assertThat(resource.getMetadata().getAnnotations()).isEqualTo(expected.getMetadata().getAnnotations());
      assertThat(bundle.getData()).isEqualTo(expectedBundle.getData());
      assertThat(bundle.getBinaryData()).isEqualTo(expectedBundle.getBinaryData());
      assertThat(bundle.getMetadata().getLabels()).isEqualTo(Map.of("orch.dev/bundle", "true"))
          .isEqualTo(expectedBundle.getMetadata().getLabels());
    }

    GenericKubernetesResource resource = kind.in(client).inNamespace(byPlugin).withName(example).get();
    ConfigMap bundle = client.configMaps().inNamespace(byPlugin).withName(example + "-bundle").get();
    assertThat(resource.getMetadata().getManagedFields()).extracting(ManagedFieldsEntry::getManager,
        ManagedFieldsEntry::getOperation).containsExactly(tuple("kubectl-orch", "Apply"));
    assertThat(bundle.getMetadata().getManagedFields()).extracting(ManagedFieldsEntry::getManager)
        .containsOnly("kubectl-orch");
    assertThat(bundle.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
      assertThat(owner.getKind()).isEqualTo(kind.kind());
      assertThat(owner.getName()).isEqualTo(example);
      assertThat(owner.getUid()).isEqualTo(resource.getMetadata().getUid());
    });
    assertThat(client.configMaps().inNamespace(fromDryRun).withName(example + "-bundle").get().getMetadata()
        .getOwnerReferences()).as("no owner in the dry run's output: it needs a live UID").isEmpty();
  }

  private static String[] args(List<String> flags, Path directory, String... more) {
    return Stream.of(flags.stream(), Stream.of(directory.toString()), Stream.of(more)).flatMap(s -> s)
        .toArray(String[]::new);
  }

  private String namespace(String name) {
    String namespace = client.getNamespace() + "-" + name;
    client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
        .create();
    return namespace;
  }
}
