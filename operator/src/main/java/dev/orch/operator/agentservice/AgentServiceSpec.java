package dev.orch.operator.agentservice;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.orch.operator.agent.AgentTemplate;
import dev.orch.operator.agent.DependencyCacheSpec;
import dev.orch.operator.sleep.SleepSpec;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.minInstances <= self.maxInstances",
    message = "minInstances must not exceed maxInstances; raise maxInstances or lower minInstances")
@ValidationRule(
    value = "!has(self.ingress) || !has(self.http) || self.http.enabled",
    fieldPath = ".ingress",
    message = "an ingress routes to the agent's HTTP port, but http.enabled is false; remove ingress, or set"
        + " http.enabled: true and http.port to the port the agent listens on")
@ValidationRule(
    value = "!has(self.rollout) || !has(self.rollout.strategy) || self.rollout.strategy != 'canary'"
        + " || !has(self.http) || self.http.enabled",
    fieldPath = ".rollout.strategy",
    message = "a canary runs the old and the new version side by side and weighs the HTTP traffic between them, but"
        + " http.enabled is false: an agent that serves no HTTP takes no traffic to weigh, and two copies of a bot"
        + " answer twice; use strategy: recreate (or rolling)")
@ValidationRule(
    value = "!has(self.autoUpdate) || (self.autoUpdate.source == 'git') == has(self.bundle.git)"
        + " && (self.autoUpdate.source == 'url') == has(self.bundle.url)",
    fieldPath = ".autoUpdate.source",
    message = "autoUpdate.source must match the bundle: source: git follows bundle.git's branch, source: url follows"
        + " bundle.url's digest; configMap and image bundles change by being applied again")
@ValidationRule(
    value = "!has(self.gateway) || !has(self.http) || self.http.enabled",
    fieldPath = ".gateway",
    message = "a Gateway route sends HTTP to the agent, but http.enabled is false; remove gateway, or set"
        + " http.enabled: true and http.port to the port the agent listens on")
@ValidationRule(
    value = "!has(self.autoUpdate) || !has(self.bundle.sha256)",
    fieldPath = ".autoUpdate",
    message = "autoUpdate follows the archive at bundle.url as it changes, but bundle.sha256 pins one archive; remove"
        + " one of them")
@ValidationRule(
    value = "!has(self.sleep) || !has(self.sleep.afterIdle) || !has(self.http) || self.http.enabled",
    fieldPath = ".sleep.afterIdle",
    message = "sleep.afterIdle puts the agent to sleep until a request wakes it, but http.enabled is false, so no"
        + " request can reach it; remove afterIdle (spec.sleep: {} sleeps and wakes by hand with the annotations"
        + " orch.dev/sleep and orch.dev/wake) or serve HTTP")
@ValidationRule(
    value = "!has(self.dependencyCache) || self.maxInstances == 1",
    fieldPath = ".dependencyCache",
    message = "dependencyCache keeps one workspace on one ReadWriteOnce volume, which only one pod may prepare into and"
        + " run from; with maxInstances above 1 leave dependencyCache out (each pod then installs its dependencies"
        + " itself) or set maxInstances: 1")
@ValidationRule(
    value = "!has(self.dependencyCache) || !has(self.rollout) || !has(self.rollout.strategy)"
        + " || self.rollout.strategy == 'recreate'",
    fieldPath = ".dependencyCache",
    message = "dependencyCache keeps one workspace that one pod at a time uses, but a rolling or canary rollout runs the"
        + " old and the new pod side by side; use rollout.strategy: recreate (or omit it) with dependencyCache")
@JsonClassDescription("What runs (agent, bundle, command, args, env, secrets, resources, placement) and how: instances, HTTP port,"
    + " ingress, crash-loop threshold and alert URL, pause and rollout.")
public class AgentServiceSpec extends AgentTemplate {
  /**
   * An https URL whose host is localhost, a loopback, unspecified or link-local address, or a cloud metadata
   * service. A regular expression on the URL rather than CEL's url() and ip(): the API server cannot bound the
   * cost of functions applied to url(...).getHostname(), and refuses the CRD. The send-time check in
   * AlertWebhook, after DNS resolution, catches the spellings this misses.
   */
  private static final String OWN_OR_METADATA_HOST = "^https://([^/?#@]*@)?(localhost|[^/?#@:]*[.]localhost"
      + "|metadata[.]google[.]internal|metadata|instance-data|127[.][0-9.]+|0[.]0[.]0[.]0|169[.]254[.][0-9.]+"
      + "|100[.]100[.]100[.]200|[[](::1?|0*(:0*){0,6}:0*1|fe[89ab][0-9a-f]*:[^]]*|fd00:ec2:[^]]*)[]])"
      + "[.]?(:[0-9]*)?([/?#].*)?$";

