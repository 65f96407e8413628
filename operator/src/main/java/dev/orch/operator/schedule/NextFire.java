package dev.orch.operator.schedule;

import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Optional;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

/** When a cron schedule fires next, read the way the Kubernetes CronJob controller reads it (five Unix fields). */
final class NextFire {
  private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final Map<String, String> MACROS = Map.of(
      "@yearly", "0 0 1 1 *", "@annually", "0 0 1 1 *", "@monthly", "0 0 1 * *", "@weekly", "0 0 * * 0",
      "@daily", "0 0 * * *", "@midnight", "0 0 * * *", "@hourly", "0 * * * *");

  private NextFire() {
  }

  /**
   * @throws IllegalArgumentException with the parser's explanation when the expression or zone is invalid
   */
  static Optional<ZonedDateTime> after(String schedule, String timeZone, ZonedDateTime now) {
    ZoneId zone = timeZone == null ? ZoneOffset.UTC : ZoneId.of(timeZone);
    String expression = MACROS.getOrDefault(schedule.strip(), schedule.strip());
    return ExecutionTime.forCron(UNIX.parse(expression)).nextExecution(now.withZoneSameInstant(zone));
  }
}
