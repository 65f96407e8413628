package dev.orch.operator.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class WebhookTokenTest {

  @Test
  void tokensAreUrlSafeAndCarry256RandomBits() {
    Set<String> tokens = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String token = WebhookToken.generate();
      assertThat(token).matches("[A-Za-z0-9_-]{43}");
      assertThat(Base64.getUrlDecoder().decode(token)).hasSize(32);
      tokens.add(token);
    }
    assertThat(tokens).hasSize(1000);
  }

  @Test
  void onlyTheExactTokenMatchesItsDigest() {
    String token = WebhookToken.generate();
    String digest = WebhookToken.sha256(token);
    assertThat(WebhookToken.matches(digest, token)).isTrue();
    assertThat(WebhookToken.matches(digest, token + "x")).isFalse();
    assertThat(WebhookToken.matches(digest, token.substring(1))).isFalse();
    assertThat(WebhookToken.matches(digest, "")).isFalse();
    assertThat(WebhookToken.matches(null, token)).as("no digest yet: nothing matches").isFalse();
    assertThat(WebhookToken.matches(null, "")).isFalse();
  }
}
