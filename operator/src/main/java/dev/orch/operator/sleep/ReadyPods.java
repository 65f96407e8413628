package dev.orch.operator.sleep;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.reconcile.Labels;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * The ready pods of one service the activator holds requests for, from a pod informer of its own that lives
 * while requests come (the activator closes it when the service has been quiet for a while). Whoever waits for
 * a ready pod is called back once one is there.
 *
 * <p>A pod counts as ready when the kubelet says so, or as soon as its gateway's {@code /health} answers 200:
 * while someone waits, the pods that have an address but are not Ready yet are asked every
 * {@value #HEALTH_POLL_MILLIS} ms, because the kubelet's Ready follows the readiness probe's period (5 s) and a
 * woken agent is usually healthy well before its next probe.
 */
final class ReadyPods implements AutoCloseable {
  static final long HEALTH_POLL_MILLIS = 100;
  private final SharedIndexInformer<Pod> informer;
  private final Vertx vertx;
  private final Function<String, Future<Boolean>> healthy;
  /** Addresses whose gateway answered /health 200, for pods the kubelet has not called Ready yet. */
  private final Set<String> answered = ConcurrentHashMap.newKeySet();
  private long poller = -1;
  private final List<Runnable> waiting = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  final AtomicInteger held = new AtomicInteger();
  volatile long lastUsedNanos = System.nanoTime();
  volatile long wakeAskedNanos;

  /**
   * @param healthy asks the gateway at an address for /health; true when it answered 200
   */
  ReadyPods(KubernetesClient client, SleepingServices.Target target, Vertx vertx, Function<String, Future<Boolean>> healthy) {
    this.vertx = vertx;
    this.healthy = healthy;
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
        answered.remove(address(pod));
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
    return informer.getStore().list().stream()
        .filter(p -> GatewayProbe.ready(p) || answered.contains(address(p)))
        .map(ReadyPods::address).filter(ip -> !ip.isBlank()).sorted().toList();
  }

  /** Runs {@code then} once a pod is ready (at once when one is). */
  void whenReady(Runnable then) {
    synchronized (waiting) {
      if (addresses().isEmpty()) {
        waiting.add(then);
        if (poller < 0) {
          poller = vertx.setPeriodic(HEALTH_POLL_MILLIS, id -> askStartingPods());
        }
        return;
      }
    }
    then.run();
  }

  /** Asks the gateway of each pod that has an address but is not Ready yet; one that answers 200 is ready. */
  private void askStartingPods() {
    for (Pod pod : informer.getStore().list()) {
      String address = address(pod);
      if (!address.isBlank() && pod.getMetadata().getDeletionTimestamp() == null && !GatewayProbe.ready(pod)
          && !answered.contains(address)) {
        healthy.apply(address).onSuccess(ok -> {
          if (ok) {
            answered.add(address);
            changed();
          }
        });
      }
    }
  }

  private static String address(Pod pod) {
    return pod.getStatus() == null || pod.getStatus().getPodIP() == null ? "" : pod.getStatus().getPodIP();
  }

  private void changed() {
    List<Runnable> now;
    synchronized (waiting) {
      if (waiting.isEmpty() || addresses().isEmpty()) {
        return;
      }
      now = new ArrayList<>(waiting);
      waiting.clear();
      stopPolling();
    }
    now.forEach(Runnable::run);
  }

  private void stopPolling() {
    if (poller >= 0) {
      vertx.cancelTimer(poller);
      poller = -1;
    }
  }

  @Override
  public void close() {
    synchronized (waiting) {
      stopPolling();
    }
    informer.close();
  }
}