  @Min(1)
  @Max(100)
  @Default("1")
  @JsonPropertyDescription("Instances kept running at all times (1-100). Use paused to stop the service.")
  private Integer minInstances = 1;

  @Min(1)
  @Max(100)
  @Default("1")
  @JsonPropertyDescription("Upper bound for autoscaling (1-100); above minInstances a HorizontalPodAutoscaler is created.")
  private Integer maxInstances = 1;

  @JsonPropertyDescription("The agent's HTTP side: the port the app binds; the gateway on :8080 proxies to it."
      + " Omitted: HTTP on port 3000. Agents that serve no HTTP (bots, workers) set enabled: false.")
  private Http http;

  @JsonPropertyDescription("Public HTTP(S) exposure through an Ingress; omit for agents that only make outbound connections.")
  private Ingress ingress;

  @Min(1)
  @Max(50)
  @Default("5")
  @JsonPropertyDescription("Consecutive failed restarts before the service is auto-paused in state crash-loop (1-50)."
      + " A warning alert fires at half of it, rounded up.")
  private Integer maxRestartFailures = 5;

  @Size(max = 2048)
  @ValidationRule(
      value = "isURL(self) && url(self).getScheme() == 'https'",
      message = "alertWebhookUrl must be an https:// URL, e.g. https://hooks.example.com/orch")
  @ValidationRule(
      value = "!self.lowerAscii().matches('" + OWN_OR_METADATA_HOST + "')",
      message = "alertWebhookUrl must not point at the operator's own host, a link-local address or a cloud metadata"
          + " service (localhost, 127.0.0.0/8, ::1, 169.254.0.0/16, fe80::/10, 169.254.169.254, fd00:ec2::254,"
          + " metadata.google.internal); use your alert receiver's address, e.g. https://hooks.example.com/orch")
  @JsonPropertyDescription("https URL that receives crash-loop alerts as JSON (service.crash_loop and its warning).")
  private String alertWebhookUrl;

  @Default("false")
  @JsonPropertyDescription("Scale to zero and keep the configuration; set back to false to resume.")
  private Boolean paused = false;

  @JsonPropertyDescription("Follow a moving bundle source: a git branch's head or an https bundle's digest; a new"
      + " version rolls out with the service's rollout strategy. Replaces the former boolean (autoUpdate: true is"
      + " refused; write autoUpdate: {source: git, interval: 5m}).")
  private AutoUpdate autoUpdate;

  @JsonPropertyDescription("How new versions replace running pods: recreate, rolling, or canary with steps.")
  private Rollout rollout;

  @JsonPropertyDescription("Expose the service through a Gateway API Gateway: an HTTPRoute named like the service,"
      + " attached to parentRefs. During a canary its backend weights carry the step's weight exactly (a stable and a"
      + " canary Service), instead of the pod ratio.")
  private GatewayRoute gateway;

  @JsonPropertyDescription("The gateway's readiness and liveness probes. Omitted: readiness asks the gateway's /health"
      + " every 5s (2 failures), liveness checks that the gateway accepts connections.")
  private Probes probes;

  @JsonPropertyDescription("Sleep and wake: scale to zero after afterIdle without requests and wake on the next"
      + " request; or, without afterIdle, only by hand (annotations orch.dev/sleep and orch.dev/wake). keepAwake"
      + " windows and orch.dev/keep-awake keep it awake. Omitted: never sleeps.")
  private SleepSpec sleep;

  @JsonPropertyDescription("Keep the workspace (bundle, installed dependencies) on a PersistentVolumeClaim named like the"
      + " service, so a new pod (a wake, a restart) skips installing them: {size: 1Gi, storageClassName: ...}."
      + " One instance only, recreate rollouts only. Omitted: an emptyDir per pod.")
  private DependencyCacheSpec dependencyCache;

  public Integer getMinInstances() {
    return minInstances;
  }

