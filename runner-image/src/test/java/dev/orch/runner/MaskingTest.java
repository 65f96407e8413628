package dev.orch.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class MaskingTest {
  private final List<String> lines = new ArrayList<>();

  @Test
  void masksEveryOccurrenceLongestFirst() {
    SecretMasker masker = new SecretMasker(List.of("abc", "abcdef"));
    assertThat(masker.mask("x abcdef y abc z")).isEqualTo("x [REDACTED] y [REDACTED] z");
  }

  @Test
  void secretsComeFromTheNamedVariablesOnly() {
    Map<String, String> env = Map.of("ORCH_SECRET_NAMES", "TOKEN, DB_URL,MISSING", "TOKEN", "tok-123",
        "DB_URL", "postgres://u:pw@db", "OTHER", "visible");
    SecretMasker masker = new SecretMasker(SecretMasker.valuesOf(env));
    assertThat(masker.mask("tok-123 postgres://u:pw@db visible")).isEqualTo("[REDACTED] [REDACTED] visible");
  }

  @Test
  void multiLineSecretIsMaskedLineByLine() {
    SecretMasker masker = new SecretMasker(List.of("-----BEGIN KEY-----\nAAAA1111\n-----END KEY-----\n"));
    MaskingLineSplitter splitter = new MaskingLineSplitter(masker, lines::add);
    splitter.write("key:\n-----BEGIN KEY-----\nAAAA1111\n-----END KEY-----\n");
    assertThat(lines).containsExactly("key:", "[REDACTED]", "[REDACTED]", "[REDACTED]");
  }

  @Test
  void secretSplitAcrossTwoWritesIsMasked() {
    MaskingLineSplitter splitter = new MaskingLineSplitter(new SecretMasker(List.of("s3cr3t-value")), lines::add);
    splitter.write("token=s3cr");
    splitter.write("3t-value and more\r\nnext ");
    splitter.write("line");
    assertThat(lines).containsExactly("token=[REDACTED] and more");
    splitter.finish();
    assertThat(lines).containsExactly("token=[REDACTED] and more", "next line");
  }

  @Test
  void everySplitPointOfAChunkedStreamIsMasked() {
    String text = "a secret-XYZ b secret-XYZ\nsecret-XYZ";
    for (int cut = 0; cut <= text.length(); cut++) {
      lines.clear();
      MaskingLineSplitter splitter = new MaskingLineSplitter(new SecretMasker(List.of("secret-XYZ")), lines::add);
      splitter.write(text.substring(0, cut));
      splitter.write(text.substring(cut));
      splitter.finish();
      assertThat(lines).as("cut at %d", cut).containsExactly("a [REDACTED] b [REDACTED]", "[REDACTED]");
    }
  }

  @Test
  void overlongLineIsEmittedInPartsWithoutCuttingASecret() {
    String secret = "TOPSECRET";
    SecretMasker masker = new SecretMasker(List.of(secret));
    for (int offset = 0; offset < secret.length() + 2; offset++) {
      lines.clear();
      MaskingLineSplitter splitter = new MaskingLineSplitter(masker, lines::add);
      String filler = "x".repeat(MaskingLineSplitter.MAX_LINE + offset);
      splitter.write(filler.substring(0, MaskingLineSplitter.MAX_LINE - 3));
      splitter.write(filler.substring(MaskingLineSplitter.MAX_LINE - 3) + secret + "y".repeat(100) + "\n");
      String joined = String.join("", lines);
      assertThat(lines).hasSizeGreaterThan(1);
      assertThat(joined).doesNotContain("TOP").doesNotContain("SECRET").contains("[REDACTED]");
      assertThat(joined.length()).isEqualTo(filler.length() + "[REDACTED]".length() + 100);
    }
  }
}
