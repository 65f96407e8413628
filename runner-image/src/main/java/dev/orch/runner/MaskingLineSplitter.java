package dev.orch.runner;

import java.util.function.Consumer;

/**
 * Turns a stream of characters, arriving in arbitrary chunks, into masked lines. A line is only masked
 * once it is complete, so a secret split across two writes (or two pipe reads) is still caught. A line
 * longer than {@link #MAX_LINE} is emitted in parts, keeping back enough characters that a secret
 * spanning the cut is never emitted half in the clear.
 */
final class MaskingLineSplitter {
  static final int MAX_LINE = 16 * 1024;
  private final SecretMasker masker;
  private final Consumer<String> lines;
  private final StringBuilder pending = new StringBuilder();

  MaskingLineSplitter(SecretMasker masker, Consumer<String> lines) {
    this.masker = masker;
    this.lines = lines;
  }

  void write(char[] chunk, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      char c = chunk[i];
      if (c == '\n') {
        int end = pending.length();
        if (end > 0 && pending.charAt(end - 1) == '\r') {
          pending.setLength(end - 1);
        }
        lines.accept(masker.mask(pending));
        pending.setLength(0);
      } else {
        pending.append(c);
        if (pending.length() >= MAX_LINE + masker.longest()) {
          emitPart();
        }
      }
    }
  }

  void write(String text) {
    write(text.toCharArray(), 0, text.length());
  }

  /** End of stream: an unterminated last line is still emitted. */
  void finish() {
    if (pending.length() > 0) {
      lines.accept(masker.mask(pending));
      pending.setLength(0);
    }
  }

  private void emitPart() {
    int cut = masker.safeCut(pending, pending.length() - Math.max(0, masker.longest() - 1));
    lines.accept(masker.mask(pending.subSequence(0, cut)));
    pending.delete(0, cut);
  }
}