  public void setMinInstances(Integer minInstances) {
    this.minInstances = minInstances;
  }

  public Integer getMaxInstances() {
    return maxInstances;
  }

  public void setMaxInstances(Integer maxInstances) {
    this.maxInstances = maxInstances;
  }

  public Http getHttp() {
    return http;
  }

  public void setHttp(Http http) {
    this.http = http;
  }

  public Ingress getIngress() {
    return ingress;
  }

  public void setIngress(Ingress ingress) {
    this.ingress = ingress;
  }

  public Integer getMaxRestartFailures() {
    return maxRestartFailures;
  }

  public void setMaxRestartFailures(Integer maxRestartFailures) {
    this.maxRestartFailures = maxRestartFailures;
  }

  public String getAlertWebhookUrl() {
    return alertWebhookUrl;
  }

  public void setAlertWebhookUrl(String alertWebhookUrl) {
    this.alertWebhookUrl = alertWebhookUrl;
  }

  public Boolean getPaused() {
    return paused;
  }

  public void setPaused(Boolean paused) {
    this.paused = paused;
  }

  public AutoUpdate getAutoUpdate() {
    return autoUpdate;
  }

  public void setAutoUpdate(AutoUpdate autoUpdate) {
    this.autoUpdate = autoUpdate;
  }

  public SleepSpec getSleep() {
    return sleep;
  }

  public void setSleep(SleepSpec sleep) {
    this.sleep = sleep;
  }

  public DependencyCacheSpec getDependencyCache() {
    return dependencyCache;
  }

  public void setDependencyCache(DependencyCacheSpec dependencyCache) {
    this.dependencyCache = dependencyCache;
  }

  public Rollout getRollout() {
    return rollout;
  }

  public void setRollout(Rollout rollout) {
    this.rollout = rollout;
  }

  public GatewayRoute getGateway() {
    return gateway;
  }

  public void setGateway(GatewayRoute gateway) {
    this.gateway = gateway;
  }

  public Probes getProbes() {
    return probes;
  }

