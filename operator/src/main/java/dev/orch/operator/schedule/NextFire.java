package dev.orch.operator.schedule;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

/**
 * When a cron schedule fires, read the way the Kubernetes CronJob controller reads it (five Unix fields). Public for
 * sleep's keep-awake windows, which are read the same way.
 */
public final class NextFire {
  private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final Map<String, String> MACROS = Map.of(
      "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *", "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 0",
      "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@hourly", "0 * * * *");
  private static final int MAX_PARSED = 1024;
  private static final Map<String, ExecutionTime> PARSED = new ConcurrentHashMap<>();

  /**
   * The zone of a schedule without timeZone. Written into the CronJob too: without a zone the CronJob controller
   * reads the expression in kube-controller-manager's local zone, which nobody chose and status cannot know.
   */
  static final String DEFAULT_TIME_ZONE = "UTC";

  private NextFire() {
  }

  /** The zone a schedule is read in: its timeZone, or UTC. */
  public static String zoneName(String timeZone) {
    return timeZone == null ? DEFAULT_TIME_ZONE : timeZone;
  }

  /**
   * @throws IllegalArgumentException with the parser's explanation when the expression or zone is invalid
   */
  public static Optional<ZonedDateTime> after(String schedule, String timeZone, ZonedDateTime now) {
    return executionTime(schedule).nextExecution(now.withZoneSameInstant(zone(timeZone)));
  }

  /** Why the expression or zone cannot be used, in words a user can act on; empty when both are fine. */
  public static Optional<String> problem(String schedule, String timeZone) {
    try {
      executionTime(schedule);
    } catch (IllegalArgumentException e) {
      return Optional.of("schedule \"" + schedule + "\" is not a valid cron expression (" + e.getMessage()
          + "); use five fields: minute hour day-of-month month day-of-week, e.g. \"0 9 * * 1-5\", or a macro such as @hourly");
    }
    try {
      zone(timeZone);
    } catch (DateTimeException e) {
      return Optional.of("timeZone \"" + timeZone + "\" is not a known IANA time zone (" + e.getMessage()
          + "); use a name such as Europe/Berlin or America/New_York");
    }
    return Optional.empty();
  }

  /** The latest fire at or before {@code time}. */
  public static Optional<Instant> atOrBefore(String schedule, String timeZone, Instant time) {
    // cron-utils' lastExecution is strictly before its argument; fires fall on whole minutes, so a nanosecond later
    // includes a fire at exactly {@code time}.
    return executionTime(schedule).lastExecution(time.plusNanos(1).atZone(zone(timeZone))).map(ZonedDateTime::toInstant);
  }

  /** Fire times in (from, to], oldest first. */
  static List<Instant> between(String schedule, String timeZone, Instant from, Instant to) {
    ExecutionTime executions = executionTime(schedule);
    List<Instant> fires = new ArrayList<>();
    Optional<ZonedDateTime> next = executions.nextExecution(from.atZone(zone(timeZone)));
    while (next.isPresent() && !next.get().toInstant().isAfter(to)) {
      fires.add(next.get().toInstant());
      next = executions.nextExecution(next.get());
    }
    return fires;
  }

  private static ExecutionTime executionTime(String schedule) {
    // Parsing takes about a millisecond and keep-awake windows are read several times a reconcile: parsed
    // expressions (immutable) are kept, up to a bound, since the expressions come from users.
    ExecutionTime parsed = PARSED.get(schedule);
    if (parsed == null) {
      parsed = ExecutionTime.forCron(UNIX.parse(MACROS.getOrDefault(schedule.strip(), schedule.strip())));
      if (PARSED.size() >= MAX_PARSED) {
        PARSED.clear();
      }
      PARSED.put(schedule, parsed);
    }
    return parsed;
  }

  private static ZoneId zone(String timeZone) {
    return ZoneId.of(zoneName(timeZone));
  }
}
