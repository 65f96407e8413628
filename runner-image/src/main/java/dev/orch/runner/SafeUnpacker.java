package dev.orch.runner;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Unpacks a bundle archive (.tar.gz, .tgz, .tar or .zip) without trusting it: every entry must land inside
 * the target directory; symbolic links are kept only when they point inside it, and hard links only when
 * they name a file already unpacked; device files and FIFOs are refused; the total unpacked size and the
 * entry count are capped, counting the bytes actually written rather than the sizes the archive claims.
 */
final class SafeUnpacker {
  private static final Pattern WINDOWS_DRIVE = Pattern.compile("[A-Za-z]:.*");
  /** Limits; the defaults suit source bundles, not datasets. */
  record Limits(long maxTotalBytes, int maxEntries) {
    static final Limits DEFAULT = new Limits(512L * 1024 * 1024, 20_000);
  }

  private final Limits limits;

  SafeUnpacker(Limits limits) {
    this.limits = limits;
  }

  static boolean isArchive(String fileName) {
    String name = fileName.toLowerCase(Locale.ROOT);
    return name.endsWith(".tar.gz") || name.endsWith(".tgz") || name.endsWith(".tar") || name.endsWith(".zip");
  }

  void unpack(Path archive, Path target) {
    String name = archive.getFileName().toString().toLowerCase(Locale.ROOT);
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive))) {
      Files.createDirectories(target);
      Path root = target.toRealPath();
      if (name.endsWith(".zip")) {
        try (ZipArchiveInputStream zip = new ZipArchiveInputStream(raw)) {
          extract(zip, root, archive);
        }
      } else if (name.endsWith(".tar")) {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(raw)) {
          extract(tar, root, archive);
        }
      } else {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(raw))) {
          extract(tar, root, archive);
        }
      }
    } catch (IOException e) {
      throw new RunnerException("cannot unpack the bundle archive " + archive.getFileName() + " (" + e.getMessage()
          + "); make sure it is a valid .tar.gz or .zip file", e);
    }
  }

  private void extract(ArchiveInputStream<? extends ArchiveEntry> in, Path root, Path archive) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    int entries = 0;
    ArchiveEntry entry;
    while ((entry = in.getNextEntry()) != null) {
      if (++entries > limits.maxEntries()) {
        throw refuse(archive, "it has more than " + limits.maxEntries() + " entries");
      }
      Path path = inside(root, entry.getName(), archive);
      if (entry.isDirectory()) {
        Files.createDirectories(path);
        continue;
      }
      if (path.equals(root)) {
        throw refuse(archive, "entry " + entry.getName() + " is not a directory but names the bundle directory itself");
      }
      Files.createDirectories(path.getParent());
      if (entry instanceof TarArchiveEntry tar && (tar.isSymbolicLink() || tar.isLink() || tar.isCharacterDevice()
          || tar.isBlockDevice() || tar.isFIFO())) {
        linkOrRefuse(tar, path, root, archive);
        continue;
      }
      if (entry instanceof ZipArchiveEntry zip && zip.isUnixSymlink()) {
        // A zip symlink's target is the entry's content.
        String linkTarget = new String(in.readNBytes(4096), java.nio.charset.StandardCharsets.UTF_8);
        symlink(path, linkTarget, root, archive, entry.getName());
        continue;
      }
      Files.deleteIfExists(path);
      try (OutputStream out = Files.newOutputStream(path)) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          total += n;
          if (total > limits.maxTotalBytes()) {
            throw refuse(archive, "it unpacks to more than " + limits.maxTotalBytes() / (1024 * 1024) + " MiB");
          }
          out.write(buffer, 0, n);
        }
      }
      if (isExecutable(entry)) {
        Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(path));
        perms.add(PosixFilePermission.OWNER_EXECUTE);
        Files.setPosixFilePermissions(path, perms);
      }
    }
    verifyLinks(root, archive);
  }

  /**
   * Each link was checked lexically when created, but a chain of links (one pointing at ".", another
   * going ".." through it) can still resolve outside; the real paths settle it once everything exists.
   */
  private static void verifyLinks(Path root, Path archive) throws IOException {
    try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        if (Files.isSymbolicLink(path) && Files.exists(path) && !path.toRealPath().startsWith(root)) {
          throw refuse(archive, "symbolic link " + root.relativize(path) + " resolves outside the bundle");
        }
      }
    }
  }

  private void linkOrRefuse(TarArchiveEntry tar, Path path, Path root, Path archive) throws IOException {
    if (tar.isSymbolicLink()) {
      symlink(path, tar.getLinkName(), root, archive, tar.getName());
    } else if (tar.isLink()) {
      Path existing = inside(root, tar.getLinkName(), archive);
      if (!Files.isRegularFile(existing, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw refuse(archive, "hard link " + tar.getName() + " points to " + tar.getLinkName()
            + ", which is not a file earlier in the archive");
      }
      Files.deleteIfExists(path);
      Files.copy(existing, path);
    } else {
      throw refuse(archive, "entry " + tar.getName() + " is a device file, FIFO or other special file");
    }
  }

  private void symlink(Path path, String linkTarget, Path root, Path archive, String entryName) throws IOException {
    Path resolved = path.getParent().resolve(linkTarget).normalize();
    if (linkTarget.startsWith("/") || !resolved.startsWith(root)) {
      throw refuse(archive, "symbolic link " + entryName + " points outside the bundle (" + linkTarget + ")");
    }
    Files.deleteIfExists(path);
    Path relative = path.getParent().relativize(resolved);
    Files.createSymbolicLink(path, relative.toString().isEmpty() ? Path.of(".") : relative);
  }

  /**
   * Resolves an entry name under root, refusing absolute names and ".." escapes, and refusing names whose
   * existing parent directories are symbolic links leading out (an earlier entry could plant one).
   */
  private static Path inside(Path root, String entryName, Path archive) throws IOException {
    String name = entryName.replace('\\', '/');
    if (name.startsWith("/") || WINDOWS_DRIVE.matcher(name).matches()) {
      throw refuse(archive, "entry " + entryName + " has an absolute path");
    }
    Path path = root.resolve(name).normalize();
    if (!path.startsWith(root)) {
      throw refuse(archive, "entry " + entryName + " would be written outside the bundle directory");
    }
    Path parent = path.getParent();
    while (parent != null && parent.startsWith(root) && !parent.equals(root)) {
      if (Files.isSymbolicLink(parent) && !parent.toRealPath().startsWith(root)) {
        throw refuse(archive, "entry " + entryName + " is written through a symbolic link that leaves the bundle");
      }
      parent = parent.getParent();
    }
    return path;
  }

  private static boolean isExecutable(ArchiveEntry entry) {
    int mode = entry instanceof TarArchiveEntry tar ? tar.getMode()
        : entry instanceof ZipArchiveEntry zip ? zip.getUnixMode() : 0;
    return (mode & 0100) != 0;
  }

  private static RunnerException refuse(Path archive, String why) {
    return new RunnerException("refusing to unpack the bundle archive " + archive.getFileName() + ": " + why
        + ". Rebuild the archive from the agent's source directory (e.g. tar -czf bundle.tar.gz -C my-agent .)");
  }
}
