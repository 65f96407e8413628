package dev.orch.operator.core.reconcile;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** orch_reconcile_duration_seconds{kind}: one histogram per kind, on the operator's Prometheus endpoint. */
public final class ReconcileMetrics {
  private ReconcileMetrics() {
  }

  public static Timer timer(MeterRegistry meters, String kind) {
    return Timer.builder("orch.reconcile.duration").description("Time to reconcile one resource")
        .tag("kind", kind).publishPercentileHistogram().register(meters);
  }
}
