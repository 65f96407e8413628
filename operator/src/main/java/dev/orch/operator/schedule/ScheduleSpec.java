package dev.orch.operator.schedule;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.orch.operator.agent.AgentTemplate;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.type != 'cron' || has(self.schedule)",
    message = "schedule is required for type cron, e.g. schedule: \"0 9 * * 1-5\" (minute hour day-of-month month day-of-week)")
@ValidationRule(
    value = "self.type != 'webhook' || !has(self.schedule)",
    message = "schedule is not allowed for type webhook (runs start from the webhook URL); remove schedule or use type cron")
@ValidationRule(
    value = "self.type != 'webhook' || !has(self.timeZone)",
    message = "timeZone only applies to type cron; remove timeZone or use type cron")
@JsonClassDescription("What runs (agent, bundle, command, args, env, secrets, resources, placement) and when: type, cron"
    + " expression and time zone, enabled, skipIfRunning, timeout and history size.")
public class ScheduleSpec extends AgentTemplate {

  public enum Type {
    @JsonProperty("cron") CRON,
    @JsonProperty("webhook") WEBHOOK
  }

  @Required
  @JsonPropertyDescription("cron runs on the schedule; webhook runs when its secret URL is called. Both can be triggered by hand.")
  private Type type;

  @Size(min = 1, max = 128)
  @ValidationRule(
      value = "self.matches('^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[^ ]+( +[^ ]+){4})$')",
      message = "schedule must be a cron expression with five fields (minute hour day-of-month month day-of-week),"
          + " e.g. \"0 9 * * 1-5\" for weekdays at 09:00, or a macro such as @hourly or @daily")
  @JsonPropertyDescription("Cron expression with five fields (minute hour day-of-month month day-of-week) or a macro"
      + " such as @hourly. Required for type cron, forbidden for type webhook.")
  private String schedule;

  @Size(min = 1, max = 64)
  @ValidationRule(
      value = "self.matches('^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$')",
      message = "timeZone must be an IANA time zone name, e.g. Europe/Berlin, America/New_York or UTC")
  @JsonPropertyDescription("IANA time zone the schedule is read in, e.g. Europe/Berlin. Defaults to UTC.")
  private String timeZone;

  @Default("true")
  @JsonPropertyDescription("false stops scheduled and webhook runs; a manual trigger still runs.")
  private Boolean enabled = true;

  @Default("true")
  @JsonPropertyDescription("When a run is still active, record new triggers as skipped instead of starting another run.")
  private Boolean skipIfRunning = true;

  @Min(1)
  @Max(86400)
  @Default("3600")
  @JsonPropertyDescription("Seconds a run may take (1-86400) before it is stopped and recorded as timeout.")
  private Integer timeoutSeconds = 3600;

  @Min(1)
  @Max(50)
  @Default("20")
  @JsonPropertyDescription("Runs kept in status.runs (1-50), newest first; a run still active stays even when newer"
      + " entries would push it out, and the triggers skipped while it ran take one entry together.")
  private Integer historyLimit = 20;

  public Type getType() {
    return type;
  }

  public void setType(Type type) {
    this.type = type;
  }

  public String getSchedule() {
    return schedule;
  }

  public void setSchedule(String schedule) {
    this.schedule = schedule;
  }

  public String getTimeZone() {
    return timeZone;
  }

  public void setTimeZone(String timeZone) {
    this.timeZone = timeZone;
  }

  public Boolean getEnabled() {
    return enabled;
  }

  public void setEnabled(Boolean enabled) {
    this.enabled = enabled;
  }

  public Boolean getSkipIfRunning() {
    return skipIfRunning;
  }

  public void setSkipIfRunning(Boolean skipIfRunning) {
    this.skipIfRunning = skipIfRunning;
  }

  public Integer getTimeoutSeconds() {
    return timeoutSeconds;
  }

  public void setTimeoutSeconds(Integer timeoutSeconds) {
    this.timeoutSeconds = timeoutSeconds;
  }

  public Integer getHistoryLimit() {
    return historyLimit;
  }

  public void setHistoryLimit(Integer historyLimit) {
    this.historyLimit = historyLimit;
  }
}
