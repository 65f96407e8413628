package dev.orch.podtests;

import static dev.orch.podtests.PodmanAgentPod.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.fasterxml.jackson.databind.JsonNode;

import dev.orch.podtests.PodmanAgentPod.Agent;
import dev.orch.podtests.PodmanAgentPod.Response;

/**
 * The runner and gateway images, run as the agent pod runs them (see {@link PodmanAgentPod}), with real
 * Python and Node.js agents from src/test/resources/bundles. The images are built from the jars and the
 * orch-pod binary of this build by hack/images.sh, which skips the build when nothing changed. The agent's
 * lines reach the container log as the agent wrote them (masking aside); the supervisor's own lines start
 * with {@code [runner]}.
 */
@Timeout(180)
class AgentPodIT {
  private static final Duration START = Duration.ofSeconds(60);
  private static Podman podman;

  @RegisterExtension
  final PodCleanup pods = new PodCleanup(podman, Path.of("target", "pods").toAbsolutePath());

  @BeforeAll
  static void buildImages() {
    podman = Podman.withImagesBuilt(Path.of(System.getProperty("orch.repo.dir", "..")).toAbsolutePath().normalize());
  }

  @Test
  void pythonHttpAgentIsHealthyAndServedThroughTheGatewayUntilItStops() {
    PodmanAgentPod pod = pods.start("python-http", Agent.of("python-http"));
    assertUnavailable(await("the gateway", START, pod::health, r -> r.status() > 0), "starting", "no status file");

    long prepareStarted = System.nanoTime();
    Podman.Result prepare = pod.prepare();
    long prepareMillis = millisSince(prepareStarted);
    assertThat(prepare.exitCode()).as(prepare.stderr()).isZero();
    assertThat(prepare.stderr()).contains("no requirements.txt, pyproject.toml or package.json");
    assertUnavailable(pod.health(), "preparing", "waiting for the agent container");

    long agentStarted = System.nanoTime();
    pod.startAgent();
    await("status running", START, pod::status, s -> s != null && s.path("phase").asText().equals("running"));
    long runningMillis = millisSince(agentStarted);
    Response health = await("/health 200 with the port open", START, pod::health,
        r -> r.status() == 200 && r.json().path("listening").asBoolean());
    long healthyMillis = millisSince(agentStarted);
    System.out.printf("pod-tests: prepare (no dependencies) %d ms; agent container start -> status running %d ms,"
        + " -> /health 200 listening %d ms%n", prepareMillis, runningMillis, healthyMillis);
    JsonNode body = health.json();
    assertThat(body.path("status").asText()).isEqualTo("ok");
    assertThat(body.path("phase").asText()).isEqualTo("running");
    assertThat(body.path("port").asInt()).isEqualTo(3000);
    assertThat(body.path("pid").asLong()).isPositive();

    Response get = pod.get("/webhook/telegram?update=1");
    assertThat(get.status()).isEqualTo(200);
    assertThat(get.body()).contains("python agent path=/webhook/telegram?update=1")
        .contains("host=127.0.0.1:" + pod.port()).contains("xfproto=http").doesNotContain("xff=None");
    assertThat(pod.post("/echo", "ping from the test")).isEqualTo(new Response(200, "echo:ping from the test"));
    assertThat(pod.logs("agent")).contains("[runner] starting `python main.py` (found main.py)")
        .containsPattern("(?m)^python agent listening on 3000$").contains("\"GET /webhook/telegram?update=1 HTTP/1.1\" 200");

    pod.stopAgent();
    assertThat(pod.awaitExit("agent")).isEqualTo(143);
    assertThat(pod.terminationMessage())
        .startsWith("agent `python main.py` exited with code 143 (killed by signal 15) after the runner forwarded SIGTERM");
    Response dead = await("/health 503", Duration.ofSeconds(10), pod::health, r -> r.status() == 503);
    assertUnavailable(dead, "exited", "the agent exited with code 143");
  }

  @Test
  void workerWithoutAPortIsHealthyAndItsOrphansAreReaped() {
    PodmanAgentPod pod = pods.start("python-worker", Agent.of("python-worker"));
    assertThat(pod.prepare().exitCode()).isZero();
    pod.startAgent();
    String logs = await("the helper to finish and the worker to tick", START, () -> pod.logs("agent"),
        l -> l.contains("worker tick 3") && l.contains("done"));
    assertThat(logs).containsPattern("(?m)^helper \\d+ done$");

    Response health = await("/health 200", START, pod::health, r -> r.status() == 200);
    assertThat(health.json().path("listening").asBoolean()).isFalse();
    assertThat(pod.get("/anything").status()).as("nothing listens on the agent's port").isEqualTo(502);

    // The helper has exited; without an init process as PID 1 it would now be a zombie in the container.
    String states = pod.exec("agent", "sh", "-c", "for f in /proc/[0-9]*/stat; do cat \"$f\"; echo; done")
        .orThrow().stdout();
    assertThat(Arrays.stream(states.split("\n")).filter(line -> line.contains(")"))
        .map(line -> line.substring(line.lastIndexOf(')') + 2, line.lastIndexOf(')') + 3)))
        .as("process states in the agent container:\n" + states).doesNotContain("Z").isNotEmpty();
    assertThat(pod.exec("agent", "cat", "/proc/1/cmdline").stdout()).isEqualTo("/usr/local/bin/orch-pod\0supervise\0");
    // AgentPod's security context, as the pod runs it: user 65532 and a read-only root file system.
    assertThat(pod.exec("agent", "id", "-u").orThrow().stdout().strip()).isEqualTo("65532");
    assertThat(pod.exec("agent", "cat", "/proc/self/mounts").orThrow().stdout()).containsPattern("(?m)^\\S+ / \\S+ ro[, ]");
    // openssh-client, for git bundles and agents that use git over ssh.
    assertThat(pod.exec("agent", "ssh", "-V").orThrow().stderr()).startsWith("OpenSSH_");
  }