  public void setProbes(Probes probes) {
    this.probes = probes;
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.port) || self.port != 8080",
      fieldPath = ".port",
      message = "port 8080 belongs to the gateway sidecar (health checks); bind the app to another port such as 3000")
  @ValidationRule(
      value = "self.enabled || !has(self.port)",
      fieldPath = ".port",
      message = "http.port is set but http.enabled is false; remove port, or set enabled: true if the agent serves HTTP")
  public record Http(
      @Default("true")
      @JsonPropertyDescription("false when the agent serves no HTTP (a Discord bot, a queue worker): no Service, no"
          + " ingress, no PORT variable, and updates stop the old pod before starting the new one. Default true.")
      Boolean enabled,

      @Min(1)
      @Max(65535)
      @JsonPropertyDescription("Port the app listens on (default 3000); exported as PORT and ORCHAGENT_HTTP_PORT.")
      Integer port) {

    /** HTTP on the given port. */
    public static Http on(int port) {
      return new Http(true, port);
    }

    /** An agent that serves no HTTP. */
    public static Http none() {
      return new Http(false, null);
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!self.host.startsWith('*')",
      fieldPath = ".host",
      message = "ingress.host cannot be a wildcard: an AgentService answers on one host name, e.g. bot.example.com"
          + " (a wildcard would need a wildcard certificate and leaves no single URL to show in status)")
  @ValidationRule(
      value = "self.host.startsWith('*') || self.host.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)+$')",
      fieldPath = ".host",
      message = "ingress.host must be a fully qualified DNS name in lower case (letters, digits, '-' and '.'),"
          + " e.g. bot.example.com")
  @ValidationRule(
      value = "!has(self.path) || self.path.matches('^/[^ ]*$')",
      fieldPath = ".path",
      message = "ingress.path must start with / and contain no spaces, e.g. /webhook")
  public record Ingress(
      @Required
      @Size(min = 1, max = 253)
      @JsonPropertyDescription("Public host name, e.g. bot.example.com.")
      String host,

      @Size(min = 1, max = 1024)
      @Default("/")
      @JsonPropertyDescription("Path prefix routed to the agent (default /).")
      String path,

      @Size(max = 253)
      @JsonPropertyDescription("IngressClass to use; the cluster default when omitted.")
      String className,

      @JsonPropertyDescription("TLS for the host, with a certificate from cert-manager.")
      Tls tls) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.secretName) || self.secretName.matches('" + AgentTemplate.DNS_SUBDOMAIN + "')",
      fieldPath = ".secretName",
      message = "tls.secretName must be a Secret name: lower-case letters, digits, '-' and '.', e.g. bot-tls")
  public record Tls(
      @Required
      @Size(min = 1, max = 253)
      @JsonPropertyDescription("Name of the cert-manager issuer that signs the certificate.")
      String issuer,

      @Default("ClusterIssuer")
      @JsonPropertyDescription("Kind of the issuer: ClusterIssuer (default) or Issuer (same namespace).")
      IssuerKind issuerKind,

      @Size(max = 253)
      @JsonPropertyDescription("Secret that receives the certificate; defaults to <name>-tls.")
      String secretName) {
  }

  public enum IssuerKind { ClusterIssuer, Issuer }

  /** A duration as Kubernetes tools write it: hours, minutes and seconds, e.g. 90s, 10m, 1h30m. */
  public static final String DURATION = "^([0-9]+h)?([0-9]+m)?([0-9]+s)?$";
  static final String NEW_ROLLOUT_SHAPE = "rollout: {strategy: canary, steps: [{weight: 20, pause: {duration: 10m}},"
      + " {weight: 50, pause: {}}]}";

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.canaryWeight)",
      fieldPath = ".canaryWeight",
      message = "rollout.canaryWeight was replaced by steps, each a weight and/or a pause; write e.g. "
          + NEW_ROLLOUT_SHAPE)
  @ValidationRule(
      value = "has(self.steps) == (has(self.strategy) && self.strategy == 'canary')",
      message = "strategy canary needs steps, and only canary takes steps; write e.g. " + NEW_ROLLOUT_SHAPE)
  @ValidationRule(
      value = "!has(self.abortIfUnreadyFor) || has(self.strategy) && self.strategy == 'canary'",
      fieldPath = ".abortIfUnreadyFor",
      message = "rollout.abortIfUnreadyFor only applies to strategy canary; set strategy: canary or remove it")
  @ValidationRule(
      value = "!has(self.abortIfUnreadyFor) || self.abortIfUnreadyFor.matches('" + DURATION + "')"
          + " && self.abortIfUnreadyFor != ''",
      fieldPath = ".abortIfUnreadyFor",
      message = "abortIfUnreadyFor must be a duration such as 90s, 5m or 1h")
  public record Rollout(
      @JsonPropertyDescription("How an update replaces the running pods. recreate stops the old pods before starting"
          + " new ones: at most one version runs, with a short downtime (bots that must not answer twice). rolling"
          + " starts a new pod and stops an old one once the new one is ready: no downtime, briefly one pod more."
          + " canary keeps the old version serving and runs the new one beside it, with the traffic share of each"
          + " step, until promoted. Default: recreate when http.enabled is false or maxInstances is 1, rolling"
          + " otherwise.")
      RolloutStrategy strategy,

      @Size(min = 1, max = 20)
      @JsonPropertyDescription("Canary only: the steps, in order. Each sets the canary's traffic weight, pauses, or"
          + " both (weight first, then the pause). After the last step the new version is promoted.")
      List<Step> steps,

      @Size(max = 16)
      @JsonPropertyDescription("Canary only: abort when the canary's pods stay unready this long (default 5m). A canary"
          + " whose agent restarts maxRestartFailures times in a row is aborted too.")
      String abortIfUnreadyFor,

      @JsonPropertyDescription("Removed: refused with the shape that replaces it (steps).")
      Integer canaryWeight) {

    public Rollout(RolloutStrategy strategy, List<Step> steps) {
      this(strategy, steps, null, null);
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "has(self.weight) || has(self.pause)",
      message = "a rollout step sets a weight, a pause or both, e.g. {weight: 20, pause: {duration: 10m}}")
  public record Step(
      @Min(1)
      @Max(99)
      @JsonPropertyDescription("Percent of the traffic (1-99) the canary receives from this step on. Without a"
          + " traffic router it is approximated by the ratio of canary to stable pods (see status.rollout).")
      Integer weight,

      @JsonPropertyDescription("Wait before the next step: {duration: 10m}, or {} to wait until promoted"
          + " (kubectl annotate agentservice NAME orch.dev/promote=$(date +%s) --overwrite).")
      Pause pause) {

    public static Step weight(int weight) {
      return new Step(weight, null);
    }
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.duration) || self.duration.matches('" + DURATION + "') && self.duration != ''",
      fieldPath = ".duration",
      message = "pause.duration must be a duration such as 90s, 10m or 1h; omit it to wait until promoted")
  public record Pause(
      @Size(max = 16)
      @JsonPropertyDescription("How long to wait, e.g. 90s, 10m, 1h. Omitted: wait until promoted.")
      String duration) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.path) || self.path.matches('^/[^ ]*$')",
      fieldPath = ".path",
      message = "gateway.path must start with / and contain no spaces, e.g. /webhook")
  public record GatewayRoute(
      @Required
      @Size(min = 1, max = 8)
      @JsonPropertyDescription("The Gateways (or their listeners) the HTTPRoute attaches to.")
      List<ParentRef> parentRefs,

      @Size(max = 16)
      @JsonPropertyDescription("Host names the route answers, e.g. bot.example.com; omitted: the listeners' own.")
      List<String> hostnames,

      @Size(min = 1, max = 1024)
      @JsonPropertyDescription("Path prefix routed to the agent (default /).")
      String path) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ParentRef(
      @Required
      @Size(min = 1, max = 253)
      @JsonPropertyDescription("The Gateway's name.")
      String name,

      @Size(max = 63)
      @JsonPropertyDescription("The Gateway's namespace; the service's own when omitted.")
      String namespace,

      @Size(max = 253)
      @JsonPropertyDescription("One listener of the Gateway, by name.")
      String sectionName) {
  }

  public enum AutoUpdateSource {
    @com.fasterxml.jackson.annotation.JsonProperty("git") GIT,
    @com.fasterxml.jackson.annotation.JsonProperty("url") URL
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.interval) || self.interval.matches('" + DURATION + "') && self.interval != ''"
          + " && duration(self.interval) >= duration('1m') && duration(self.interval) <= duration('24h')",
      fieldPath = ".interval",
      message = "autoUpdate.interval must be a duration between 1m and 24h, e.g. 5m")
  public record AutoUpdate(
      @Required
      @JsonPropertyDescription("git: follow the head of bundle.git's branch (git.ref). url: follow the digest of"
          + " the archive at bundle.url.")
      AutoUpdateSource source,

      @Size(max = 16)
      @Default("5m")
      @JsonPropertyDescription("How often to look for a new version (1m to 24h, default 5m).")
      String interval) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Probes(
      @JsonPropertyDescription("Whether a pod receives traffic; a canary that fails it longer than"
          + " rollout.abortIfUnreadyFor is aborted.")
      Probe readiness,

      @JsonPropertyDescription("Whether the gateway container is restarted. Omitted: a TCP check of the gateway.")
      Probe liveness) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.path) || self.path.matches('^/[^ ?#]*$')",
      fieldPath = ".path",
      message = "probe path must start with / and contain no spaces, e.g. /health or /ready")
  public record Probe(
      @Size(min = 1, max = 1024)
      @JsonPropertyDescription("HTTP path asked on the gateway's port 8080 (default /health, the gateway's own: the"
          + " agent's status; other paths are proxied to the agent).")
      String path,

      @Min(1)
      @Max(300)
      @JsonPropertyDescription("Seconds between checks (default 5 for readiness, 10 for liveness).")
      Integer periodSeconds,

      @Min(1)
      @Max(60)
      @JsonPropertyDescription("Seconds a check may take (default 2).")
      Integer timeoutSeconds,

      @Min(1)
      @Max(30)
      @JsonPropertyDescription("Failures in a row that count as failed (default 2 for readiness, 3 for liveness).")
      Integer failureThreshold,

      @Min(1)
      @Max(30)
      @JsonPropertyDescription("Successes in a row that count as passed again (readiness only; default 1).")
      Integer successThreshold) {
  }

  public enum RolloutStrategy {
    @com.fasterxml.jackson.annotation.JsonProperty("rolling") ROLLING,
    @com.fasterxml.jackson.annotation.JsonProperty("recreate") RECREATE,
    @com.fasterxml.jackson.annotation.JsonProperty("canary") CANARY
  }
}
