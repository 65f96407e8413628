package dev.orch.kubectl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Packing a directory into a bundle ConfigMap, without a cluster. */
class BundleDirectoryTest {
  @TempDir
  Path directory;

  @Test
  void aFlatDirectoryBecomesOneKeyPerFileWithBinaryFilesUnderBinaryData() throws IOException {
    write("main.py", "print('hi')\n");
    write("orchagent.json", "{\"name\": \"acme/bot\", \"version\": \"1.2.0\", \"required_secrets\": [\"TOKEN\"]}");
    Files.write(directory.resolve("logo.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', (byte) 0xff, 0});

    BundleDirectory.Packed packed = BundleDirectory.pack(directory);

    assertThat(packed.archived()).isFalse();
    assertThat(packed.configMap().getData()).containsOnlyKeys("main.py", "orchagent.json")
        .containsEntry("main.py", "print('hi')\n");
    assertThat(packed.configMap().getBinaryData()).containsOnlyKeys("logo.png");
    assertThat(packed.configMap().getMetadata().getLabels()).containsExactlyEntriesOf(Map.of("orch.dev/bundle", "true"));
    assertThat(packed.requiredSecrets()).containsExactly("TOKEN");
  }

  @Test
  void subfoldersMakeOneReproducibleArchiveKeyHoldingEveryFileAndTheExecutableBit() throws IOException {
    write("main.py", "import lib.util\n");
    write("lib/util.py", "X = 1\n");
    write("run.sh", "#!/bin/sh\n");
    directory.resolve("run.sh").toFile().setExecutable(true);

    BundleDirectory.Packed first = BundleDirectory.pack(directory);
    BundleDirectory.Packed second = BundleDirectory.pack(directory);

    assertThat(first.archived()).isTrue();
    assertThat(first.configMap().getData()).isNull();
    assertThat(first.configMap().getBinaryData()).containsOnlyKeys("bundle.tar.gz");
    assertThat(second.configMap().getBinaryData()).as("same files, same bytes: a redeploy rolls no pods")
        .isEqualTo(first.configMap().getBinaryData());
    Map<String, String> entries = untar(Base64.getDecoder().decode(first.configMap().getBinaryData().get("bundle.tar.gz")));
    assertThat(entries).containsOnlyKeys("lib/util.py", "main.py", "run.sh");
    assertThat(entries.get("lib/util.py")).isEqualTo("0000644:X = 1\n");
    assertThat(entries.get("run.sh")).startsWith("0000755:");
  }

  @Test
  void dependencyFoldersKustomizationsTheirManifestsAndIgnoredPathsAreLeftOut() throws IOException {
    write("main.py", "pass\n");
    write(".git/HEAD", "ref\n");
    write("node_modules/x/index.js", "x\n");
    write(".venv/bin/python", "x\n");
    write("sub/__pycache__/a.pyc", "x\n");
    write("kustomization.yaml", "resources:\n  - agentservice.yaml\n");
    write("agentservice.yaml", "kind: AgentService\n");
    write(".gitignore", "# local only\n.env\n*.log\n/build/\n");
    write(".orchignore", "data/\n!data/keep.txt\ntests/**\n");
    write(".env", "TOKEN=secret\n");
    write("sub/debug.log", "x\n");
    write("build/out.bin", "x\n");
    write("sub/build/kept.py", "x\n");
    write("data/big.csv", "x\n");
    write("tests/deep/test_a.py", "x\n");

    BundleDirectory.Packed packed = BundleDirectory.pack(directory);

    assertThat(packed.files()).containsExactlyInAnyOrder("main.py", ".gitignore", "sub/build/kept.py");
  }

  @Test
  void aDirectoryPastWhatAConfigMapHoldsIsRefusedWithTheAlternatives() throws IOException {
    byte[] noise = new byte[1200 * 1024];
    new java.util.Random(1).nextBytes(noise);
    Files.write(directory.resolve("model.bin"), noise);
    write("main.py", "pass\n");

    assertThatThrownBy(() -> BundleDirectory.pack(directory)).isInstanceOf(UserError.class)
        .hasMessageContaining("more than the 1024 KiB a ConfigMap holds")
        .hasMessageContaining("model.bin (1200 KiB)")
        .hasMessageContaining(".orchignore").hasMessageContaining("--bundle-url URL").hasMessageContaining("--git REPO@REF");
  }

  @Test
  void gitReferencesSplitAtTheRefNotAtTheUserOfAnSshAddress() {
    assertThat(AgentOptions.splitGit("https://github.com/acme/bots.git@v1.2.0")).containsExactly(
        "https://github.com/acme/bots.git", "v1.2.0");
    assertThat(AgentOptions.splitGit("git@github.com:acme/bots.git")).containsExactly("git@github.com:acme/bots.git", null);
    assertThat(AgentOptions.splitGit("git@github.com:acme/bots.git@feature/x")).containsExactly(
        "git@github.com:acme/bots.git", "feature/x");
    assertThat(AgentOptions.splitGit("https://github.com/acme/bots.git")).containsExactly(
        "https://github.com/acme/bots.git", null);
  }

  private void write(String relative, String content) throws IOException {
    Path file = directory.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
  }

  /** name → "mode:content" of each entry, read with a minimal ustar reader. */
  private static Map<String, String> untar(byte[] gzipped) throws IOException {
    Map<String, String> entries = new LinkedHashMap<>();
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
      byte[] all = in.readAllBytes();
      int offset = 0;
      while (offset + 512 <= all.length && all[offset] != 0) {
        String name = field(all, offset, 100);
        String prefix = field(all, offset + 345, 155);
        String mode = field(all, offset + 100, 8);
        int size = Integer.parseInt(field(all, offset + 124, 12), 8);
        String content = new String(all, offset + 512, size, StandardCharsets.UTF_8);
        entries.put(prefix.isEmpty() ? name : prefix + "/" + name, mode + ":" + content);
        offset += 512 + (size + 511) / 512 * 512;
      }
    }
    return entries;
  }

  private static String field(byte[] header, int offset, int length) {
    int end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.US_ASCII).trim();
  }
}
