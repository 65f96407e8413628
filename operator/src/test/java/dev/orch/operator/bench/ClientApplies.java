package dev.orch.operator.bench;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The objects an operator makes, server-side applied by a plain client: a benchmark's floor, what the API server
 * alone needs for them.
 */
final class ClientApplies {
  private ClientApplies() {
  }

  /** Applies the objects, {@code threads} at a time, and returns the seconds it took; a failed apply fails it. */
  static double seconds(KubernetesClient client, Collection<? extends HasMetadata> objects, int threads,
      String fieldManager) throws InterruptedException, ExecutionException {
    List<Callable<HasMetadata>> applies = objects.stream().<Callable<HasMetadata>>map(object -> () -> {
      // No owner: the garbage collector would delete objects whose owner does not exist.
      object.getMetadata().setOwnerReferences(null);
      return client.resource(object).fieldManager(fieldManager).forceConflicts().serverSideApply();
    }).toList();
    ExecutorService appliers = Executors.newFixedThreadPool(threads);
    try {
      long start = System.nanoTime();
      for (Future<HasMetadata> applied : appliers.invokeAll(applies)) {
        // A floor that counted failed applies as done would be too low.
        applied.get();
      }
      return (System.nanoTime() - start) / 1e9;
    } finally {
      appliers.shutdownNow();
    }
  }
}
