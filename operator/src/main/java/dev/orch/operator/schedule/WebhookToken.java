package dev.orch.operator.schedule;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A webhook schedule's secret: 256 random bits, URL-safe. The operator keeps only its SHA-256 (in status), so
 * it never needs to read Secrets back and a request is checked by comparing digests in constant time.
 */
final class WebhookToken {
  static final int RANDOM_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private WebhookToken() {
  }

  static String generate() {
    byte[] bytes = new byte[RANDOM_BYTES];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String sha256(String token) {
    return HexFormat.of().formatHex(digest(token));
  }

  /**
   * Digests have a fixed length whatever was presented, and MessageDigest.isEqual does not stop at the first
   * difference, so the time taken says nothing about how close a guess was.
   */
  static boolean matches(String expectedSha256, String presented) {
    byte[] expected = expectedSha256 == null ? new byte[32] : HexFormat.of().parseHex(expectedSha256);
    return MessageDigest.isEqual(expected, digest(presented == null ? "" : presented)) && expectedSha256 != null;
  }

  private static byte[] digest(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
