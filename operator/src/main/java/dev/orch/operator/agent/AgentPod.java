package dev.orch.operator.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.orch.operator.core.config.OperatorSettings;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.CapabilitiesBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;

/**
 * Turns an agent template into a pod template: the one place that knows the pod's shape, shared by
 * AgentService, Swarm and Schedule.
 *
 * <p>Shape: a {@code prepare} init container (runner image, {@code orch-prepare}: fetch the bundle, install
 * dependencies into the {@code workspace} emptyDir, which lives as long as the pod, so a container restart
 * does not reinstall, and detect the entrypoint); the {@code gateway} sidecar owning :8080 ({@code orch-pod
 * gateway}, a native sidecar where the server supports it); and the {@code agent} container (runner image,
 * {@code orch-pod supervise} as PID 1: start the resolved command and supervise it). The supervisor keeps a
 * status file in the {@code status} emptyDir that the gateway reads for /health. With a dependency cache the agent
 * container runs prepare itself, first ({@link DependencyCache#prepareInAgentContainer}).
 * Every container meets the "restricted" Pod Security Standard.
 *
 * <p>Runner contract (environment): ORCH_AGENT, ORCH_BUNDLE_KIND (configmap|url|git|image), ORCH_BUNDLE_URL,
 * ORCH_BUNDLE_SHA256, ORCH_GIT_REPOSITORY, ORCH_GIT_REF, ORCH_GIT_PATH, ORCH_COMMAND and ORCH_ARGS (JSON
 * arrays), ORCH_SECRET_NAMES (comma-separated names whose values the runner masks in logs), ORCH_WORKSPACE,
 * ORCH_STATUS_DIR, and PORT and ORCHAGENT_HTTP_PORT for agents that serve HTTP.
 */
public final class AgentPod {
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String AGENT_CONTAINER = "agent";
  public static final String GATEWAY_CONTAINER = "gateway";
  public static final String PREPARE_CONTAINER = "prepare";
  /** Image bundles only: copies orch-pod from the gateway image into {@link #SUPERVISOR_DIR}. */
  public static final String SUPERVISOR_INSTALL_CONTAINER = "supervisor";
  static final String SUPERVISOR_DIR = "/orch/bin";
  public static final int GATEWAY_PORT = 8080;
  /** The agent's HTTP port when the resource names none. */
  public static final int DEFAULT_HTTP_PORT = 3000;
  public static final String WORKSPACE = "/orch/workspace";
  /** The volume at {@link #WORKSPACE}: an emptyDir, or the {@link DependencyCache}'s claim. */
  public static final String WORKSPACE_VOLUME = "workspace";
  public static final String STATUS_DIR = "/orch/status";
  static final String BUNDLE_SOURCE = "/orch/bundle-source";
  static final String GIT_CREDENTIALS = "/orch/git-credentials";
  static final long RUN_AS = 65532L;
  /** The runner image's init step (runner-image/image/orch-prepare, a JVM). */
  static final List<String> PREPARE_COMMAND = List.of("/usr/local/bin/orch-prepare");
  /** The agent container's PID 1 in the runner image (gateway-sidecar/, Rust). */
  static final List<String> SUPERVISOR_COMMAND = List.of("/usr/local/bin/orch-pod", "supervise");
  /** The supervisor's option that runs prepare in the agent container first (see {@link DependencyCache}). */
  static final String SUPERVISOR_PREPARE_OPTION = "--prepare-with";
  static final List<String> GATEWAY_COMMAND = List.of("/usr/local/bin/orch-pod", "gateway");
  static final String GATEWAY_MEMORY_REQUEST = "16Mi";
  static final String GATEWAY_MEMORY_LIMIT = "64Mi";

  private AgentPod() {
  }

  /**
   * What differs between the kinds that run agents.
   *
   * @param httpPort the app's port, exported as PORT and ORCHAGENT_HTTP_PORT; empty for an agent that serves no
   *     HTTP (the gateway still answers /health from the status file, and has nothing to proxy to)
   * @param withGateway services get the gateway; one-off runs do not
   * @param restartPolicy Always for services and swarms, Never for scheduled runs
   * @param extraEnv variables the kind adds (e.g. ORB_REPLICA_INDEX), placed before the user's env
   */
  public record Workload(Map<String, String> labels, Map<String, String> annotations, OptionalInt httpPort,
      boolean withGateway, String restartPolicy, List<io.fabric8.kubernetes.api.model.EnvVar> extraEnv) {
  }

  /** Pod-template annotations whose change rolls fresh pods: a restart request and the bundle's digest. */
  public static Map<String, String> rollingAnnotations(Map<String, String> restart, Map<String, String> bundle) {
    Map<String, String> annotations = new TreeMap<>(restart);
    annotations.putAll(bundle);
    return annotations;
  }

