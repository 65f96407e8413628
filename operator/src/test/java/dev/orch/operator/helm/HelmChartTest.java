package dev.orch.operator.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.orch.localcluster.SharedCluster;
import dev.orch.operator.testing.Helm;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/** The chart without a cluster: lint, the CRD copy, what it renders for a few value sets, and what its schema refuses. */
class HelmChartTest {
  private static final Helm HELM = Helm.locate();
  private static final String CHART = Helm.chart().toString();
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  @Test
  void lintsCleanWithDefaultAndNonDefaultValues() {
    assertThat(HELM.ok(List.of("lint", "--strict", CHART))).contains("0 chart(s) failed");
    assertThat(HELM.ok(List.of("lint", "--strict", CHART, "--set", "replicaCount=2", "--set", "watchNamespaces={team-a}",
        "--set", "webhookIngress.enabled=true", "--set", "webhookIngress.host=hooks.example.com",
        "--set", "metrics.serviceMonitor.enabled=true"))).contains("0 chart(s) failed");
  }

  /** crds/ is the one source; the chart carries a copy because helm packages only files inside the chart. */
  @Test
  void chartCrdsAreExactlyTheGeneratedOnes() throws IOException {
    Path source = SharedCluster.crdDirectory();
    Path copy = Helm.chart().resolve("crds");
    assertThat(fileNames(copy)).as("helm/orch-operator/crds must hold the files of crds/; run `make crds`")
        .isEqualTo(fileNames(source));
    for (String name : fileNames(source)) {
      assertThat(Files.readString(copy.resolve(name))).as("helm/orch-operator/crds/%s differs from crds/%s; run `make crds`", name, name)
          .isEqualTo(Files.readString(source.resolve(name)));
    }
  }

