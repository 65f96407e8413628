package dev.orch.operator.sleep;

import java.time.Instant;
import java.util.Optional;

/**
 * What the gateways of one service's pods reported: the latest sign of use (a request started or ended, a
 * gateway started), whether any request or WebSocket is open now, and whether every pod answered. A gateway
 * that restarted has forgotten its last request, so its start counts as activity: a restart never makes a busy
 * agent look idle.
 *
 * @param complete every ready pod's gateway answered; without that nothing may be concluded about idleness
 */
public record GatewayActivity(Optional<Instant> latest, boolean busy, boolean complete) {
  public static final GatewayActivity UNKNOWN = new GatewayActivity(Optional.empty(), false, false);

  /** No pods run, so nothing is in use (and nothing can be asked). */
  public static final GatewayActivity NONE = new GatewayActivity(Optional.empty(), false, true);

  /** Combines two pods' reports. */
  public GatewayActivity and(GatewayActivity other) {
    Optional<Instant> later = latest.isEmpty() ? other.latest
        : other.latest.isEmpty() ? latest : Optional.of(latest.get().isAfter(other.latest.get()) ? latest.get() : other.latest.get());
    return new GatewayActivity(later, busy || other.busy, complete && other.complete);
  }
}