  public static PodTemplateSpec template(AgentTemplate agent, List<String> secretNames, Workload workload,
      OperatorSettings settings) {
    Bundle bundle = agent.getBundle();
    boolean prebuiltImage = bundle.image() != null;
    List<Volume> volumes = new ArrayList<>(List.of(
        emptyDir(WORKSPACE_VOLUME), emptyDir("status"), emptyDir("tmp")));
    List<VolumeMount> runnerMounts = new ArrayList<>(List.of(
        mount(WORKSPACE_VOLUME, WORKSPACE), mount("status", STATUS_DIR), mount("tmp", "/tmp")));
    if (bundle.configMap() != null) {
      volumes.add(new VolumeBuilder().withName("bundle-source").withNewConfigMap()
          .withName(bundle.configMap().name()).endConfigMap().build());
      runnerMounts.add(new VolumeMountBuilder().withName("bundle-source").withMountPath(BUNDLE_SOURCE).withReadOnly(true).build());
    }
    if (bundle.git() != null && bundle.git().credentialsSecret() != null) {
      volumes.add(new VolumeBuilder().withName("git-credentials").withNewSecret()
          .withSecretName(bundle.git().credentialsSecret()).withDefaultMode(0400).endSecret().build());
      runnerMounts.add(new VolumeMountBuilder().withName("git-credentials").withMountPath(GIT_CREDENTIALS).withReadOnly(true).build());
    }

    List<io.fabric8.kubernetes.api.model.EnvVar> env = runnerEnv(agent, secretNames, workload, settings.vaultSecretName());
    List<Container> initContainers = new ArrayList<>();
    List<Container> containers = new ArrayList<>();
    if (!prebuiltImage) {
      initContainers.add(new ContainerBuilder().withName(PREPARE_CONTAINER).withImage(settings.runnerImage())
          .withCommand(PREPARE_COMMAND).withEnv(env).withVolumeMounts(runnerMounts)
          .withSecurityContext(restricted()).withTerminationMessagePolicy("FallbackToLogsOnError")
          .withResources(agent.getResources()).build());
    }
    // An image bundle runs its command under the supervisor, copied in from the gateway image, so its pod gets
    // the status file, masking and signal handling of runner pods (the CRD requires the command: the operator
    // never reads images, so it cannot know their entrypoint).
    if (prebuiltImage) {
      volumes.add(emptyDir("orch-bin"));
      initContainers.add(new ContainerBuilder().withName(SUPERVISOR_INSTALL_CONTAINER).withImage(settings.gatewayImage())
          .withCommand(GATEWAY_COMMAND.get(0), "install", SUPERVISOR_DIR).withVolumeMounts(mount("orch-bin", SUPERVISOR_DIR))
          .withSecurityContext(restricted()).withTerminationMessagePolicy("FallbackToLogsOnError").build());
    }
    if (workload.withGateway()) {
      Container gateway = gateway(settings, workload.httpPort());
      if (settings.nativeSidecars()) {
        gateway.setRestartPolicy("Always");
        // First among init containers so /health answers (503, "preparing") while dependencies install.
        initContainers.add(0, gateway);
      } else {
        containers.add(gateway);
      }
    }
    ContainerBuilder agentContainer = new ContainerBuilder().withName(AGENT_CONTAINER).withEnv(env)
        .withVolumeMounts(runnerMounts).withSecurityContext(restricted()).withResources(agent.getResources())
        .withTerminationMessagePolicy("FallbackToLogsOnError");
    if (prebuiltImage) {
      List<String> command = new ArrayList<>(List.of(SUPERVISOR_DIR + "/orch-pod", "supervise", "--"));
      command.addAll(commandWords(agent.getCommand()));
      if (agent.getArgs() != null) {
        command.addAll(agent.getArgs());
      }
      agentContainer.withImage(bundle.image()).withCommand(command).addToVolumeMounts(
          new VolumeMountBuilder().withName("orch-bin").withMountPath(SUPERVISOR_DIR).withReadOnly(true).build());
    } else {
      agentContainer.withImage(settings.runnerImage()).withCommand(SUPERVISOR_COMMAND);
    }
    containers.add(0, agentContainer.build());

    Placement placement = agent.getPlacement();
    PodSpecBuilder pod = new PodSpecBuilder()
        .withInitContainers(initContainers)
        .withContainers(containers)
        .withVolumes(volumes)
        .withRestartPolicy(workload.restartPolicy())
        .withAutomountServiceAccountToken(false)
        .withEnableServiceLinks(false)
        .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(RUN_AS).withRunAsGroup(RUN_AS)
        .withFsGroup(RUN_AS).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().endSecurityContext();
    if (placement != null) {
      pod.withNodeSelector(placement.nodeSelector()).withTolerations(placement.tolerations())
          .withAffinity(placement.affinity());
    }
    return new PodTemplateSpecBuilder().withNewMetadata().withLabels(workload.labels())
        .withAnnotations(workload.annotations().isEmpty() ? null : workload.annotations()).endMetadata()
        .withSpec(pod.build()).build();
  }

