package dev.orch.operator.agentservice;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.orch.operator.agentservice.autoupdate.AutoUpdateStatus;
import dev.orch.operator.agentservice.rollout.RolloutStatus;
import dev.orch.operator.agentservice.tls.TlsStatus;
import dev.orch.operator.core.crashloop.CrashLoopRecord;
import dev.orch.operator.core.status.AgentState;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.status.OrchStatus;
import dev.orch.operator.sleep.SleepStatus;
import io.fabric8.generator.annotation.Size;

@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonClassDescription("What the operator last observed: state and health, URLs, restart counters, the last crash, and"
    + " Ready/Reconciling/Stalled conditions for the generation in observedGeneration.")
public class AgentServiceStatus extends OrchStatus {

  public enum Health {
    @JsonProperty("healthy") HEALTHY,
    @JsonProperty("unhealthy") UNHEALTHY,
    @JsonProperty("unknown") UNKNOWN
  }

  @JsonPropertyDescription("provisioning, running, sleeping (scaled to zero until a request or a wake by hand), paused, crash-loop"
      + " (auto-paused after maxRestartFailures) or failed.")
  private AgentState state;

  @JsonPropertyDescription("healthy when every wanted instance answers the gateway's /health, unhealthy otherwise, unknown while none run.")
  private Health health;

  @Size(max = 2048)
  @JsonPropertyDescription("Public URL of the service, from its ingress host or the operator's base domain.")
  private String url;

  @Size(max = 2048)
  @JsonPropertyDescription("In-cluster URL of the service (through the gateway).")
  private String internalUrl;

  @JsonPropertyDescription("Instances passing their readiness check.")
  private Integer readyInstances;

  @JsonPropertyDescription("Restarts of the agent across all pods of the service, kept when pods are replaced.")
  private Long restartCount;

  @JsonPropertyDescription("Restarts that failed again in a row; reset by a restart or a long enough healthy run.")
  private Integer consecutiveRestartFailures;

  @Size(max = 4096)
  @JsonPropertyDescription("The agent's last crash: reason, exit code and its last error lines; kept after it recovers."
      + " What is wrong now (a missing secret, a refused object) is in the Stalled condition.")
  private String lastError;

  @JsonPropertyDescription("Crash-loop bookkeeping: restarts counted per pod, alerts sent, auto-pause.")
  private CrashLoopRecord crashLoop;

  @JsonPropertyDescription("When the current configuration was rolled out (RFC 3339).")
  private String deployedAt;

  @JsonPropertyDescription("When the service was last restarted (RFC 3339).")
  private String lastRestartAt;

  @JsonPropertyDescription("The rollout: stable and canary revisions, step, weight, phase, revision history.")
  private RolloutStatus rollout;

  @JsonPropertyDescription("spec.autoUpdate: the version seen at the bundle's source, when, and the last check.")
  private AutoUpdateStatus autoUpdate;

  @JsonPropertyDescription("The service's certificate (HTTPS through cert-manager), when its ingress asks for TLS.")
  private TlsStatus tls;

  @JsonPropertyDescription("Sleep and wake: awake, asleep or waking, since when and why, and the last activity seen.")
  private SleepStatus sleep;

  /** Stalled like a missing secret: failed unless earlier instances still run. */
  @Override
  public void showFailure(Conditions.Verdict verdict) {
    if (verdict.stalled()) {
      state = readyInstances != null && readyInstances > 0 ? AgentState.RUNNING : AgentState.FAILED;
    }
  }

  public AgentState getState() {
    return state;
  }

  public void setState(AgentState state) {
    this.state = state;
  }

  public Health getHealth() {
    return health;
  }

  public void setHealth(Health health) {
    this.health = health;
  }

  public String getUrl() {
    return url;
  }

  public void setUrl(String url) {
    this.url = url;
  }

  public String getInternalUrl() {
    return internalUrl;
  }

  public void setInternalUrl(String internalUrl) {
    this.internalUrl = internalUrl;
  }

  public Integer getReadyInstances() {
    return readyInstances;
  }

  public void setReadyInstances(Integer readyInstances) {
    this.readyInstances = readyInstances;
  }

  public Long getRestartCount() {
    return restartCount;
  }

  public void setRestartCount(Long restartCount) {
    this.restartCount = restartCount;
  }

  public Integer getConsecutiveRestartFailures() {
    return consecutiveRestartFailures;
  }

  public void setConsecutiveRestartFailures(Integer consecutiveRestartFailures) {
    this.consecutiveRestartFailures = consecutiveRestartFailures;
  }

  public String getLastError() {
    return lastError;
  }

  public void setLastError(String lastError) {
    this.lastError = lastError;
  }

  public CrashLoopRecord getCrashLoop() {
    return crashLoop;
  }

  public void setCrashLoop(CrashLoopRecord crashLoop) {
    this.crashLoop = crashLoop;
  }

  public String getDeployedAt() {
    return deployedAt;
  }

  public void setDeployedAt(String deployedAt) {
    this.deployedAt = deployedAt;
  }

  public SleepStatus getSleep() {
    return sleep;
  }

  public void setSleep(SleepStatus sleep) {
    this.sleep = sleep;
  }

  public String getLastRestartAt() {
    return lastRestartAt;
  }

  public void setLastRestartAt(String lastRestartAt) {
    this.lastRestartAt = lastRestartAt;
  }

  public AutoUpdateStatus getAutoUpdate() {
    return autoUpdate;
  }

  public void setAutoUpdate(AutoUpdateStatus autoUpdate) {
    this.autoUpdate = autoUpdate;
  }

  public RolloutStatus getRollout() {
    return rollout;
  }

  public void setRollout(RolloutStatus rollout) {
    this.rollout = rollout;
  }

  public TlsStatus getTls() {
    return tls;
  }

  public void setTls(TlsStatus tls) {
    this.tls = tls;
  }
}
