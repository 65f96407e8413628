package dev.orch.operator.schedule;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.orch.operator.core.status.OrchStatus;
import io.fabric8.generator.annotation.Size;

@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonClassDescription("Run history (newest first), the last and next fire times, the webhook's path and token reference, and"
    + " Ready/Reconciling/Stalled conditions for the generation in observedGeneration.")
public class ScheduleStatus extends OrchStatus {

  public enum Trigger {
    @JsonProperty("cron") CRON,
    @JsonProperty("webhook") WEBHOOK,
    @JsonProperty("manual") MANUAL
  }

  public enum RunStatus {
    @JsonProperty("running") RUNNING,
    @JsonProperty("success") SUCCESS,
    @JsonProperty("failure") FAILURE,
    @JsonProperty("timeout") TIMEOUT,
    @JsonProperty("skipped") SKIPPED,
    @JsonProperty("error") ERROR
  }

  @JsonPropertyDescription("When the schedule fires next (RFC 3339); empty for webhook schedules and while disabled.")
  private String nextFireAt;

  @JsonPropertyDescription("When the schedule last fired (RFC 3339).")
  private String lastFiredAt;

  @JsonPropertyDescription("Status of the newest run.")
  private RunStatus lastRunStatus;

  @JsonPropertyDescription("Where the webhook trigger listens; the token itself stays in the referenced Secret.")
  private Webhook webhook;

  @Size(max = 256)
  @JsonPropertyDescription("The last orch.dev/trigger annotation value acted on (a manual run was started for it).")
  private String lastManualTrigger;

  @Size(max = RunHistory.MAX_RUNS)
  @JsonPropertyDescription("The newest runs, at most spec.historyLimit, newest first. A run still active is never"
      + " dropped for a newer one; the triggers skipped while it was active share one entry (status skipped, count).")
  private List<Run> runs = new ArrayList<>();

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Webhook(
      @Size(max = 512)
      @JsonPropertyDescription("Path on the operator's webhook endpoint, without the token: append /<token>.")
      String path,
      @Size(max = 1024)
      @JsonPropertyDescription("Full URL without the token, when the operator knows its public address (orch.webhooks.base-url).")
      String url,
      @JsonPropertyDescription("Secret and key holding the webhook token.")
      SecretKeyRef tokenSecretRef,
      @Size(max = 64)
      @JsonPropertyDescription("SHA-256 of the token (hex): what the operator checks requests against; it never reads the Secret.")
      String tokenSha256,
      @Size(max = 256)
      @JsonPropertyDescription("The orch.dev/rotate-webhook-token annotation value the current token was made for.")
      String rotation) {
  }

  public record SecretKeyRef(
      @Size(max = 253) @JsonPropertyDescription("Secret name.") String name,
      @Size(max = 253) @JsonPropertyDescription("Key in the Secret.") String key) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Run(
      @Size(max = 128) @JsonPropertyDescription("Run id: the name of the run's Job; for skipped triggers, the id of the"
          + " run that was still active followed by -skipped.") String id,
      @JsonPropertyDescription("What started the run: cron, webhook or manual.") Trigger trigger,
      @JsonPropertyDescription("running, success, failure, timeout, skipped or error.") RunStatus status,
      @JsonPropertyDescription("The agent's exit code.") Integer exitCode,
      @JsonPropertyDescription("Wall-clock duration in milliseconds.") Long durationMs,
      @JsonPropertyDescription("When the trigger arrived (RFC 3339); for skipped triggers, the first of them.") String firedAt,
      @JsonPropertyDescription("When the agent started (RFC 3339).") String startedAt,
      @JsonPropertyDescription("When the run ended (RFC 3339).") String finishedAt,
      @Size(max = 4096) @JsonPropertyDescription("Last lines of the run's output; the full log stays available with"
          + " kubectl logs. For a run whose Job was deleted before it ended, why its outcome is unknown.") String output,
      @JsonPropertyDescription("Skipped triggers only: how many arrived while blockedBy was active.") Integer count,
      @JsonPropertyDescription("Skipped triggers only: when the last of them arrived (RFC 3339).") String lastFiredAt,
      @Size(max = 128) @JsonPropertyDescription("Skipped triggers only: the run that was still active (skipIfRunning).")
      String blockedBy) {

    /** The triggers skipped while {@code blockedBy} was active, as one entry. */
    static Run skipped(Trigger trigger, String blockedBy, int count, String first, String last) {
      return new Run(skippedId(blockedBy), trigger, RunStatus.SKIPPED, null, null, first, null, null, null, count, last,
          blockedBy);
    }

    static String skippedId(String blockedBy) {
      return blockedBy + "-skipped";
    }

    /** The newest trigger this entry stands for: a skipped entry's last one, any other run's own. */
    String latestFiredAt() {
      return lastFiredAt != null ? lastFiredAt : firedAt;
    }
  }

  public String getLastManualTrigger() {
    return lastManualTrigger;
  }

  public void setLastManualTrigger(String lastManualTrigger) {
    this.lastManualTrigger = lastManualTrigger;
  }

  public String getNextFireAt() {
    return nextFireAt;
  }

  public void setNextFireAt(String nextFireAt) {
    this.nextFireAt = nextFireAt;
  }

  public String getLastFiredAt() {
    return lastFiredAt;
  }

  public void setLastFiredAt(String lastFiredAt) {
    this.lastFiredAt = lastFiredAt;
  }

  public RunStatus getLastRunStatus() {
    return lastRunStatus;
  }

  public void setLastRunStatus(RunStatus lastRunStatus) {
    this.lastRunStatus = lastRunStatus;
  }

  public Webhook getWebhook() {
    return webhook;
  }

  public void setWebhook(Webhook webhook) {
    this.webhook = webhook;
  }

  public List<Run> getRuns() {
    return runs;
  }

  public void setRuns(List<Run> runs) {
    this.runs = runs;
  }
}