  @Test
  void nodeHttpAgentInstallsItsVendoredDependencyWithoutARegistry() {
    PodmanAgentPod pod = pods.start("node-http", Agent.of("node-http"));
    Podman.Result prepare = pod.prepare();
    assertThat(prepare.exitCode()).as(prepare.stdout() + prepare.stderr()).isZero();
    assertThat(prepare.stderr()).contains("npm install");
    pod.startAgent();
    await("/health 200 with the port open", START, pod::health,
        r -> r.status() == 200 && r.json().path("listening").asBoolean());
    assertThat(pod.get("/hi")).isEqualTo(new Response(200, "hello node, from the vendored greeting module path=/hi"));
    assertThat(pod.logs("agent")).contains("starting `node index.js` (found index.js)");
  }

  @Test
  void runCommandFromOrchagentJsonComesBeforeMainPy() {
    PodmanAgentPod pod = pods.start("run-command", Agent.of("run-command"));
    assertThat(pod.prepare().exitCode()).isZero();
    pod.startAgent();
    String logs = await("start.py to print its arguments", START, () -> pod.logs("agent"),
        l -> l.contains("start.py args="));
    assertThat(logs).contains("starting `python src/start.py --greeting hello there` (orchagent.json run_command)")
        .containsPattern("(?m)^start.py args=\\['--greeting', 'hello there'\\]$").doesNotContain("main.py ran");
    assertThat(await("/health 200", START, pod::health, r -> r.status() == 200).json().path("phase").asText())
        .isEqualTo("running");
  }

  @Test
  void bundleWithoutEntrypointFailsNamingTheThreeFixes() {
    PodmanAgentPod pod = pods.start("no-entrypoint", Agent.of("no-entrypoint"));
    assertThat(pod.prepare().exitCode()).isZero();
    pod.startAgent();
    assertThat(pod.awaitExit("agent")).isEqualTo(2);
    String fixes = "no entrypoint found in the bundle at /orch/workspace/bundle. Fix it in one of three ways:";
    assertThat(pod.logs("agent")).contains("[runner] error: " + fixes)
        .contains("1. set spec.command").contains("2. add \"run_command\"")
        .contains("3. name the entry file one of main.py, app.py, bot.py, server.py, index.py (Python) or index.js");
    assertThat(pod.terminationMessage()).startsWith(fixes).contains("spec.command").contains("run_command")
        .contains("index.js");
    assertUnavailable(await("/health 503 failed", START, pod::health, r -> r.body().contains("\"failed\"")),
        "failed", "the runner could not start the agent: no entrypoint found");
  }

  @Test
  void crashingAgentLeavesItsExitCodeAndLastOutputLines() {
    PodmanAgentPod pod = pods.start("crash", Agent.of("crash"));
    assertThat(pod.prepare().exitCode()).isZero();
    pod.startAgent();
    assertThat(pod.awaitExit("agent")).isEqualTo(3);
    assertThat(pod.terminationMessage()).isEqualTo("agent `python main.py` exited with code 3\n"
        + "last output lines:\nconnecting to the moon\nfatal: cannot reach the moon (connection refused)");
    assertUnavailable(await("/health 503 exited", START, pod::health, r -> r.body().contains("\"exited\"")),
        "exited", "the agent exited with code 3");
  }

  @Test
  void secretValuesNeverReachTheLogsOrTheTerminationMessage() {
    String token = "tok_" + UUID.randomUUID().toString().replace("-", "");
    String password = "pw-" + UUID.randomUUID().toString().substring(0, 13);
    PodmanAgentPod pod = pods.start("secret",
        Agent.of("secret").withSecrets(Map.of("API_TOKEN", token, "DB_PASSWORD", password)));
    assertThat(pod.prepare().exitCode()).isZero();
    pod.startAgent();
    assertThat(pod.awaitExit("agent")).isEqualTo(1);
    String logs = pod.logs("agent");
    assertThat(logs).as("the agent saw the real value").contains("token length " + token.length())
        .doesNotContain(token).doesNotContain(password).doesNotContain(token.substring(7))
        .containsPattern("(?m)^token=\\[REDACTED\\]$").containsPattern("(?m)^dsn=postgres://app:\\[REDACTED\\]@db:5432/app$")
        .containsPattern("(?m)^split=\\[REDACTED\\] end$").containsPattern("(?m)^auth failed for token \\[REDACTED\\]$");
    assertThat(pod.terminationMessage()).contains("auth failed for token [REDACTED]").doesNotContain(token);
  }

  private static void assertUnavailable(Response response, String phase, String reason) {
    assertThat(response.status()).as(response.body()).isEqualTo(503);
    assertThat(response.json().path("status").asText()).isEqualTo("unavailable");
    assertThat(response.json().path("phase").asText()).isEqualTo(phase);
    assertThat(response.json().path("reason").asText()).contains(reason);
  }

  private static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }
}
