package dev.orch.operator.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.Base64;

import io.fabric8.kubernetes.client.KubernetesClient;

/** Reads a webhook schedule's token the way its README tells a user to: from the Secret NAME-webhook, key token. */
public final class WebhookTokens {
  private WebhookTokens() {
  }

  public static String of(KubernetesClient client, String schedule) {
    return new String(Base64.getDecoder().decode(client.secrets().withName(schedule + "-webhook").get().getData().get("token")), UTF_8);
  }
}
