package dev.orch.operator.core.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AlertWebhookTest {

  @Test
  void refusesUrlsThatAreNotHttpsOrPointAtTheOperatorsHostOrTheNodesMetadata() {
    assertThat(AlertWebhook.refusal("http://hooks.example.com/x")).get().asString().contains("must be an https:// URL");
    assertThat(AlertWebhook.refusal("https://169.254.169.254/latest/meta-data/")).get().asString().contains("link-local");
    assertThat(AlertWebhook.refusal("https://[fe80::1]/x")).get().asString().contains("link-local");
    assertThat(AlertWebhook.refusal("https://metadata.google.internal/computeMetadata/v1/")).get().asString().contains("metadata");
    assertThat(AlertWebhook.refusal("https://[fd00:ec2::254]/")).get().asString().contains("metadata");
    assertThat(AlertWebhook.refusal("https://127.0.0.1:8443/alerts")).get().asString().contains("loopback");
    assertThat(AlertWebhook.refusal("https://[::1]/alerts")).get().asString().contains("loopback");
    assertThat(AlertWebhook.refusal("https://localhost/alerts")).as("a name that resolves to loopback")
        .get().asString().contains("loopback");
    assertThat(AlertWebhook.refusal("https://0.0.0.0/alerts")).get().asString().contains("loopback");
    assertThat(AlertWebhook.refusal("https://10.0.0.7:8443/alerts")).as("an in-cluster receiver").isEmpty();
  }
}