  @Test
  void defaultsRenderOneLeaderElectedOperatorWithLeastPrivilege() {
    List<HasMetadata> objects = render();
    assertThat(objects).extracting(HasMetadata::getKind).containsExactlyInAnyOrder("ServiceAccount", "ClusterRole",
        "ClusterRole", "ClusterRoleBinding", "ClusterRoleBinding", "Role", "RoleBinding", "ClusterRole", "ClusterRole",
        "Service", "Service", "Deployment");

    Deployment deployment = one(objects, Deployment.class);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
    Container operator = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(operator.getImage()).isEqualTo("localhost/orch-operator:0.1.0");
    assertThat(env(operator)).containsEntry("ORCH_VAULT_SECRET_NAME", "orch-secrets")
        .containsEntry("ORCH_RUNNER_IMAGE", "localhost/orch-runner:0.1.0")
        .containsEntry("ORCH_GATEWAY_IMAGE", "localhost/orch-gateway:0.1.0")
        .containsEntry("ORCH_WEBHOOKS_REQUESTS_PER_MINUTE", "30")
        .containsEntry("ORCH_WEBHOOKS_MAX_BODY_BYTES", "65536")
        .containsEntry("ORCH_TLS_EXPIRY_WARNING", "168h")
        .doesNotContainKey("ORCH_WEBHOOKS_BASE_URL")
        .containsEntry("ORCH_LEADER_ELECTION_ENABLED", "true")
        .containsEntry("ORCH_LEADER_ELECTION_LEASE_NAME", "rel-orch-operator")
        .containsEntry("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "false")
        .containsEntry("ORCH_SLEEP_ACTIVATOR_SERVICE", "orch-system/rel-orch-operator-activator")
        .doesNotContainKeys("QUARKUS_OPERATOR_SDK_NAMESPACES", "ORCH_BASE_DOMAIN");
    assertThat(deployment.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("rel-orch-operator");

    assertNoWildcards(objects);
    ClusterRole operatorRole = named(objects, ClusterRole.class, "rel-orch-operator");
    assertThat(rulesFor(operatorRole.getRules(), "", "secrets")).as("Secrets: write-only, never read")
        .singleElement().satisfies(r -> assertThat(r.getVerbs()).containsExactly("create", "patch"));
    assertThat(rulesFor(operatorRole.getRules(), "", "pods")).singleElement()
        .satisfies(r -> assertThat(r.getVerbs()).containsExactly("get", "list", "watch"));
    assertThat(rulesFor(operatorRole.getRules(), "", "configmaps")).as("bundles: watched, and read by name").singleElement()
        .satisfies(r -> assertThat(r.getVerbs()).containsExactly("get", "list", "watch"));
    assertThat(rulesFor(operatorRole.getRules(), "cert-manager.io", "certificates")).as("TLS services' Certificates")
        .singleElement().satisfies(r -> assertThat(r.getVerbs()).containsExactly("get", "list", "watch", "create", "patch", "delete"));
    assertThat(rulesFor(operatorRole.getRules(), "cert-manager.io", "certificaterequests")).as("read: a missing issuer")
        .singleElement().satisfies(r -> assertThat(r.getVerbs()).containsExactly("get", "list", "watch"));
    assertThat(operatorRole.getRules()).filteredOn(r -> r.getApiGroups().contains("cert-manager.io"))
        .as("no issuers, orders or challenges").flatExtracting(PolicyRule::getResources)
        .containsExactlyInAnyOrder("certificates", "certificaterequests");
    assertThat(rulesFor(operatorRole.getRules(), "orch.dev", "agentservices/status")).singleElement()
        .satisfies(r -> assertThat(r.getVerbs()).containsExactly("patch"));
    assertThat(rulesFor(operatorRole.getRules(), "orch.dev", "agentservices")).as("read, and the activator's wake annotation")
        .extracting(PolicyRule::getVerbs).containsExactly(List.of("get", "list", "watch"), List.of("patch"));
    assertThat(rulesFor(operatorRole.getRules(), "discovery.k8s.io", "endpointslices")).as("sleeping Services' routes")
        .singleElement().satisfies(r -> assertThat(r.getVerbs()).containsExactly("get", "list", "watch", "create", "patch", "delete"));
    ClusterRole vault = named(objects, ClusterRole.class, "rel-orch-operator-vault");
    assertThat(vault.getRules()).singleElement().satisfies(r -> {
      assertThat(r.getResources()).containsExactly("secrets");
      assertThat(r.getResourceNames()).containsExactly("orch-secrets");
      assertThat(r.getVerbs()).containsExactly("get", "list", "watch");
    });
    assertThat(named(objects, ClusterRoleBinding.class, "rel-orch-operator").getRoleRef().getName()).isEqualTo("rel-orch-operator");
    Role lease = one(objects, Role.class);
    assertThat(lease.getMetadata().getNamespace()).isEqualTo("orch-system");
    assertThat(lease.getRules()).extracting(PolicyRule::getResourceNames, PolicyRule::getVerbs).containsExactly(
        org.assertj.core.groups.Tuple.tuple(List.of(), List.of("create")),
        org.assertj.core.groups.Tuple.tuple(List.of("rel-orch-operator"), List.of("get", "update", "patch")));

    assertThat(named(objects, ClusterRole.class, "rel-orch-operator-view").getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-view", "true");
    assertThat(named(objects, ClusterRole.class, "rel-orch-operator-edit").getMetadata().getLabels())
        .containsEntry("rbac.authorization.k8s.io/aggregate-to-edit", "true");
  }

  @Test
  void valuesReachTheOperatorAndWatchedNamespacesNarrowItsRights() {
    List<HasMetadata> objects = render("replicaCount=2", "vaultSecretName=team-vault", "baseDomain=agents.example.com",
        "runner.image=registry.example.com/orch-runner:1.2.3", "gateway.image=registry.example.com/orch-gateway:1.2.3",
        "watchNamespaces={team-a,team-b}", "image.tag=9.9.9", "rbac.aggregateToDefaultRoles=false", "logFormat=json");
    Deployment deployment = one(objects, Deployment.class);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
    Container operator = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(operator.getImage()).isEqualTo("localhost/orch-operator:9.9.9");
    assertThat(env(operator)).containsEntry("ORCH_VAULT_SECRET_NAME", "team-vault")
        .containsEntry("ORCH_BASE_DOMAIN", "agents.example.com")
        .containsEntry("ORCH_RUNNER_IMAGE", "registry.example.com/orch-runner:1.2.3")
        .containsEntry("ORCH_GATEWAY_IMAGE", "registry.example.com/orch-gateway:1.2.3")
        .containsEntry("QUARKUS_OPERATOR_SDK_NAMESPACES", "team-a,team-b")
        .containsEntry("QUARKUS_LOG_CONSOLE_JSON_ENABLED", "true");

    assertThat(objects.stream().filter(RoleBinding.class::isInstance).map(o -> o.getMetadata().getNamespace()))
        .as("the Lease's and the activator's addresses' in the release namespace")
        .containsExactlyInAnyOrder("team-a", "team-b", "orch-system", "orch-system");
    assertThat(objects.stream().filter(ClusterRoleBinding.class::isInstance).map(o -> o.getMetadata().getName()))
        .as("workload rights only in the watched namespaces; the vault watch stays cluster-wide")
        .containsExactly("rel-orch-operator-vault");
    assertThat(named(objects, ClusterRole.class, "rel-orch-operator-vault").getRules().get(0).getResourceNames())
        .containsExactly("team-vault");
    assertThat(objects).filteredOn(ClusterRole.class::isInstance).extracting(o -> o.getMetadata().getName())
        .containsExactlyInAnyOrder("rel-orch-operator", "rel-orch-operator-vault");
    assertNoWildcards(objects);
  }

  @Test
  void serviceMonitorAndWebhookIngressOnlyWhenAsked() {
    assertThat(render()).extracting(HasMetadata::getKind).doesNotContain("ServiceMonitor", "Ingress");
    List<HasMetadata> objects = render("metrics.serviceMonitor.enabled=true", "webhookIngress.enabled=true",
        "webhookIngress.host=hooks.example.com", "webhookIngress.tlsSecretName=hooks-tls", "webhookIngress.className=nginx");
    HasMetadata monitor = objects.stream().filter(o -> o.getKind().equals("ServiceMonitor")).findFirst().orElseThrow();
    assertThat(YAML.asYaml(monitor)).contains("path: \"/q/metrics\"", "port: \"http\"");
    assertThat(env(one(objects, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0)))
        .as("webhook URLs in status follow the ingress").containsEntry("ORCH_WEBHOOKS_BASE_URL", "https://hooks.example.com");
    Ingress ingress = one(objects, Ingress.class);
    assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("nginx");
    assertThat(ingress.getSpec().getTls()).singleElement().satisfies(t -> assertThat(t.getHosts()).containsExactly("hooks.example.com"));
    var rule = ingress.getSpec().getRules().get(0);
    assertThat(rule.getHost()).isEqualTo("hooks.example.com");
    assertThat(rule.getHttp().getPaths()).singleElement().satisfies(p -> {
      assertThat(p.getPath()).isEqualTo("/webhooks");
      assertThat(p.getBackend().getService().getName()).isEqualTo("rel-orch-operator");
    });
  }

  @ParameterizedTest(name = "{0} is refused")
  @CsvSource(delimiter = '|', value = {
      "replicaCount=3                                   | at '/replicaCount': maximum: got 3, want 2",
      "replicaCount=2,leaderElection.enabled=false       | at '/leaderElection/enabled': value must be true",
      "vaultSecretName=Orch_Secrets                      | at '/vaultSecretName': 'Orch_Secrets' does not match pattern",
      "webhookIngress.enabled=true                       | at '/webhookIngress/host'",
      "nativeSidecars=maybe                              | at '/nativeSidecars'",
      "logFormat=yaml                                    | at '/logFormat'",
      "webhooks.baseUrl=hooks.example.com                | at '/webhooks/baseUrl': 'hooks.example.com' does not match pattern",
      "crashLoop.stableAfter=ten minutes                 | at '/crashLoop/stableAfter'",
      "replicas=2                                        | additional properties 'replicas' not allowed",
      "serviceAccount.create=false                       | serviceAccount.name is required when serviceAccount.create is false"})
  void badValuesAreRefusedWithTheirPath(String values, String message) {
    List<String> args = new ArrayList<>(List.of("template", "rel", CHART));
    for (String value : values.split(",")) {
      args.add("--set");
      args.add(value);
    }
    Helm.Result result = HELM.run(args);
    assertThat(result.exitCode()).as(result.output()).isNotZero();
    assertThat(result.output()).contains(message);
  }

  private static List<HasMetadata> render(String... values) {
    List<String> args = new ArrayList<>(List.of("template", "rel", CHART, "--namespace", "orch-system"));
    for (String value : values) {
      args.add("--set");
      args.add(value);
    }
    String rendered = HELM.ok(args);
    return Arrays.stream(rendered.split("(?m)^---\\s*$"))
        .filter(doc -> doc.lines().anyMatch(l -> l.startsWith("kind:")))
        .map(doc -> (HasMetadata) YAML.unmarshal(doc))
        .toList();
  }

  /** No "*" anywhere in a rule: every group, resource and verb the operator gets is named. */
  private static void assertNoWildcards(List<HasMetadata> objects) {
    Stream.concat(objects.stream().filter(ClusterRole.class::isInstance).flatMap(r -> ((ClusterRole) r).getRules().stream()),
        objects.stream().filter(Role.class::isInstance).flatMap(r -> ((Role) r).getRules().stream()))
        .forEach(rule -> {
          assertThat(rule.getApiGroups()).doesNotContain("*");
          assertThat(rule.getResources()).isNotEmpty().doesNotContain("*").allSatisfy(r -> assertThat(r).doesNotContain("*"));
          assertThat(rule.getVerbs()).isNotEmpty().doesNotContain("*");
          assertThat(rule.getNonResourceURLs()).isNullOrEmpty();
        });
  }

  private static List<PolicyRule> rulesFor(List<PolicyRule> rules, String group, String resource) {
    return rules.stream().filter(r -> r.getApiGroups().contains(group) && r.getResources().contains(resource)).toList();
  }

  private static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type) {
    List<T> matching = objects.stream().filter(type::isInstance).map(type::cast).toList();
    assertThat(matching).as("rendered %s objects", type.getSimpleName()).hasSize(1);
    return matching.get(0);
  }

  private static <T extends HasMetadata> T named(List<HasMetadata> objects, Class<T> type, String name) {
    return objects.stream().filter(type::isInstance).map(type::cast).filter(o -> o.getMetadata().getName().equals(name))
        .findFirst().orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name + " rendered"));
  }

  private static Map<String, String> env(Container container) {
    return container.getEnv().stream().filter(e -> e.getValue() != null)
        .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
  }

  private static List<String> fileNames(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
