package dev.orch.operator.core.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.status.Conditions;
import dev.orch.operator.core.status.EventRecorder;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;

/** What the operator concludes from a bundle ConfigMap, without a cluster. */
class BundleCheckTest {
  private static final String MANIFEST = "{\"required_secrets\": [\"DISCORD_BOT_TOKEN\"]}";

  @Test
  void aFoundBundleGivesItsManifestsSecretsAndTheDigestOfItsFiles() {
    ConfigMap bundle = bundle(Map.of("main.py", "print(1)\n", "orchagent.json", MANIFEST));
    BundleCheck found = BundleCheck.found(bundle);
    assertThat(found.satisfied()).isTrue();
    assertThat(found.requiredSecrets()).containsExactly("DISCORD_BOT_TOKEN");
    assertThat(found.podAnnotations()).containsExactly(Map.entry(MetadataKeys.BUNDLE_SHA256, BundleCheck.digest(bundle)));
    assertThat(BundleCheck.notAConfigMap().podAnnotations()).isEmpty();
  }

  @Test
  void anyEditOfTheFilesChangesTheDigestAndNothingElseDoes() {
    String original = BundleCheck.digest(bundle(Map.of("main.py", "print(1)\n")));
    assertThat(BundleCheck.digest(bundle(Map.of("main.py", "print(1)\n")))).isEqualTo(original);
    assertThat(BundleCheck.digest(bundle(Map.of("main.py", "print(2)\n")))).isNotEqualTo(original);
    assertThat(BundleCheck.digest(bundle(Map.of("app.py", "print(1)\n")))).as("renamed").isNotEqualTo(original);
    assertThat(BundleCheck.digest(bundle(Map.of("main.py", "print(1)\n", "extra.py", "")))).as("added").isNotEqualTo(original);
    assertThat(BundleCheck.digest(new ConfigMapBuilder(bundle(Map.of())).withBinaryData(Map.of("main.py", "cHJpbnQoMSkK")).build()))
        .as("the same file as binaryData").isNotEqualTo(original);
  }

  @Test
  void missingAndUnlabelledBundlesSayWhatToRun() {
    assertThat(BundleCheck.notFound("team-a", "bot-bundle").problem()).get().satisfies(p -> {
      assertThat(p.reason()).isEqualTo("BundleNotFound");
      assertThat(p.message()).contains("kubectl -n team-a create configmap bot-bundle --from-file=<agent-directory>/",
          "kubectl -n team-a label configmap bot-bundle orch.dev/bundle=true");
    });
    assertThat(BundleCheck.notLabelled("team-a", "bot-bundle").problem()).get().satisfies(p -> {
      assertThat(p.reason()).isEqualTo("BundleNotLabelled");
      assertThat(p.message()).contains("lacks the label orch.dev/bundle=true", "kubectl -n team-a label configmap bot-bundle orch.dev/bundle=true");
    });
  }

  @Test
  void aProblemIsAnnouncedOnceNotOnEveryStatusChange() {
    BundleCheck missing = BundleCheck.notFound("team-a", "bot-bundle");
    assertThat(missing.noticeAfter(null)).get().satisfies(n -> {
      assertThat(n.type()).isEqualTo(EventRecorder.Type.Warning);
      assertThat(n.reason()).isEqualTo("BundleNotFound");
    });
    assertThat(missing.noticeAfter(stalled("MissingSecrets"))).isPresent();
    assertThat(missing.noticeAfter(stalled("BundleNotFound"))).isEmpty();
    assertThat(BundleCheck.notAConfigMap().noticeAfter(null)).isEmpty();
  }

  private static List<Condition> stalled(String reason) {
    return List.of(new ConditionBuilder().withType(Conditions.STALLED).withStatus("True").withReason(reason).build());
  }

  private static ConfigMap bundle(Map<String, String> files) {
    return new ConfigMapBuilder().withNewMetadata().withName("bot-bundle").withNamespace("team-a")
        .addToLabels(MetadataKeys.BUNDLE, "true").endMetadata().withData(files).build();
  }
}
