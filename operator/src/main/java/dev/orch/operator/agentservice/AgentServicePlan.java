package dev.orch.operator.agentservice;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import dev.orch.operator.agent.AgentDeployment;
import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.agent.DependencyCache;
import dev.orch.operator.agentservice.tls.TlsRequest;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.OwnedMetadata;
import dev.orch.operator.core.reconcile.Plan;
import dev.orch.operator.core.reconcile.RestartRequest;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLSBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;

/**
 * The objects an AgentService should own, as a pure function of the resource, the secret names it uses and
 * the operator's settings. Tests call it without a cluster; the reconciler applies its result.
 */
public final class AgentServicePlan {
  static final int SERVICE_PORT = 80;
  static final int TARGET_CPU_PERCENT = 80;

  private AgentServicePlan() {
  }

  /**
   * @param bundleAnnotations the bundle's digest, so that an edit of its files rolls fresh pods
   * @param crashLoopPaused the crash-loop tracker paused the service: it runs no pods until restarted
   */
  public static Plan of(AgentService service, List<String> secretNames, Map<String, String> bundleAnnotations,
      boolean crashLoopPaused, OperatorSettings settings) {
    AgentServiceSpec spec = service.getSpec();
    boolean stopped = stopped(service, crashLoopPaused);
    return new Plan()
        .with(deployment(service, secretNames, bundleAnnotations, stopped, settings))
        .with(servesHttp(spec) ? service(service) : null)
        .with(publicHost(service, settings).map(host -> ingress(service, host, settings)).orElse(null))
        .with(autoscaled(spec) && !stopped ? autoscaler(service) : null)
        .with(spec.getMinInstances() > 1 && !stopped ? disruptionBudget(service) : null)
        .with(spec.getDependencyCache() == null ? null
            : DependencyCache.claim(OwnedMetadata.of(service, "agent"), spec.getDependencyCache()));
  }

  /** Without an http section an agent serves HTTP on the default port; http.enabled: false says it serves none. */
  static boolean servesHttp(AgentServiceSpec spec) {
    return spec.getHttp() == null || !Boolean.FALSE.equals(spec.getHttp().enabled());
  }

  static OptionalInt httpPort(AgentServiceSpec spec) {
    if (!servesHttp(spec)) {
      return OptionalInt.empty();
    }
    return OptionalInt.of(spec.getHttp() != null && spec.getHttp().port() != null ? spec.getHttp().port() : AgentPod.DEFAULT_HTTP_PORT);
  }

  /**
   * The spec's strategy, or at most one pod at a time for agents that serve no HTTP (a bot or a worker running
   * twice answers or works twice) and for one-instance services (a singleton by choice); a rolling update for
   * HTTP services that may run several instances, which must not drop requests. A canary's stable and canary
   * Deployments each roll ({@link dev.orch.operator.agentservice.rollout.CanaryRollout} holds the new template back).
   */
  static AgentDeployment.Rollout rollout(AgentServiceSpec spec) {
    AgentServiceSpec.RolloutStrategy chosen = spec.getRollout() == null ? null : spec.getRollout().strategy();
    if (chosen == null) {
      return !servesHttp(spec) || spec.getMaxInstances() == 1 ? AgentDeployment.Rollout.RECREATE : AgentDeployment.Rollout.ROLLING;
    }
    return chosen == AgentServiceSpec.RolloutStrategy.RECREATE ? AgentDeployment.Rollout.RECREATE : AgentDeployment.Rollout.ROLLING;
  }

  static boolean autoscaled(AgentServiceSpec spec) {
    return spec.getMaxInstances() > spec.getMinInstances();
  }

  /** Paused by the user, or auto-paused after a crash loop: no pods at all. */
  static boolean stopped(AgentService service, boolean crashLoopPaused) {
    return crashLoopPaused || Boolean.TRUE.equals(service.getSpec().getPaused());
  }

  /**
   * The ingress host: the resource's own, or NAME-NAMESPACE.BASE_DOMAIN when the operator has a base domain;
   * none for an agent that serves no HTTP.
   */
  static Optional<String> publicHost(AgentService service, OperatorSettings settings) {
    if (!servesHttp(service.getSpec())) {
      return Optional.empty();
    }
    if (service.getSpec().getIngress() != null) {
      return Optional.of(service.getSpec().getIngress().host());
    }
    return settings.baseDomain().map(domain -> service.getMetadata().getName() + "-" + service.getMetadata().getNamespace() + "." + domain);
  }

