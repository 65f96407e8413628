package dev.orch.operator.agentservice;

import java.util.stream.Stream;

import dev.orch.operator.agent.AgentPod;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;

/**
 * A service's own readiness and liveness probes on the gateway container, in place of the defaults
 * {@link AgentPod} gives every agent. Both ask the gateway's port: /health is the gateway's own answer (the agent's
 * status file), any other path is proxied to the agent, so an agent can publish its own readiness.
 */
final class GatewayProbes {
  private GatewayProbes() {
  }

  static void apply(PodTemplateSpec template, AgentServiceSpec.Probes probes) {
    if (probes == null) {
      return;
    }
    var pod = template.getSpec();
    Stream.concat(pod.getInitContainers().stream(), pod.getContainers().stream())
        .filter(c -> AgentPod.GATEWAY_CONTAINER.equals(c.getName())).findFirst().ifPresent(gateway -> {
          if (probes.readiness() != null) {
            gateway.setReadinessProbe(merged(gateway.getReadinessProbe(), probes.readiness(), true));
          }
          if (probes.liveness() != null) {
            gateway.setLivenessProbe(merged(gateway.getLivenessProbe(), probes.liveness(), false));
          }
        });
  }

  /** The default probe with what the spec sets; a liveness path turns the default TCP check into an HTTP one. */
  private static Probe merged(Probe defaults, AgentServiceSpec.Probe wanted, boolean readiness) {
    ProbeBuilder probe = new ProbeBuilder(defaults);
    if (wanted.path() != null) {
      probe.withTcpSocket(null).withNewHttpGet().withPath(wanted.path())
          .withPort(new IntOrString(AgentPod.GATEWAY_PORT)).endHttpGet();
    }
    if (wanted.periodSeconds() != null) {
      probe.withPeriodSeconds(wanted.periodSeconds());
    }
    if (wanted.timeoutSeconds() != null) {
      probe.withTimeoutSeconds(wanted.timeoutSeconds());
    }
    if (wanted.failureThreshold() != null) {
      probe.withFailureThreshold(wanted.failureThreshold());
    }
    // Kubernetes requires liveness probes to succeed once to count as passed.
    if (readiness && wanted.successThreshold() != null) {
      probe.withSuccessThreshold(wanted.successThreshold());
    }
    return probe.build();
  }
}