  private static List<io.fabric8.kubernetes.api.model.EnvVar> runnerEnv(AgentTemplate agent, List<String> secretNames,
      Workload workload, String vaultName) {
    Bundle bundle = agent.getBundle();
    List<io.fabric8.kubernetes.api.model.EnvVar> env = new ArrayList<>();
    add(env, "ORCH_AGENT", agent.getAgent());
    add(env, "ORCH_BUNDLE_KIND", bundle.configMap() != null ? "configmap" : bundle.url() != null ? "url"
        : bundle.git() != null ? "git" : "image");
    add(env, "ORCH_BUNDLE_URL", bundle.url());
    add(env, "ORCH_BUNDLE_SHA256", bundle.sha256());
    if (bundle.git() != null) {
      add(env, "ORCH_GIT_REPOSITORY", bundle.git().repository());
      add(env, "ORCH_GIT_REF", bundle.git().ref());
      add(env, "ORCH_GIT_PATH", bundle.git().path());
    }
    add(env, "ORCH_COMMAND", jsonArray(commandWords(agent.getCommand())));
    add(env, "ORCH_ARGS", jsonArray(agent.getArgs()));
    add(env, "ORCH_SECRET_NAMES", secretNames.isEmpty() ? null : String.join(",", secretNames));
    add(env, "ORCH_WORKSPACE", WORKSPACE);
    add(env, "ORCH_STATUS_DIR", STATUS_DIR);
    add(env, "HOME", "/tmp");
    workload.httpPort().ifPresent(port -> {
      add(env, "PORT", Integer.toString(port));
      add(env, "ORCHAGENT_HTTP_PORT", Integer.toString(port));
    });
    env.addAll(workload.extraEnv());
    if (agent.getEnv() != null) {
      agent.getEnv().forEach(e -> add(env, e.name(), e.value() == null ? "" : e.value()));
    }
    // Values come from the vault Secret at pod start; they are never copied into an object we write.
    for (String name : secretNames) {
      env.add(new EnvVarBuilder().withName(name).withNewValueFrom().withNewSecretKeyRef()
          .withName(vaultName).withKey(name).endSecretKeyRef().endValueFrom().build());
    }
    return env;
  }

  /**
   * The command as argv: a single entry with spaces is split at them, as the hosted product's
   * {@code --command "python worker.py"} is (the CRD refuses quotes and backslashes in such an entry, so no
   * shell rules are needed); several entries are taken as they are.
   */
  static List<String> commandWords(List<String> command) {
    if (command == null || command.size() != 1 || !command.get(0).contains(" ")) {
      return command;
    }
    return List.of(command.get(0).strip().split(" +"));
  }

  private static Container gateway(OperatorSettings settings, OptionalInt httpPort) {
    Probe readiness = new ProbeBuilder().withNewHttpGet().withPath("/health").withPort(new IntOrString(GATEWAY_PORT))
        .endHttpGet().withPeriodSeconds(5).withTimeoutSeconds(2).withFailureThreshold(2).build();
    // Liveness checks only that the gateway itself answers: a dead agent is the supervisor's to report, and
    // restarting the gateway for it would not help.
    Probe liveness = new ProbeBuilder().withNewTcpSocket().withPort(new IntOrString(GATEWAY_PORT)).endTcpSocket()
        .withPeriodSeconds(10).withTimeoutSeconds(2).withFailureThreshold(3).build();
    List<io.fabric8.kubernetes.api.model.EnvVar> env = new ArrayList<>();
    httpPort.ifPresent(port -> add(env, "ORCHAGENT_HTTP_PORT", Integer.toString(port)));
    add(env, "ORCH_STATUS_DIR", STATUS_DIR);
    return new ContainerBuilder().withName(GATEWAY_CONTAINER).withImage(settings.gatewayImage())
        .withCommand(GATEWAY_COMMAND)
        .addNewPort().withName("http").withContainerPort(GATEWAY_PORT).withProtocol("TCP").endPort()
        .withEnv(env)
        .withReadinessProbe(readiness).withLivenessProbe(liveness)
        .withVolumeMounts(mount("status", STATUS_DIR), mount("tmp", "/tmp"))
        .withSecurityContext(restricted()).withTerminationMessagePolicy("FallbackToLogsOnError")
        // A few MiB idle; the limit covers its connection bound (ORCH_GATEWAY_MAX_CONNECTIONS), see README.
        .withNewResources().addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("10m"))
        .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity(GATEWAY_MEMORY_REQUEST))
        .addToLimits("memory", new io.fabric8.kubernetes.api.model.Quantity(GATEWAY_MEMORY_LIMIT)).endResources()
        .build();
  }

  private static SecurityContext restricted() {
    Capabilities dropAll = new CapabilitiesBuilder().withDrop("ALL").build();
    return new SecurityContextBuilder().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
        .withRunAsNonRoot(true).withCapabilities(dropAll)
        .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile().build();
  }

  private static Volume emptyDir(String name) {
    return new VolumeBuilder().withName(name).withNewEmptyDir().endEmptyDir().build();
  }

  private static VolumeMount mount(String volume, String path) {
    return new VolumeMountBuilder().withName(volume).withMountPath(path).build();
  }

  private static void add(List<io.fabric8.kubernetes.api.model.EnvVar> env, String name, String value) {
    if (value != null) {
      env.add(new EnvVarBuilder().withName(name).withValue(value).build());
    }
  }

  private static String jsonArray(List<String> values) {
    if (values == null || values.isEmpty()) {
      return null;
    }
    try {
      return JSON.writeValueAsString(values);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
