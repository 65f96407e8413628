package dev.orch.operator.core.status;

import java.util.Objects;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;

/** Writes a resource's status through the status subresource, only when it changed. */
public final class StatusWriter {
  private StatusWriter() {
  }

  public static boolean unchanged(Object before, Object after) {
    return before != null && Objects.equals(Serialization.asJson(before), Serialization.asJson(after));
  }

  /**
   * Server-side applies {@code status} and puts the result in the informer cache, so the next event's reconcile
   * already sees it and neither writes it again nor repeats its events.
   */
  public static <S, P extends CustomResource<?, S>> P write(P primary, S status, Context<P> context) {
    P statusOnly;
    try {
      @SuppressWarnings("unchecked")
      P empty = (P) primary.getClass().getDeclaredConstructor().newInstance();
      statusOnly = empty;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
    statusOnly.setMetadata(new ObjectMetaBuilder().withName(primary.getMetadata().getName())
        .withNamespace(primary.getMetadata().getNamespace()).build());
    statusOnly.setStatus(status);
    return PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(primary, statusOnly, context);
  }
}
