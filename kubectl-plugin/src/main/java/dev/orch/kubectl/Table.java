package dev.orch.kubectl;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Columns as `kubectl get` prints them: upper-case headers, left-aligned, three spaces apart, "<none>" for empty. */
public final class Table {
  private final List<String> header;
  private final List<String[]> rows = new ArrayList<>();

  public Table(String... header) {
    this.header = List.of(header);
  }

  public Table row(String... cells) {
    if (cells.length != header.size()) {
      throw new IllegalArgumentException("row has " + cells.length + " cells for " + header.size() + " columns");
    }
    rows.add(Arrays.stream(cells).map(c -> c == null || c.isEmpty() ? "<none>" : c).toArray(String[]::new));
    return this;
  }

  public boolean isEmpty() {
    return rows.isEmpty();
  }

  public void print(PrintWriter out) {
    int[] widths = new int[header.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = header.get(i).length();
      for (String[] row : rows) {
        widths[i] = Math.max(widths[i], Terminal.width(row[i]));
      }
    }
    printRow(out, header.toArray(String[]::new), widths);
    rows.forEach(row -> printRow(out, row, widths));
    out.flush();
  }

  private static void printRow(PrintWriter out, String[] cells, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      line.append(cells[i]);
      if (i < cells.length - 1) {
        line.append(" ".repeat(widths[i] - Terminal.width(cells[i]) + 3));
      }
    }
    out.println(line);
  }
}
