package dev.orch.operator.bench;

import java.util.Collection;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The objects an operator makes, server-side applied by a plain client: a benchmark's floor, what the API server
 * alone needs for them.
 */
final class ClientApplies {
  private ClientApplies() {
  }

  /** Applies the objects, {@code threads} at a time, and returns the seconds it took. */
  static double seconds(KubernetesClient client, Collection<? extends HasMetadata> objects, int threads,
      String fieldManager) throws InterruptedException {
    ExecutorService appliers = Executors.newFixedThreadPool(threads);
    long start = System.nanoTime();
    for (HasMetadata object : objects) {
      // No owner: the garbage collector would delete objects whose owner does not exist.
      object.getMetadata().setOwnerReferences(null);
      appliers.submit(() -> client.resource(object).fieldManager(fieldManager).forceConflicts().serverSideApply());
    }
    appliers.shutdown();
    appliers.awaitTermination(10, TimeUnit.MINUTES);
    return (System.nanoTime() - start) / 1e9;
  }
}
