package dev.orch.operator.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.orch.operator.core.config.OperatorSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.VolumeMount;

/** The pod AgentPod writes, against the agent-pod contract the runner, supervisor and gateway are tested against too. */
class AgentPodContractTest {
  private static final Properties CONTRACT = contract();

  @Test
  void theAgentContainerGetsTheContractsEnvironmentMountsAndDefaultPort() {
    PodSpec pod = pod(new Bundle(null, "https://bundles.example.com/bot.tar.gz", "ab12", null, null));
    Container agent = container(pod, AgentPod.AGENT_CONTAINER);
    int port = number("port.agent-default");
    assertThat(AgentPod.DEFAULT_HTTP_PORT).isEqualTo(port);
    assertThat(env(agent)).containsEntry(value("env.workspace"), value("path.workspace"))
        .containsEntry(value("env.status-dir"), value("path.status-dir"))
        .containsEntry(value("env.secret-names"), "TOKEN,API_KEY")
        .containsEntry(value("env.http-port"), Integer.toString(port))
        .containsEntry(value("env.port"), Integer.toString(port))
        .containsKeys(value("env.agent"), value("env.bundle-kind"), value("env.bundle-url"), value("env.bundle-sha256"),
            value("env.command"), value("env.args"));
    assertThat(env(container(pod, AgentPod.PREPARE_CONTAINER))).isEqualTo(env(agent));
    assertThat(mountPaths(agent)).contains(value("path.workspace"), value("path.status-dir"));
  }

  @Test
  void theGatewayOwnsItsPortAndReadsTheStatusDirectory() {
    Container gateway = container(pod(new Bundle(null, "https://bundles.example.com/bot.tar.gz", null, null, null)),
        AgentPod.GATEWAY_CONTAINER);
    assertThat(AgentPod.GATEWAY_PORT).isEqualTo(number("port.gateway"));
    assertThat(gateway.getPorts()).singleElement().satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(number("port.gateway")));
    assertThat(gateway.getReadinessProbe().getHttpGet().getPort().getIntVal()).isEqualTo(number("port.gateway"));
    assertThat(env(gateway)).containsEntry(value("env.status-dir"), value("path.status-dir"))
        .containsEntry(value("env.http-port"), Integer.toString(number("port.agent-default")));
    assertThat(mountPaths(gateway)).contains(value("path.status-dir"));
  }

  @Test
  void bundleSourcesAreMountedWhereTheRunnerLooks() {
    PodSpec configMap = pod(new Bundle(new Bundle.ConfigMapSource("bot-bundle"), null, null, null, null));
    assertThat(mountPaths(container(configMap, AgentPod.PREPARE_CONTAINER))).contains(value("path.bundle-source"));
    PodSpec git = pod(new Bundle(null, null, null, new Bundle.GitSource("https://git.example.com/bot.git", "main",
        "agents/bot", "git-credentials"), null));
    Container prepare = container(git, AgentPod.PREPARE_CONTAINER);
    assertThat(mountPaths(prepare)).contains(value("path.git-credentials"));
    assertThat(env(prepare)).containsKeys(value("env.git-repository"), value("env.git-ref"), value("env.git-path"));
  }

  @Test
  void withADependencyCacheTheAgentContainersSupervisorRunsPrepareFirst() {
    PodSpec pod = pod(new Bundle(new Bundle.ConfigMapSource("bot-bundle"), null, null, null, null));
    Container prepare = container(pod, AgentPod.PREPARE_CONTAINER);
    DependencyCache.prepareInAgentContainer(pod);
    assertThat(pod.getInitContainers()).extracting(Container::getName).as("the gateway stays a native sidecar")
        .containsExactly(AgentPod.GATEWAY_CONTAINER);
    Container agent = container(pod, AgentPod.AGENT_CONTAINER);
    assertThat(agent.getCommand()).containsExactly("/usr/local/bin/orch-pod", "supervise",
        value("supervise.prepare-option"), "/usr/local/bin/orch-prepare");
    assertThat(prepare.getCommand()).containsExactly("/usr/local/bin/orch-prepare");
    assertThat(agent.getImage()).isEqualTo(prepare.getImage());
    assertThat(agent.getEnv()).isEqualTo(prepare.getEnv());
    assertThat(agent.getVolumeMounts()).isEqualTo(prepare.getVolumeMounts());
    assertThat(agent.getResources()).isEqualTo(prepare.getResources());
  }

  @Test
  void everyVariableTheContractNamesIsOneTheOperatorWrites() {
    Set<String> written = new HashSet<>();
    for (Bundle bundle : List.of(new Bundle(null, "https://bundles.example.com/bot.tar.gz", "ab12", null, null),
        new Bundle(null, null, null, new Bundle.GitSource("https://git.example.com/bot.git", "main", "agents/bot", null), null))) {
      written.addAll(env(container(pod(bundle), AgentPod.AGENT_CONTAINER)).keySet());
    }
    Set<String> named = CONTRACT.stringPropertyNames().stream().filter(k -> k.startsWith("env."))
        .map(CONTRACT::getProperty).collect(Collectors.toSet());
    assertThat(written).containsAll(named);
  }

  private static PodSpec pod(Bundle bundle) {
    AgentTemplate agent = new AgentTemplate();
    agent.setAgent("acme/bot");
    agent.setBundle(bundle);
    agent.setCommand(List.of("python main.py"));
    agent.setArgs(List.of("--verbose"));
    var workload = new AgentPod.Workload(Map.of(), Map.of(), OptionalInt.of(AgentPod.DEFAULT_HTTP_PORT), true, "Always",
        List.of());
    return AgentPod.template(agent, List.of("TOKEN", "API_KEY"), workload, OperatorSettings.defaults()).getSpec();
  }

  private static Container container(PodSpec pod, String name) {
    return Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream())
        .filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
  }

  private static Map<String, String> env(Container container) {
    return container.getEnv().stream().filter(e -> e.getValue() != null)
        .collect(Collectors.toMap(e -> e.getName(), e -> e.getValue()));
  }

  private static List<String> mountPaths(Container container) {
    return container.getVolumeMounts().stream().map(VolumeMount::getMountPath).toList();
  }

  private static int number(String key) {
    return Integer.parseInt(value(key));
  }

  private static String value(String key) {
    String value = CONTRACT.getProperty(key);
    assertThat(value).as("contract/agent-pod.properties has %s", key).isNotNull();
    return value;
  }

  /** The repository's contract file; tests run in the module's directory. */
  private static Properties contract() {
    Properties contract = new Properties();
    try (Reader in = Files.newBufferedReader(Path.of("..", "contract", "agent-pod.properties"))) {
      contract.load(in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read contract/agent-pod.properties: " + e.getMessage(), e);
    }
    return contract;
  }
}
