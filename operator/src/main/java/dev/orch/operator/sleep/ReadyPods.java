package dev.orch.operator.sleep;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.Labels;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

/**
 * The ready pods of one service the activator holds requests for, from a pod informer of its own that lives
 * while requests come (the activator closes it when the service has been quiet for a while). Whoever waits for
 * a ready pod is called back once one is there.
 */
final class ReadyPods implements AutoCloseable {
  private final SharedIndexInformer<Pod> informer;
  private final List<Runnable> waiting = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  final AtomicInteger held = new AtomicInteger();
  volatile long lastUsedNanos = System.nanoTime();
  volatile long wakeAskedNanos;

  ReadyPods(KubernetesClient client, SleepingServices.Target target) {
    informer = client.pods().inNamespace(target.namespace())
        .withLabel(Labels.INSTANCE, target.name()).withLabel(MetadataKeys.KIND, "agentservice").runnableInformer(0);
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        changed();
      }

      @Override
      public void onUpdate(Pod before, Pod after) {
        changed();
      }

      @Override
      public void onDelete(Pod pod, boolean unknownFinalState) {
      }
    });
    informer.start();
  }

  /** The gateway address of a ready pod, round robin; null when none is ready. */
  String pick() {
    List<String> ready = addresses();
    return ready.isEmpty() ? null : ready.get(Math.floorMod(next.getAndIncrement(), ready.size()));
  }

  List<String> addresses() {
    return informer.getStore().list().stream().filter(GatewayProbe::ready)
        .map(p -> p.getStatus().getPodIP()).filter(ip -> ip != null && !ip.isBlank()).sorted().toList();
  }

  /** Runs {@code then} once a pod is ready (at once when one is). */
  void whenReady(Runnable then) {
    synchronized (waiting) {
      if (addresses().isEmpty()) {
        waiting.add(then);
        return;
      }
    }
    then.run();
  }

  private void changed() {
    List<Runnable> now;
    synchronized (waiting) {
      if (waiting.isEmpty() || addresses().isEmpty()) {
        return;
      }
      now = new ArrayList<>(waiting);
      waiting.clear();
    }
    now.forEach(Runnable::run);
  }

  @Override
  public void close() {
    informer.close();
  }
}
