package dev.orch.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;

/** prepare's side of the agent-pod contract (contract/agent-pod.properties), which the operator's pod is tested against too. */
class RunnerContractTest {
  private static final Properties CONTRACT = contract();

  @Test
  void withoutItsVariablesPrepareLooksWhereThePodMountsThings() {
    RunnerSettings defaults = RunnerSettings.fromEnvironment(Map.of());
    assertThat(defaults.workspace()).isEqualTo(Path.of(value("path.workspace")));
    assertThat(defaults.statusDir()).isEqualTo(Path.of(value("path.status-dir")));
    assertThat(defaults.bundleSource()).isEqualTo(Path.of(value("path.bundle-source")));
    assertThat(defaults.gitCredentials()).isEqualTo(Path.of(value("path.git-credentials")));
    assertThat(defaults.httpPort()).isEqualTo(Integer.parseInt(value("port.agent-default")));
  }

  @Test
  void readsTheVariablesTheContractNames() {
    RunnerSettings settings = RunnerSettings.fromEnvironment(Map.of(
        value("env.bundle-kind"), "git",
        value("env.bundle-url"), "https://bundles.example.com/bot.tar.gz",
        value("env.bundle-sha256"), "ab12",
        value("env.git-repository"), "https://git.example.com/bot.git",
        value("env.git-ref"), "main",
        value("env.git-path"), "agents/bot",
        value("env.command"), "[\"python\", \"main.py\"]",
        value("env.args"), "[\"--verbose\"]",
        value("env.workspace"), "/w",
        value("env.status-dir"), "/s"));
    assertThat(settings).isEqualTo(new RunnerSettings("git", "https://bundles.example.com/bot.tar.gz", "ab12",
        "https://git.example.com/bot.git", "main", "agents/bot", List.of("python", "main.py"), List.of("--verbose"),
        Path.of("/w"), Path.of("/s"), settings.httpPort(), settings.bundleSource(), settings.gitCredentials(),
        settings.terminationLog(), settings.maxDownloadBytes(), false));
    assertThat(RunnerSettings.fromEnvironment(Map.of(value("env.http-port"), "4000")).httpPort()).isEqualTo(4000);
    assertThat(RunnerSettings.fromEnvironment(Map.of(value("env.port"), "4001")).httpPort()).isEqualTo(4001);
    assertThat(SecretMasker.valuesOf(Map.of(value("env.secret-names"), "TOKEN", "TOKEN", "s3cret"))).containsExactly("s3cret");
  }

  @Test
  void theImageWritesTheRuntimeIdThatOrchPodPrepareReadsAndHandsToTheJvm() throws IOException {
    String file = value("prepare.runtime-id-file");
    assertThat(Files.readString(Path.of("Containerfile"))).contains(">" + file);
    assertThat(Files.readString(Path.of("image", "orch-prepare"))).contains("orch-pod prepare --runtime " + file + " --");
    assertThat(DependencyInstaller.RUNTIME_ID).isEqualTo(value("prepare.env.runtime-id"));
  }

  @Test
  void writesTheStatusFileTheGatewayReads(@TempDir Path statusDir) throws IOException {
    new StatusFile(statusDir, Clock.systemUTC()).preparing("installing dependencies");
    Path file = statusDir.resolve(value("status.file"));
    assertThat(new ObjectMapper().readTree(file.toFile()).fieldNames()).toIterable()
        .containsExactlyInAnyOrder(value("status.fields").split(","));
  }

  private static String value(String key) {
    String value = CONTRACT.getProperty(key);
    assertThat(value).as("contract/agent-pod.properties has %s", key).isNotNull();
    return value;
  }

  /** The repository's contract file; tests run in the module's directory. */
  private static Properties contract() {
    Properties contract = new Properties();
    try (Reader in = Files.newBufferedReader(Path.of("..", "contract", "agent-pod.properties"))) {
      contract.load(in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read contract/agent-pod.properties: " + e.getMessage(), e);
    }
    return contract;
  }
}
