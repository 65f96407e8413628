package dev.orch.operator.sleep;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import dev.orch.operator.core.MetadataKeys;
import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;

class SleepingServicesTest {
  @Test
  void aServiceAnswersToItsClusterIpItsNamesAndItsIngressHost() {
    Service service = new ServiceBuilder().withNewMetadata().withName("bot").withNamespace("team-a")
        .addToAnnotations(MetadataKeys.ACTIVATOR_HOSTS, "bot.example.com").endMetadata()
        .withNewSpec().withClusterIPs("10.96.0.12").endSpec().build();
    assertThat(SleepingServices.hosts(service)).containsExactlyInAnyOrder("bot", "bot.team-a", "bot.team-a.svc",
        "bot.team-a.svc.cluster.local", "10.96.0.12", "bot.example.com");
  }

  @Test
  void theCachedPartOfAServiceStillAnswersToEveryHost() {
    Service service = new ServiceBuilder().withNewMetadata().withName("bot").withNamespace("team-a").withResourceVersion("42")
        .addToAnnotations(MetadataKeys.ACTIVATOR_HOSTS, "bot.example.com").addToAnnotations("note", "x".repeat(500))
        .addToLabels("app", "bot").endMetadata()
        .withNewSpec().withClusterIPs("10.96.0.12").withSelector(Map.of("app", "bot")).addNewPort().withPort(80).endPort().endSpec()
        .build();
    Service cached = SleepingServices.addressedPart(service);
    assertThat(SleepingServices.hosts(cached)).containsExactlyInAnyOrderElementsOf(SleepingServices.hosts(service));
    assertThat(cached.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(cached.getMetadata().getAnnotations()).containsOnlyKeys(MetadataKeys.ACTIVATOR_HOSTS);
    assertThat(cached.getSpec().getPorts()).isEmpty();
    assertThat(SleepingServices.hosts(SleepingServices.addressedPart(new ServiceBuilder().withNewMetadata().withName("bot")
        .withNamespace("team-a").endMetadata().build()))).hasSize(4);
  }

  @Test
  void theHostHeaderLosesItsPortAndTrailingDot() {
    assertThat(SleepingServices.withoutPort("bot.team-a.svc:80")).isEqualTo("bot.team-a.svc");
    assertThat(SleepingServices.withoutPort("bot.example.com.")).isEqualTo("bot.example.com");
    assertThat(SleepingServices.withoutPort("10.96.0.12")).isEqualTo("10.96.0.12");
    assertThat(SleepingServices.withoutPort("[fd00::12]:80")).isEqualTo("fd00::12");
  }
}
