package dev.orch.operator.core.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.core.crashloop.CrashLoopRecord.AlertOutcome;
import dev.orch.operator.core.status.EventRecorder;
import dev.orch.operator.testing.HttpsReceiver;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

@WithKubernetes
class AlertSenderTest {
  private final KubernetesClient client;

  AlertSenderTest(KubernetesClient client) {
    this.client = client;
  }

  @Test
  void aFullQueueRefusesAtOnceAndSaysSo(@TempDir Path workDir) throws Exception {
    try (HttpsReceiver receiver = new HttpsReceiver(workDir)) {
      var sender = new AlertSender<AgentService>(new AlertWebhook(Optional.of(receiver.caBundle()), 1,
          Duration.ofMinutes(5), Duration.ofSeconds(1)), new SimpleMeterRegistry());
      List<Event> woken = new CopyOnWriteArrayList<>();
      sender.setEventHandler(woken::add);
      sender.announceWith(new EventRecorder(client));
      sender.start();
      try {
        for (int index = 0; index < AlertSender.SENDERS + AlertSender.QUEUED; index++) {
          sender.send(service("waiting-" + index), receiver.hangingUrl(), payload("waiting-" + index));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> receiver.hung.size() == AlertSender.SENDERS);

        AgentService last = service("one-too-many");
        sender.send(last, receiver.hangingUrl(), payload("one-too-many"));
        AlertOutcome refused = sender.pending(last).orElseThrow();
        assertThat(refused.delivered()).isFalse();
        assertThat(refused.error()).contains(AlertSender.QUEUED + " alerts were already waiting");
        assertThat(woken).extracting(e -> e.getRelatedCustomResourceID().getName()).containsExactly("one-too-many");

        sender.written(last, refused);
        assertThat(sender.pending(last)).as("written to status, so forgotten").isEmpty();
      } finally {
        sender.stop();
      }
    }
  }

  private AgentService service(String name) {
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(client.getNamespace()).withUid(name).build());
    return service;
  }

  private static AlertWebhook.Payload payload(String name) {
    return new AlertWebhook.Payload(AlertWebhook.CRASH_LOOP_EVENT, name, "ns", name, 3, 3, 3, true, "boom");
  }
}
