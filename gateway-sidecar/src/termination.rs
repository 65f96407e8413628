//! The container's termination message, which Kubernetes shows as the container's last state and the
//! operator reports as the agent's last error and as a scheduled run's output. Kubernetes keeps at most
//! 4096 bytes, so the headline is kept and the oldest output lines are dropped first.

use std::collections::VecDeque;
use std::path::Path;

pub const MAX_BYTES: usize = 4096;
/// How many of the agent's last output lines (stdout and stderr, in the order written) the message carries
/// (as many as fit).
pub const TAIL_LINES: usize = 20;

pub fn compose(headline: &str, output_tail: &[String]) -> String {
    let head = truncate(headline, MAX_BYTES);
    let label = "\nlast output lines:\n";
    let budget = MAX_BYTES.saturating_sub(head.len() + label.len());
    let mut used = 0;
    let mut kept = Vec::new();
    for line in output_tail.iter().rev() {
        let cost = line.len() + usize::from(!kept.is_empty());
        if used + cost > budget {
            break;
        }
        used += cost;
        kept.push(line.as_str());
    }
    if kept.is_empty() {
        return head.to_string();
    }
    kept.reverse();
    format!("{head}{label}{}", kept.join("\n"))
}

/// Writes the message; outside Kubernetes the file may be missing or read-only, and the same text is in
/// the log anyway.
pub fn write(file: &Path, headline: &str, output_tail: &[String]) {
    let _ = std::fs::write(file, compose(headline, output_tail));
}

fn truncate(text: &str, max_bytes: usize) -> &str {
    let mut end = text.len().min(max_bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The last lines the agent wrote to its streams (already masked), in the order they were completed; each
/// stream assembles its own partial line, so lines of the two streams never run into each other.
#[derive(Default)]
pub struct Tail {
    lines: VecDeque<String>,
    open: [Vec<u8>; 2],
}

impl Tail {
    /// `stream` is 0 for stdout and 1 for stderr.
    pub fn record(&mut self, stream: usize, written: &[u8]) {
        for piece in written.split_inclusive(|&b| b == b'\n') {
            let open = &mut self.open[stream];
            match piece.strip_suffix(b"\n") {
                Some(end) => {
                    open.extend_from_slice(end);
                    let line = String::from_utf8_lossy(open.strip_suffix(b"\r").unwrap_or(open));
                    if self.lines.len() == TAIL_LINES {
                        self.lines.pop_front();
                    }
                    self.lines.push_back(line.into_owned());
                    open.clear();
                }
                // An unterminated part; its length is bounded by mask::MAX_LINE per write.
                None if open.len() < crate::mask::MAX_LINE => open.extend_from_slice(piece),
                None => {}
            }
        }
    }

    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.lines.iter().cloned().collect();
        for open in self.open.iter().filter(|open| !open.is_empty()) {
            lines.push(String::from_utf8_lossy(open).into_owned());
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headline_then_the_last_output_lines() {
        let tail = vec!["Traceback".to_string(), "fatal: no moon".to_string()];
        assert_eq!(
            compose("agent exited with code 3", &tail),
            "agent exited with code 3\nlast output lines:\nTraceback\nfatal: no moon"
        );
        assert_eq!(
            compose("agent exited with code 0", &[]),
            "agent exited with code 0"
        );
    }

    #[test]
    fn stays_within_what_kubernetes_keeps_dropping_the_oldest_lines() {
        let tail: Vec<String> = (0..100)
            .map(|i| format!("{i:03} {}", "x".repeat(96)))
            .collect();
        let message = compose("headline", &tail);
        assert!(message.len() <= MAX_BYTES);
        assert!(message.ends_with(&tail[99]));
        assert!(!message.contains(&tail[0]));
        let long = "é".repeat(3000);
        assert!(compose(&long, &tail).len() <= MAX_BYTES);
    }

    #[test]
    fn the_tail_keeps_the_last_lines_across_writes() {
        let mut tail = Tail::default();
        for i in 0..30 {
            tail.record(0, format!("line {i}\r\n").as_bytes());
        }
        tail.record(0, b"split ");
        tail.record(1, b"from stderr\n");
        tail.record(0, b"line\nunterminated");
        let lines = tail.lines();
        assert_eq!(lines.len(), TAIL_LINES + 1);
        assert_eq!(lines[0], "line 12");
        assert_eq!(lines[TAIL_LINES - 2], "from stderr");
        assert_eq!(lines[TAIL_LINES - 1], "split line");
        assert_eq!(lines[TAIL_LINES], "unterminated");
    }
}
