package dev.orch.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EntrypointDetectorTest {
  private final EntrypointDetector detector = new EntrypointDetector();

  @TempDir
  Path bundle;

  @Test
  void commandOverrideWinsOverEverything() throws IOException {
    touch("main.py", "index.js");
    Files.writeString(bundle.resolve("orchagent.json"), "{\"run_command\": \"python other.py\"}");
    assertThat(detector.detect(bundle, List.of("python"), List.of("src/main.py", "--verbose")).command())
        .containsExactly("python", "src/main.py", "--verbose");
  }

  @Test
  void manifestRunCommandThenRuntimeCommand() throws IOException {
    touch("main.py");
    Files.writeString(bundle.resolve("orchagent.json"), "{\"runtime\": {\"command\": \"python 'src/my start.py'\"}}");
    assertThat(detector.detect(bundle, List.of(), List.of("--port=3000")).command())
        .containsExactly("python", "src/my start.py", "--port=3000");

    Files.writeString(bundle.resolve("orchagent.json"),
        "{\"run_command\": \"node dist/bot.js\", \"runtime\": {\"command\": \"python x.py\"}}");
    assertThat(detector.detect(bundle, List.of(), List.of()).command()).containsExactly("node", "dist/bot.js");
  }

  @Test
  void pythonFilesInDocumentedOrderBeforeNodeFiles() throws IOException {
    touch("server.js", "index.py", "bot.py");
    assertThat(detector.detect(bundle, List.of(), List.of()).command()).containsExactly("python", "bot.py");
    Files.delete(bundle.resolve("bot.py"));
    assertThat(detector.detect(bundle, List.of(), List.of()).command()).containsExactly("python", "index.py");
    Files.delete(bundle.resolve("index.py"));
    touch("app.js");
    assertThat(detector.detect(bundle, List.of(), List.of()).command()).containsExactly("node", "app.js");
  }

  @Test
  void noEntrypointNamesTheThreeFixes() throws IOException {
    touch("README.md", "src/start.py");
    assertThatThrownBy(() -> detector.detect(bundle, List.of(), List.of()))
        .isInstanceOf(EntrypointDetector.NoEntrypointException.class)
        .hasMessageContaining("spec.command")
        .hasMessageContaining("run_command")
        .hasMessageContaining("main.py, app.py, bot.py, server.py, index.py")
        .hasMessageContaining("index.js, main.js, app.js, bot.js, server.js");
  }

  private void touch(String... files) throws IOException {
    for (String file : files) {
      Path path = bundle.resolve(file);
      Files.createDirectories(path.getParent());
      Files.writeString(path, "");
    }
  }
}
