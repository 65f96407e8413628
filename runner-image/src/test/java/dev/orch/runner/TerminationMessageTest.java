package dev.orch.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class TerminationMessageTest {
  @Test
  void headlineThenTheLastStderrLines() {
    assertThat(TerminationMessage.compose("agent exited with code 3", List.of("one", "two")))
        .isEqualTo("agent exited with code 3\nlast stderr lines:\none\ntwo");
    assertThat(TerminationMessage.compose("exited", List.of())).isEqualTo("exited");
  }

  @Test
  void keepsTheNewestLinesWithin4096Bytes() {
    List<String> tail = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      tail.add(i + " " + "é".repeat(200));
    }
    String message = TerminationMessage.compose("exited with code 1", tail);
    assertThat(message.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(TerminationMessage.MAX_BYTES);
    assertThat(message).startsWith("exited with code 1\nlast stderr lines:\n").endsWith(tail.get(19))
        .doesNotContain("\n0 é");
  }
}
