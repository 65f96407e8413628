package dev.orch.operator.schedule;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.Map;

import jakarta.inject.Singleton;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.Response.Status;

import dev.orch.operator.core.config.OperatorSettings;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * POST /webhooks/NAMESPACE/SCHEDULE/TOKEN starts a run of a webhook schedule. Singleton, because the rate
 * limits live in the {@link WebhookTrigger} it holds.
 */
@Singleton
@Path(ScheduleWebhookResource.PATH)
public class ScheduleWebhookResource {
  public static final String PATH = "/webhooks";
  private static final Map<String, String> NOT_FOUND = Map.of("error", "no such webhook");
  private final WebhookTrigger trigger;
  private final int maxBodyBytes;

  public ScheduleWebhookResource(KubernetesClient client, OperatorSettings settings) {
    this.trigger = new WebhookTrigger(client, settings, Clock.systemUTC());
    this.maxBodyBytes = settings.webhooks().maxBodyBytes();
  }

  @POST
  @Path("/{namespace}/{schedule}/{token}")
  @Produces(MediaType.APPLICATION_JSON)
  public Response call(@PathParam("namespace") String namespace, @PathParam("schedule") String schedule,
      @PathParam("token") String token, InputStream body) throws IOException {
    byte[] input = body == null ? new byte[0] : body.readNBytes(maxBodyBytes + 1);
    if (input.length > maxBodyBytes) {
      return Response.status(Status.REQUEST_ENTITY_TOO_LARGE)
          .entity(Map.of("error", "the body is larger than " + maxBodyBytes + " bytes (orch.webhooks.max-body-bytes); "
              + "send a reference to the data instead of the data")).build();
    }
    WebhookTrigger.Outcome outcome = trigger.fire(namespace, schedule, token, input);
    return switch (outcome.kind()) {
      case STARTED -> Response.accepted(Map.of("run", outcome.run(), "status", "running")).build();
      case SKIPPED -> Response.ok(Map.of("activeRun", outcome.run(), "status", "skipped", "reason", outcome.detail())).build();
      case NOT_FOUND -> Response.status(Status.NOT_FOUND).entity(NOT_FOUND).build();
      case RATE_LIMITED -> Response.status(Status.TOO_MANY_REQUESTS)
          .header("Retry-After", Math.max(1, (outcome.retryAfter().toMillis() + 999) / 1000))
          .entity(Map.of("error", "too many calls for this webhook; retry after the Retry-After seconds")).build();
      case NOT_READY -> Response.status(Status.CONFLICT)
          .entity(Map.of("error", "the schedule cannot run now: " + outcome.detail())).build();
      case BAD_INPUT -> Response.status(Status.BAD_REQUEST).entity(Map.of("error", outcome.detail())).build();
    };
  }
}
