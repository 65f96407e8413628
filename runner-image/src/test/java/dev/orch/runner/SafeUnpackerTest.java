package dev.orch.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeUnpackerTest {
  @TempDir
  Path dir;

  private final SafeUnpacker unpacker = new SafeUnpacker(new SafeUnpacker.Limits(10_000, 50));

  @Test
  void unpacksFilesDirectoriesExecutableBitsAndInwardLinks() throws IOException {
    Path archive = tarGz(tar -> {
      dirEntry(tar, "src/");
      file(tar, "src/main.py", "print('hi')", 0644);
      file(tar, "run.sh", "#!/bin/sh", 0755);
      link(tar, "entry.py", "src/main.py", TarArchiveEntry.LF_SYMLINK);
      link(tar, "copy.py", "src/main.py", TarArchiveEntry.LF_LINK);
    });
    Path target = dir.resolve("out");
    unpacker.unpack(archive, target);
    assertThat(target.resolve("src/main.py")).hasContent("print('hi')");
    assertThat(Files.isExecutable(target.resolve("run.sh"))).isTrue();
    assertThat(Files.isExecutable(target.resolve("src/main.py"))).isFalse();
    assertThat(Files.readSymbolicLink(target.resolve("entry.py"))).isEqualTo(Path.of("src/main.py"));
    assertThat(target.resolve("copy.py")).hasContent("print('hi')");
  }

  @Test
  void refusesPathEscapes() throws IOException {
    assertRefused(tarGz(tar -> file(tar, "../evil.py", "x", 0644)), "outside the bundle directory");
    assertRefused(tarGz(tar -> file(tar, "a/../../evil.py", "x", 0644)), "outside the bundle directory");
    assertRefused(tarGz(tar -> file(tar, "/etc/evil", "x", 0644)), "absolute path");
    assertRefused(zip("../../evil.js", "x"), "outside the bundle directory");
    assertThat(dir.getParent().resolve("evil.py")).doesNotExist();
  }

  @Test
  void refusesLinksLeadingOut() throws IOException {
    assertRefused(tarGz(tar -> link(tar, "etc", "/etc", TarArchiveEntry.LF_SYMLINK)), "points outside");
    assertRefused(tarGz(tar -> link(tar, "up", "../..", TarArchiveEntry.LF_SYMLINK)), "points outside");
    assertRefused(tarGz(tar -> link(tar, "passwd", "/etc/passwd", TarArchiveEntry.LF_LINK)), "absolute path");
    assertRefused(tarGz(tar -> link(tar, "h", "missing.txt", TarArchiveEntry.LF_LINK)), "not a file earlier");
    // "here" -> "." is harmless alone, but "out" -> "here/../.." is lexically inside and physically outside.
    assertRefused(tarGz(tar -> {
      link(tar, "here", ".", TarArchiveEntry.LF_SYMLINK);
      dirEntry(tar, "sub/");
      link(tar, "sub/out", "../here/../..", TarArchiveEntry.LF_SYMLINK);
    }), "outside the bundle");
  }

  @Test
  void refusesWritingThroughALinkThatLeavesTheBundle() throws IOException {
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Path target = Files.createDirectories(dir.resolve("out"));
    Files.createSymbolicLink(target.resolve("planted"), outside);
    Path archive = tarGz(tar -> file(tar, "planted/evil.py", "x", 0644));
    assertThatThrownBy(() -> unpacker.unpack(archive, target)).hasMessageContaining("through a symbolic link");
    assertThat(outside.resolve("evil.py")).doesNotExist();
  }

  @Test
  void refusesSpecialFilesAndOversizedArchives() throws IOException {
    assertRefused(tarGz(tar -> {
      TarArchiveEntry fifo = new TarArchiveEntry("pipe", TarArchiveEntry.LF_FIFO);
      tar.putArchiveEntry(fifo);
      tar.closeArchiveEntry();
    }), "special file");
    assertRefused(tarGz(tar -> file(tar, "big.bin", "x".repeat(10_001), 0644)), "more than");
    assertRefused(tarGz(tar -> {
      for (int i = 0; i < 51; i++) {
        file(tar, "f" + i, "", 0644);
      }
    }), "more than 50 entries");
  }

  @Test
  void corruptArchiveSaysWhatToDo() throws IOException {
    Path archive = Files.writeString(dir.resolve("bundle.tar.gz"), "not gzip");
    assertThatThrownBy(() -> unpacker.unpack(archive, dir.resolve("out")))
        .isInstanceOf(RunnerException.class).hasMessageContaining("valid .tar.gz or .zip");
  }

  private void assertRefused(Path archive, String reason) {
    assertThatThrownBy(() -> unpacker.unpack(archive, dir.resolve("out-" + System.nanoTime())))
        .isInstanceOf(RunnerException.class).hasMessageContaining("refusing to unpack").hasMessageContaining(reason);
  }

  interface TarWriter {
    void write(TarArchiveOutputStream tar) throws IOException;
  }

  private Path tarGz(TarWriter writer) throws IOException {
    Path archive = dir.resolve("bundle-" + System.nanoTime() + ".tar.gz");
    try (OutputStream out = Files.newOutputStream(archive);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      writer.write(tar);
    }
    return archive;
  }

  private Path zip(String name, String content) throws IOException {
    Path archive = dir.resolve("bundle-" + System.nanoTime() + ".zip");
    try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(archive)) {
      zip.putArchiveEntry(new ZipArchiveEntry(name));
      zip.write(content.getBytes(StandardCharsets.UTF_8));
      zip.closeArchiveEntry();
    }
    return archive;
  }

  private static void file(TarArchiveOutputStream tar, String name, String content, int mode) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry entry = new TarArchiveEntry(name, true);
    entry.setSize(bytes.length);
    entry.setMode(mode);
    tar.putArchiveEntry(entry);
    tar.write(bytes);
    tar.closeArchiveEntry();
  }

  private static void dirEntry(TarArchiveOutputStream tar, String name) throws IOException {
    tar.putArchiveEntry(new TarArchiveEntry(name));
    tar.closeArchiveEntry();
  }

  private static void link(TarArchiveOutputStream tar, String name, String target, byte type) throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
    entry.setLinkName(target);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }
}
