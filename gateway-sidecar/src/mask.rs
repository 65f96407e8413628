//! Replaces secret values in the agent's output with `[REDACTED]`.
//!
//! Output is masked line by line: a line is written only once its newline has arrived, so a value that the
//! agent writes in two pieces, or that the pipe delivers in two reads, is still caught. A line that grows
//! past [`MAX_LINE`] without a newline is written in parts, keeping back enough bytes that a value spanning
//! the cut is never written half in the clear. Everything else passes through byte for byte.

use aho_corasick::{AhoCorasick, MatchKind};

pub const REDACTED: &[u8] = b"[REDACTED]";
/// Longest run of bytes held back while waiting for a newline.
pub const MAX_LINE: usize = 16 * 1024;

/// The secret values, searched all at once; at every position the longest value wins, so a secret that
/// contains another is masked whole.
pub struct Masker {
    search: Option<AhoCorasick>,
    longest: usize,
}

impl Masker {
    /// A multi-line value (a PEM key, say) becomes one value per line, because output is masked per line.
    pub fn new<S: AsRef<str>>(values: &[S]) -> Masker {
        let mut lines: Vec<&str> = values
            .iter()
            .flat_map(|value| value.as_ref().split('\n'))
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .filter(|line| !line.is_empty())
            .collect();
        lines.sort_unstable();
        lines.dedup();
        let longest = lines.iter().map(|line| line.len()).max().unwrap_or(0);
        let search = (!lines.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&lines)
                .expect("secret values are plain strings")
        });
        Masker { search, longest }
    }

    /// The values of the variables `ORCH_SECRET_NAMES` lists (comma-separated); unset names are skipped.
    pub fn values_named_in(env: impl Fn(&str) -> Option<String>) -> Vec<String> {
        let names = env("ORCH_SECRET_NAMES").unwrap_or_default();
        names
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .filter_map(&env)
            .collect()
    }

    /// Appends `text` to `out` with every secret replaced.
    pub fn mask_into(&self, text: &[u8], out: &mut Vec<u8>) {
        let Some(search) = &self.search else {
            out.extend_from_slice(text);
            return;
        };
        let mut copied = 0;
        for found in search.find_iter(text) {
            out.extend_from_slice(&text[copied..found.start()]);
            out.extend_from_slice(REDACTED);
            copied = found.end();
        }
        out.extend_from_slice(&text[copied..]);
    }

    pub fn mask(&self, text: &str) -> String {
        let mut out = Vec::with_capacity(text.len());
        self.mask_into(text.as_bytes(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Where `text` may be cut, at or after `cut`, so that masking both parts equals masking the whole: the
    /// end of a secret that straddles `cut`, or `cut` itself.
    fn safe_cut(&self, text: &[u8], cut: usize) -> usize {
        let Some(search) = &self.search else {
            return cut;
        };
        search
            .find_iter(text)
            .take_while(|found| found.start() < cut)
            .find(|found| found.end() > cut)
            .map_or(cut, |found| found.end())
    }
}

/// One output stream of the agent, turned into masked bytes as its chunks arrive.
pub struct LineMasker<'a> {
    masker: &'a Masker,
    pending: Vec<u8>,
}

impl<'a> LineMasker<'a> {
    pub fn new(masker: &'a Masker) -> LineMasker<'a> {
        LineMasker {
            masker,
            pending: Vec::new(),
        }
    }

    /// Appends to `out` whatever of the stream can be written now: every completed line, masked.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        match memchr::memrchr(b'\n', chunk) {
            Some(last_newline) => {
                let (lines, rest) = chunk.split_at(last_newline + 1);
                if self.pending.is_empty() {
                    self.masker.mask_into(lines, out);
                } else {
                    self.pending.extend_from_slice(lines);
                    self.masker.mask_into(&self.pending, out);
                    self.pending.clear();
                }
                self.pending.extend_from_slice(rest);
            }
            None => self.pending.extend_from_slice(chunk),
        }
        while self.pending.len() >= MAX_LINE + self.masker.longest {
            self.write_part(out);
        }
    }

    /// End of stream: an unterminated last line is still written.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.masker.mask_into(&self.pending, out);
        self.pending.clear();
    }

    /// Writes the front of an overlong line. The last `longest - 1` bytes may be the start of a secret
    /// whose rest has not arrived, so they stay; no match can start before them and end after the data.
    fn write_part(&mut self, out: &mut Vec<u8>) {
        let held_back = self.masker.longest.saturating_sub(1);
        let cut = self
            .masker
            .safe_cut(&self.pending, self.pending.len() - held_back);
        self.masker.mask_into(&self.pending[..cut], out);
        self.pending.drain(..cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked_in_chunks(masker: &Masker, chunks: &[&[u8]]) -> Vec<u8> {
        let mut lines = LineMasker::new(masker);
        let mut out = Vec::new();
        for chunk in chunks {
            lines.push(chunk, &mut out);
        }
        lines.finish(&mut out);
        out
    }

    #[test]
    fn replaces_every_value_and_leaves_the_rest_unchanged() {
        let masker = Masker::new(&["s3cret", "tok_123"]);
        assert_eq!(
            masker.mask("a s3cret and tok_123, twice: s3crets3cret\r\n{\"json\": 1}"),
            "a [REDACTED] and [REDACTED], twice: [REDACTED][REDACTED]\r\n{\"json\": 1}"
        );
        assert_eq!(
            Masker::new::<&str>(&[]).mask("nothing to hide"),
            "nothing to hide"
        );
    }

    #[test]
    fn the_longest_value_wins_where_values_overlap() {
        let masker = Masker::new(&["abc", "abcdef"]);
        assert_eq!(masker.mask("xabcdefx abcx"), "x[REDACTED]x [REDACTED]x");
    }

    #[test]
    fn multi_line_values_are_masked_line_by_line() {
        let masker = Masker::new(&["-----BEGIN KEY-----\r\nMIIEvQ\n-----END KEY-----\n"]);
        assert_eq!(
            masker.mask("-----BEGIN KEY-----\nMIIEvQ\n-----END KEY-----\n"),
            "[REDACTED]\n[REDACTED]\n[REDACTED]\n"
        );
    }

    #[test]
    fn a_value_is_masked_at_every_split_point_and_with_every_chunk_size() {
        let masker = Masker::new(&["hunter2-password", "hunter2"]);
        let text: &[u8] =
            b"login hunter2-password ok\nagain hunter2 and hunter2-password\nlast hunter2";
        let expected = masker.mask(std::str::from_utf8(text).unwrap());
        for split in 0..=text.len() {
            let (a, b) = text.split_at(split);
            assert_eq!(
                String::from_utf8(masked_in_chunks(&masker, &[a, b])).unwrap(),
                expected,
                "split at {split}"
            );
            for second in split..=text.len() {
                let (b, c) = text[split..].split_at(second - split);
                assert_eq!(
                    masked_in_chunks(&masker, &[a, b, c]),
                    expected.as_bytes(),
                    "{split}/{second}"
                );
            }
        }
        for size in 1..=text.len() {
            let chunks: Vec<&[u8]> = text.chunks(size).collect();
            assert_eq!(
                masked_in_chunks(&masker, &chunks),
                expected.as_bytes(),
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn complete_lines_are_written_at_once_and_partial_ones_wait() {
        let masker = Masker::new(&["secret"]);
        let mut lines = LineMasker::new(&masker);
        let mut out = Vec::new();
        lines.push(b"one secret\ntwo sec", &mut out);
        assert_eq!(out, b"one [REDACTED]\n");
        lines.push(b"ret\n", &mut out);
        assert_eq!(out, b"one [REDACTED]\ntwo [REDACTED]\n");
    }

    #[test]
    fn an_overlong_line_is_written_in_parts_without_cutting_a_secret() {
        let secret = "0123456789abcdef";
        let masker = Masker::new(&[secret]);
        for offset in 0..secret.len() + 2 {
            let mut text = "x".repeat(MAX_LINE + offset - secret.len() / 2);
            text.push_str(secret);
            text.push_str(&"y".repeat(MAX_LINE));
            let mut lines = LineMasker::new(&masker);
            let mut out = Vec::new();
            for chunk in text.as_bytes().chunks(4096) {
                lines.push(chunk, &mut out);
            }
            assert!(!out.is_empty(), "a part was written before the line ended");
            lines.finish(&mut out);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                masker.mask(&text),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn secret_names_come_from_orch_secret_names() {
        let env = |name: &str| match name {
            "ORCH_SECRET_NAMES" => Some(" API_TOKEN,,MISSING ,DB_PASSWORD".to_string()),
            "API_TOKEN" => Some("tok".to_string()),
            "DB_PASSWORD" => Some("pw".to_string()),
            _ => None,
        };
        assert_eq!(Masker::values_named_in(env), vec!["tok", "pw"]);
    }
}