  /** The public URL users see in status, when the service is published. */
  static Optional<String> publicUrl(AgentService service, OperatorSettings settings) {
    AgentServiceSpec.Ingress ingress = service.getSpec().getIngress();
    boolean tls = tls(service, settings).isPresent();
    String path = ingress != null && ingress.path() != null && !ingress.path().equals("/") ? ingress.path() : "";
    return publicHost(service, settings).map(host -> (tls ? "https://" : "http://") + host + path);
  }

  /** The Service's in-cluster URL; none for an agent that serves no HTTP, which has no Service. */
  static Optional<String> internalUrl(AgentService service) {
    return servesHttp(service.getSpec())
        ? Optional.of("http://" + service.getMetadata().getName() + "." + service.getMetadata().getNamespace() + ".svc")
        : Optional.empty();
  }

  private static Deployment deployment(AgentService service, List<String> secretNames,
      Map<String, String> bundleAnnotations, boolean stopped, OperatorSettings settings) {
    AgentServiceSpec spec = service.getSpec();
    var workload = new AgentPod.Workload(Labels.of(service, "agent"),
        AgentPod.rollingAnnotations(RestartRequest.podAnnotations(service), bundleAnnotations), httpPort(spec),
        true, "Always", List.of());
    Integer replicas = stopped ? Integer.valueOf(0) : autoscaled(spec) ? null : spec.getMinInstances();
    var template = AgentPod.template(spec, secretNames, workload, settings);
    GatewayProbes.apply(template, spec.getProbes());
    if (spec.getDependencyCache() != null) {
      DependencyCache.mountInto(template, service.getMetadata().getName());
    }
    return AgentDeployment.of(OwnedMetadata.of(service, "agent"), Labels.selector(service), template, replicas, rollout(spec));
  }

  private static Service service(AgentService service) {
    return new ServiceBuilder()
        .withMetadata(OwnedMetadata.of(service, "agent"))
        .withNewSpec()
        .withSelector(Labels.selector(service))
        .addNewPort().withName("http").withPort(SERVICE_PORT).withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort()
        .endSpec()
        .build();
  }

  private static Ingress ingress(AgentService service, String host, OperatorSettings settings) {
    AgentServiceSpec.Ingress wanted = service.getSpec().getIngress();
    String path = wanted != null && wanted.path() != null ? wanted.path() : "/";
    IngressBuilder ingress = new IngressBuilder()
        .withMetadata(OwnedMetadata.of(service, "ingress"))
        .withNewSpec()
        .withIngressClassName(wanted == null ? null : wanted.className())
        .addNewRule().withHost(host).withNewHttp().addNewPath().withPath(path).withPathType("Prefix")
        .withNewBackend().withNewService().withName(service.getMetadata().getName()).withNewPort().withName("http")
        .endPort().endService().endBackend().endPath().endHttp().endRule()
        .endSpec();
    // The operator's own Certificate (TlsPlan) fills this Secret; no ingress-shim annotation asks for another one.
    tls(service, settings).ifPresent(tls -> ingress.editSpec()
        .withTls(new IngressTLSBuilder().withHosts(host).withSecretName(tls.secretName()).build()).endSpec());
    return ingress.build();
  }

  /** The certificate a published service asks for: its own TLS settings, or the operator's default cluster issuer. */
  public static Optional<TlsRequest> tls(AgentService service, OperatorSettings settings) {
    return publicHost(service, settings).flatMap(host -> TlsRequest.of(service, host, settings));
  }

  private static HorizontalPodAutoscaler autoscaler(AgentService service) {
    AgentServiceSpec spec = service.getSpec();
    return new HorizontalPodAutoscalerBuilder()
        .withMetadata(OwnedMetadata.of(service, "autoscaler"))
        .withNewSpec()
        .withNewScaleTargetRef().withApiVersion("apps/v1").withKind("Deployment").withName(service.getMetadata().getName()).endScaleTargetRef()
        .withMinReplicas(spec.getMinInstances())
        .withMaxReplicas(spec.getMaxInstances())
        .addNewMetric().withType("Resource").withNewResource().withName("cpu").withNewTarget()
        .withType("Utilization").withAverageUtilization(TARGET_CPU_PERCENT).endTarget().endResource().endMetric()
        .endSpec()
        .build();
  }

  private static PodDisruptionBudget disruptionBudget(AgentService service) {
    return new PodDisruptionBudgetBuilder()
        .withMetadata(OwnedMetadata.of(service, "disruption-budget"))
        .withNewSpec()
        .withMaxUnavailable(new IntOrString(1))
        .withNewSelector().withMatchLabels(Labels.selector(service)).endSelector()
        .endSpec()
        .build();
  }
}
