package dev.orch.operator.core.reconcile;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.orch.operator.agent.AgentTemplate;
import dev.orch.operator.core.bundle.BundleCheck;
import dev.orch.operator.core.bundle.BundleConfigMaps;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.secrets.AgentSecrets;
import dev.orch.operator.core.secrets.VaultSecretEventSource;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.status.EventRecorder;
import dev.orch.operator.core.status.EventRecorder.Notice;
import dev.orch.operator.core.status.OrchStatus;
import dev.orch.operator.core.status.ReconcileFailure;
import dev.orch.operator.core.status.StatusWriter;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.CustomResource;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.micrometer.core.instrument.MeterRegistry;
import org.jboss.logging.Logger;

/**
 * The reconcile AgentService, Swarm and Schedule share; each kind only {@link #decide}s. Top to bottom: observe
 * the bundle ConfigMap, the vault Secret's keys and the live pods; let the kind apply its plan (when nothing blocks
 * it) and compute its status; write that status once, only when it changed, and then announce the change (events,
 * one log line); look again when the kind asks to.
 */
public abstract class AgentReconciler<P extends CustomResource<? extends AgentTemplate, S>, S extends OrchStatus>
    implements Reconciler<P> {
  private static final Logger LOG = Logger.getLogger(AgentReconciler.class);
  protected final OperatorSettings settings;
  protected final MeterRegistry meters;
  private final String madeFor;
  private final Supplier<S> emptyStatus;
  private VaultSecretEventSource<P> vault;
  protected EventRecorder events;

  /**
   * @param madeFor the label selector of the objects the operator makes for this kind ({@code Labels.MADE_FOR_*})
   */
  protected AgentReconciler(OperatorSettings settings, MeterRegistry meters, String madeFor, Supplier<S> emptyStatus) {
    this.settings = settings;
    this.meters = meters;
    this.madeFor = madeFor;
    this.emptyStatus = emptyStatus;
  }

  /** For the client proxy Quarkus puts in front of an application-scoped reconciler; the proxy never reconciles. */
  protected AgentReconciler() {
    this.settings = null;
    this.meters = null;
    this.madeFor = null;
    this.emptyStatus = null;
  }

  /** What a reconcile saw before deciding anything. */
  public record Observed(BundleCheck bundle, AgentSecrets secrets, List<Pod> livePods, Instant now) {
    /** True when the plan may be applied: the bundle is there and the vault holds every key. */
    public boolean deployable() {
      return bundle.satisfied() && secrets.check().satisfied();
    }

    /** The time conditions record, to the second, so re-reconciling within a second writes nothing new. */
    public String timestamp() {
      return now.truncatedTo(ChronoUnit.SECONDS).toString();
    }
  }

  /**
   * A kind's conclusion: the status to show, the events its change deserves (sent only when the status changed),
   * when to look again, and what to do once the status is written (given the written resource).
   */
  public record Decision<P, S>(S status, List<Notice> notices, Optional<Duration> recheckIn, Consumer<P> afterWrite) {
    public Decision(S status, List<Notice> notices, Optional<Duration> recheckIn) {
      this(status, notices, recheckIn, written -> { });
    }
  }

  /**
   * Applies the kind's plan when {@code seen} allows it and computes the status, as a {@link Decision}. The
   * primary's status is never null here: a new resource has an empty one.
   */
  protected abstract Decision<P, S> decide(P primary, Observed seen, Context<P> context);

  /** Event sources beyond the vault, the pods and the bundles. */
  protected List<EventSource<?, P>> moreEventSources(EventSourceContext<P> context) {
    return List.of();
  }

  /** Runs after every reconcile, once the status is written. */
  protected void afterReconcile(P primary, Context<P> context) {
  }

  @Override
  public List<EventSource<?, P>> prepareEventSources(EventSourceContext<P> context) {
    vault = new VaultSecretEventSource<>(context, settings.vaultSecretName());
    events = new EventRecorder(context.getClient());
    List<EventSource<?, P>> sources = new ArrayList<>(List.of(vault, OwnedResources.pods(context, madeFor),
        BundleConfigMaps.eventSource(context)));
    sources.addAll(moreEventSources(context));
    return sources;
  }

  @Override
  public ErrorStatusUpdateControl<P> updateErrorStatus(P primary, Context<P> context, Exception error) {
    return ReconcileFailure.report(primary, context, error, events, emptyStatus);
  }

  /** Timed by java-operator-sdk (operator_sdk_controllers_execution_reconcile_seconds{controller}). */
  @Override
  public UpdateControl<P> reconcile(P primary, Context<P> context) {
    BundleCheck bundle = BundleConfigMaps.check(primary, context);
    var seen = new Observed(bundle, AgentSecrets.of(primary, primary.getSpec(), bundle, vault),
        context.getSecondaryResources(Pod.class).stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null)
            .toList(), Instant.now());
    S before = primary.getStatus();
    if (before == null) {
      // A new resource: each kind reads its previous status as an empty one, without checking for none.
      primary.setStatus(emptyStatus.get());
    }
    Decision<P, S> decision = decide(primary, seen, context);
    if (!StatusWriter.unchanged(before, decision.status())) {
      P written = StatusWriter.write(primary, decision.status(), context);
      logChange(primary, before, decision.status());
      bundle.noticeAfter(before == null ? null : before.getConditions()).ifPresent(notice -> events.emit(primary, notice));
      decision.notices().forEach(notice -> events.emit(primary, notice));
      decision.afterWrite().accept(written);
    } else if (LOG.isDebugEnabled()) {
      LOG.debugf("%s %s/%s: unchanged", primary.getKind(), primary.getMetadata().getNamespace(), primary.getMetadata().getName());
    }
    afterReconcile(primary, context);
    return decision.recheckIn().map(wait -> UpdateControl.<P>noUpdate().rescheduleAfter(wait))
        .orElseGet(UpdateControl::noUpdate);
  }

  /** One INFO line per status change: the Ready condition's reason and message, and the reason it replaced. */
  private void logChange(P primary, S before, S after) {
    String was = Conditions.find(before == null ? null : before.getConditions(), Conditions.READY).map(Condition::getReason)
        .orElse("new");
    Optional<Condition> ready = Conditions.find(after.getConditions(), Conditions.READY);
    String reason = ready.map(Condition::getReason).orElse("");
    LOG.infof("%s %s/%s: %s (%s): %s", primary.getKind(), primary.getMetadata().getNamespace(), primary.getMetadata().getName(), reason,
        reason.equals(was) ? "status updated" : "was " + was, ready.map(Condition::getMessage).orElse(""));
  }
}
