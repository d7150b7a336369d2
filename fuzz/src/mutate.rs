//! Structured mutation of a surface's committed corpus: the random inputs of `cargo test`.
//!
//! A random byte string is refused by every parser at its first byte, so plain random inputs
//! rarely reach past the parser. A [`Recipe`] instead names a corpus file and a few edits —
//! delete, duplicate or swap a span or a line, insert a token of the surface's dictionary or a
//! line of another corpus file, change a number — so most mutants stay close to a valid input
//! and reach the checks and the runtime behind the parser. bolero generates, shrinks and replays
//! recipes like any other value (`BOLERO_RANDOM_SEED` reproduces one).

use std::collections::BTreeSet;
use std::path::PathBuf;

/// One mutant: the corpus file (index, modulo the corpus size) and up to [`MAX_EDITS`] edits,
/// each `(operation, a, b)`.
pub type Recipe = (u16, Vec<(u8, u16, u16)>);

/// Edits applied per recipe at most (a longer list is cut).
const MAX_EDITS: usize = 8;

/// Bytes a mutant may grow by at most, so the work per input stays bounded.
const MAX_GROWTH: usize = 16 << 10;

/// Tokens that break or stretch any of the text formats.
const COMMON: &[&str] = &[
    "\n",
    " ",
    ": ",
    "- ",
    "#",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\"",
    "'",
    "\\",
    "&a ",
    "*a",
    "!!str ",
    "!!binary ",
    "? ",
    "|",
    ">",
    "~",
    "null",
    "true",
    "false",
    "<<: ",
    "---\n",
    "...\n",
    "\t",
    "\r\n",
    "0",
    "-1",
    "1",
    "2",
    "24",
    "60",
    "99999999",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "1e309",
    "NaN",
    ".inf",
    "-.inf",
    "0x7fffffff",
    "0.5",
    "1_000",
    "2026-02-29",
    "2027-02-29",
    "2026-12-31",
    "9999-12-31",
    "10000-01-01",
    "0001-01-01",
    "1900-01-01",
    "23:59:60",
    "24:00",
    "00:00",
    "T",
    "Z",
    "+08:00",
    "-23:59",
    "+14:00",
    "2026-02-13T17:30:00+08:00",
    "9999-12-31T23:59:59Z",
    "1800-01-01T00:00:00+08:05",
    "Asia/Shanghai",
    "UTC",
    "Etc/GMT+12",
    "working days",
    "working hours",
    "calendar days",
    "wd",
    "wh",
    "h",
    "m",
    "d",
    "\u{202e}",
    "\u{200b}",
    "\u{1b}[31m",
    "\u{0}",
    "а",
    "é",
    "重",
    "🚨",
    "\u{feff}",
];

/// A surface's corpus and dictionary.
pub struct Seeds {
    /// The corpus files, as text (sorted by file name).
    texts: Vec<String>,
    /// Tokens to insert: [`COMMON`], the surface's own, and the words of its corpus.
    dictionary: Vec<String>,
}

/// The committed corpus of the fuzz target `target`.
pub fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/__fuzz__").join(target).join("corpus")
}

impl Seeds {
    /// Reads the corpus of `target` and builds its dictionary from `extra` tokens and the words
    /// the corpus uses.
    pub fn load(target: &str, extra: &[&str]) -> Seeds {
        let dir = corpus_dir(target);
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();
        let texts: Vec<String> = paths
            .iter()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned())
            .collect();
        assert!(!texts.is_empty(), "corpus {} is empty", dir.display());
        let mut words = BTreeSet::new();
        for text in &texts {
            for w in text.split(|c: char| !(c.is_alphanumeric() || "_-.:+/".contains(c))) {
                if (2..=40).contains(&w.len()) {
                    words.insert(w.to_string());
                }
            }
        }
        let dictionary = COMMON.iter().chain(extra).map(|s| s.to_string()).chain(words).collect();
        Seeds { texts, dictionary }
    }

    /// The mutant `recipe` describes.
    pub fn mutant(&self, recipe: &Recipe) -> String {
        let (seed, edits) = recipe;
        let mut text = self.texts[usize::from(*seed) % self.texts.len()].clone();
        let limit = text.len() + MAX_GROWTH;
        for &(op, a, b) in edits.iter().take(MAX_EDITS) {
            let (a, b) = (usize::from(a), usize::from(b));
            match op % 8 {
                0 => {
                    let at = boundary(&text, a);
                    let end = end_at(&text, at + b % 64);
                    text.replace_range(at..end, "");
                }
                1 => {
                    let at = boundary(&text, a);
                    let token = &self.dictionary[b % self.dictionary.len()];
                    text.insert_str(at, token);
                }
                2 => {
                    let at = boundary(&text, a);
                    let end = end_at(&text, at + 1 + b % 256);
                    let copy = text[at..end].to_string();
                    text.insert_str(end, &copy);
                }
                3 => {
                    // Replace the line holding `a` with a line of another corpus file.
                    let other = &self.texts[b % self.texts.len()];
                    let lines: Vec<&str> = other.lines().collect();
                    let line = lines.get(b.wrapping_mul(7919) % lines.len().max(1)).copied();
                    let (start, end) = line_at(&text, a);
                    text.replace_range(start..end, line.unwrap_or(""));
                }
                4 => {
                    // Swap the line holding `a` with the line holding `b`.
                    let (x, y) = (line_at(&text, a), line_at(&text, b));
                    let (first, second) = if x.0 <= y.0 { (x, y) } else { (y, x) };
                    if first.1 <= second.0 {
                        let one = text[first.0..first.1].to_string();
                        let two = text[second.0..second.1].to_string();
                        text.replace_range(second.0..second.1, &one);
                        text.replace_range(first.0..first.1, &two);
                    }
                }
                5 => {
                    // Replace the number at or after `a` with a token of the dictionary.
                    let at = boundary(&text, a);
                    if let Some(start) = text[at..].find(|c: char| c.is_ascii_digit()) {
                        let start = at + start;
                        let len = text[start..]
                            .find(|c: char| !c.is_ascii_digit())
                            .unwrap_or(text.len() - start);
                        let token = &self.dictionary[b % self.dictionary.len()];
                        text.replace_range(start..start + len, token);
                    }
                }
                6 => {
                    // Indent or dedent the line holding `a`.
                    let (start, _) = line_at(&text, a);
                    if b % 2 == 0 {
                        text.insert_str(start, "  ");
                    } else if text[start..].starts_with(' ') {
                        text.remove(start);
                    }
                }
                _ => {
                    // Insert a character at `a`.
                    let at = boundary(&text, a);
                    let c = char::from_u32(b as u32).unwrap_or('\u{fffd}');
                    text.insert(at, c);
                }
            }
            if text.len() > limit {
                let end = end_at(&text, limit);
                text.truncate(end);
            }
        }
        text
    }
}

/// The char boundary at or after byte `at` (wrapped into the text).
fn boundary(text: &str, at: usize) -> usize {
    let mut at = if text.is_empty() { 0 } else { at % (text.len() + 1) };
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// The char boundary at or after byte `at`, at most the end of the text.
fn end_at(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// The byte range of the line holding byte `at`, without its line break.
fn line_at(text: &str, at: usize) -> (usize, usize) {
    let at = boundary(text, at);
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    (start, end)
}
