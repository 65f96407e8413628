package dev.orch.operator.agentservice.autoupdate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orch.operator.agent.Bundle;
import dev.orch.operator.agentservice.AgentService;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.core.MetadataKeys;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;

/** A branch head through the real git CLI over the file transport, and when checks are due. */
class BundleVersionsTest {
  private final BundleVersions versions = new BundleVersions(Optional.empty());

  @Test
  void aNewCommitOnTheBranchIsANewVersion(@TempDir Path repo) throws Exception {
    git(repo, "init", "-q", "-b", "main");
    Files.writeString(repo.resolve("main.py"), "print('v1')\n");
    git(repo, "add", ".");
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "v1");
    String v1 = git(repo, "rev-parse", "HEAD");

    assertThat(versions.gitHead("file://" + repo, "main")).isEqualTo(new BundleVersions.Result(v1, null));
    assertThat(versions.gitHead("file://" + repo, "HEAD").version()).isEqualTo(v1);

    Files.writeString(repo.resolve("main.py"), "print('v2')\n");
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "v2");
    String v2 = git(repo, "rev-parse", "HEAD");
    assertThat(v2).isNotEqualTo(v1);
    assertThat(versions.gitHead("file://" + repo, "main").version()).isEqualTo(v2);

    assertThat(versions.gitHead("file://" + repo, "release").error()).contains("has no branch or tag release");
    assertThat(versions.gitHead("file://" + repo.resolve("missing"), "main").error()).contains("git ls-remote");
  }

  @Test
  void checksAreDueOnFirstSightAfterTheIntervalAndWhenAsked() {
    AgentService service = service(Map.of());
    Instant now = Instant.parse("2026-11-30T10:00:00Z");
    assertThat(AutoUpdates.nextCheckIn(service, null, now)).contains(Duration.ZERO);

    AutoUpdateStatus seen = AutoUpdates.afterCheck(service, null, new BundleVersions.Result("abc", null), now.toString());
    assertThat(seen).isEqualTo(new AutoUpdateStatus("abc", "https://git.example.com/acme/bot.git#main", now.toString(), now.toString(),
        null, null));
    assertThat(AutoUpdates.nextCheckIn(service, seen, now.plusSeconds(60))).contains(Duration.ofMinutes(9));
    assertThat(AutoUpdates.nextCheckIn(service, seen, now.plusSeconds(601))).contains(Duration.ZERO);

    AutoUpdateStatus failed = AutoUpdates.afterCheck(service, seen, new BundleVersions.Result(null, "down"),
        now.plusSeconds(600).toString());
    assertThat(failed.version()).as("a failed check keeps the version").isEqualTo("abc");
    assertThat(failed.observedAt()).isEqualTo(now.toString());
    assertThat(failed.error()).isEqualTo("down");

    AgentService asked = service(Map.of(MetadataKeys.CHECK_UPDATE, "1"));
    assertThat(AutoUpdates.nextCheckIn(asked, seen, now.plusSeconds(1))).contains(Duration.ZERO);
    AutoUpdateStatus checked = AutoUpdates.afterCheck(asked, seen, new BundleVersions.Result("abc", null), now.plusSeconds(1).toString());
    assertThat(checked.handledCheck()).isEqualTo("1");
    assertThat(AutoUpdates.nextCheckIn(asked, checked, now.plusSeconds(2))).as("acted on once").isNotEqualTo(Optional.of(Duration.ZERO));
  }

  @Test
  void aVersionOfAnotherSourceIsNeitherKeptNorPinned() {
    AgentService service = service(Map.of());
    Instant now = Instant.parse("2026-11-30T10:00:00Z");
    AutoUpdateStatus seen = AutoUpdates.afterCheck(service, null, new BundleVersions.Result("abc", null), now.toString());
    PodTemplateSpec template = template();
    AutoUpdates.pin(template, service.getSpec(), seen);
    assertThat(template.getSpec().getContainers().get(0).getEnv()).extracting(EnvVar::getName).contains("ORCH_GIT_REF");

    service.getSpec().setBundle(new Bundle(null, null, null, new Bundle.GitSource("https://git.example.com/acme/bot.git",
        "release", null, null), null));
    assertThat(AutoUpdates.nextCheckIn(service, seen, now.plusSeconds(1))).as("a new source is checked at once")
        .contains(Duration.ZERO);
    PodTemplateSpec moved = template();
    AutoUpdates.pin(moved, service.getSpec(), seen);
    assertThat(moved.getSpec().getContainers().get(0).getEnv()).extracting(EnvVar::getName).doesNotContain("ORCH_GIT_REF");
    AutoUpdateStatus failed = AutoUpdates.afterCheck(service, seen, new BundleVersions.Result(null, "no branch release"),
        now.plusSeconds(1).toString());
    assertThat(failed.version()).as("the other branch's commit is not this one's").isNull();
    assertThat(failed.source()).isEqualTo("https://git.example.com/acme/bot.git#release");
  }

  private static PodTemplateSpec template() {
    return new PodTemplateSpecBuilder().withNewMetadata().endMetadata().withNewSpec().addNewContainer().withName("agent")
        .addNewEnv().withName("ORCH_BUNDLE_KIND").withValue("git").endEnv().endContainer().endSpec().build();
  }

  @Test
  void aServiceWithoutAutoUpdateNeitherChecksNorTellsAnything() {
    AgentService plain = service(Map.of());
    plain.getSpec().setAutoUpdate(null);
    assertThat(new VersionChecks(versions).observe(plain, Instant.now())).isEqualTo(VersionChecks.Observation.NONE);
    assertThat(AutoUpdates.nextCheckIn(plain, null, Instant.now())).isEmpty();
    assertThat(AutoUpdates.notice(plain, null, null)).isEmpty();
  }

  private static AgentService service(Map<String, String> annotations) {
    AgentServiceSpec spec = new AgentServiceSpec();
    spec.setAgent("acme/bot");
    spec.setBundle(new Bundle(null, null, null, new Bundle.GitSource("https://git.example.com/acme/bot.git", "main", null, null), null));
    spec.setAutoUpdate(new AgentServiceSpec.AutoUpdate(AgentServiceSpec.AutoUpdateSource.GIT, "10m"));
    AgentService service = new AgentService();
    service.setMetadata(new ObjectMetaBuilder().withName("bot").withNamespace("ns").withAnnotations(annotations).build());
    service.setSpec(spec);
    return service;
  }

  private static String git(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("git"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (process.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + ": " + output);
    }
    return output;
  }
}
