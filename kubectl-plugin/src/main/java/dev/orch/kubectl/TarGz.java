package dev.orch.kubectl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * A gzipped ustar archive of regular files, made reproducibly: entries in the order given, modification time 0,
 * owner 0, so that the same files always give the same bytes and a redeploy of unchanged code rolls no pods (the
 * operator's bundle digest is over the ConfigMap's bytes).
 */
final class TarGz {
  private static final int BLOCK = 512;

  /** An entry: its bytes and whether it is executable. */
  record Entry(byte[] content, boolean executable) {
  }

  private TarGz() {
  }

  static byte[] of(Map<String, Entry> files) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
      for (var file : files.entrySet()) {
        gzip.write(header(file.getKey(), file.getValue()));
        gzip.write(file.getValue().content());
        pad(gzip, file.getValue().content().length);
      }
      gzip.write(new byte[2 * BLOCK]);
    } catch (IOException e) {
      throw new IllegalStateException("writing to memory cannot fail", e);
    }
    return bytes.toByteArray();
  }

  private static byte[] header(String path, Entry entry) {
    byte[] header = new byte[BLOCK];
    byte[] name = path.getBytes(StandardCharsets.UTF_8);
    if (name.length <= 100) {
      System.arraycopy(name, 0, header, 0, name.length);
    } else {
      int split = path.lastIndexOf('/', 155);
      byte[] prefix = split > 0 ? path.substring(0, split).getBytes(StandardCharsets.UTF_8) : new byte[0];
      byte[] rest = split > 0 ? path.substring(split + 1).getBytes(StandardCharsets.UTF_8) : name;
      if (split <= 0 || prefix.length > 155 || rest.length > 100) {
        throw new UserError("the path " + path + " is too long for the bundle archive (at most 100 characters per"
            + " file name and 255 in all); shorten it or add it to .orchignore");
      }
      System.arraycopy(rest, 0, header, 0, rest.length);
      System.arraycopy(prefix, 0, header, 345, prefix.length);
    }
    octal(header, 100, 8, entry.executable() ? 0755 : 0644);
    octal(header, 108, 8, 0);
    octal(header, 116, 8, 0);
    octal(header, 124, 12, entry.content().length);
    octal(header, 136, 12, 0);
    header[156] = '0';
    System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, header, 257, 8);
    for (int i = 148; i < 156; i++) {
      header[i] = ' ';
    }
    long checksum = 0;
    for (byte b : header) {
      checksum += b & 0xff;
    }
    octal(header, 148, 7, checksum);
    return header;
  }

  private static void octal(byte[] header, int offset, int length, long value) {
    String digits = Long.toOctalString(value);
    String padded = "0".repeat(length - 1 - digits.length()) + digits;
    System.arraycopy(padded.getBytes(StandardCharsets.US_ASCII), 0, header, offset, length - 1);
    header[offset + length - 1] = 0;
  }

  private static void pad(OutputStream out, int size) throws IOException {
    int rest = size % BLOCK;
    if (rest != 0) {
      out.write(new byte[BLOCK - rest]);
    }
  }
}
