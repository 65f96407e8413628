package dev.orch.operator.core.crashloop;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

/**
 * The crash-loop bookkeeping kept in status, so an operator restart continues where it stopped: the restarts
 * already counted per live pod, the alert levels already sent in the current failure streak, and whether the
 * workload was paused for crash-looping.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class CrashLoopRecord {
  @JsonPropertyDescription("True when the operator scaled the workload to zero after maxRestartFailures; a restart resumes it.")
  private boolean autoPaused;

  @Size(max = 128)
  @JsonPropertyDescription("Agent-container restarts already counted, per live pod.")
  private List<PodRestarts> pods = new ArrayList<>();

  @Size(max = 2)
  @JsonPropertyDescription("Alert levels (warning, critical) already sent for the current failure streak.")
  private List<String> alerted = new ArrayList<>();

  @JsonPropertyDescription("Outcome of the last alert webhook delivery.")
  private AlertOutcome lastAlert;

  public record PodRestarts(
      @Size(max = 253) @JsonPropertyDescription("Pod name.") String pod,
      @Size(max = 64) @JsonPropertyDescription("Pod UID.") String uid,
      @JsonPropertyDescription("Restarts of its agent container counted so far.") int restarts) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record AlertOutcome(
      @Size(max = 64) @JsonPropertyDescription("service.crash_loop, service.crash_loop_warning, service.rollout_aborted or service.tls_expiring.") String event,
      @Size(max = 64) @JsonPropertyDescription("When delivery finished (RFC 3339).") String at,
      @JsonPropertyDescription("True when the receiver answered 2xx.") boolean delivered,
      @JsonPropertyDescription("The receiver's HTTP status, when it answered.") Integer httpStatus,
      @Size(max = 1024) @JsonPropertyDescription("Why delivery failed, or that it is still under way.") String error) {
    private static final String UNDER_WAY = "not confirmed yet: delivery under way";

    /**
     * The outcome shown from the status write that records an alert's level until its delivery ends: an operator
     * that finds it after a restart knows the delivery may have stopped with the previous process.
     */
    public static AlertOutcome underWay(String event, Instant at) {
      return new AlertOutcome(event, at.toString(), false, null, UNDER_WAY);
    }

    /** An alert whose delivery stopped with a previous operator process: it may or may not have arrived. */
    public static AlertOutcome unconfirmed(String event, Instant at) {
      return new AlertOutcome(event, at.toString(), false, null, "not confirmed: the operator stopped while"
          + " delivering it, so the receiver may not have it (alerts are sent at most once, never repeated)");
    }

    public boolean underWay() {
      return UNDER_WAY.equals(error);
    }
  }

  public boolean isAutoPaused() {
    return autoPaused;
  }

  public void setAutoPaused(boolean autoPaused) {
    this.autoPaused = autoPaused;
  }

  public List<PodRestarts> getPods() {
    return pods;
  }

  public void setPods(List<PodRestarts> pods) {
    this.pods = pods;
  }

  public List<String> getAlerted() {
    return alerted;
  }

  public void setAlerted(List<String> alerted) {
    this.alerted = alerted;
  }

  public AlertOutcome getLastAlert() {
    return lastAlert;
  }

  public void setLastAlert(AlertOutcome lastAlert) {
    this.lastAlert = lastAlert;
  }
}
