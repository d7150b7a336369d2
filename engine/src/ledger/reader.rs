//! The streaming ledger reader: one line in memory at a time, every problem located by line.

use super::format::{LedgerLine, LineBody};
use serde::Serialize;
use std::fmt;
use std::io::{BufRead, Read};

/// What to do with a line that cannot be read (`--on-error skip|fail`).
///
/// ```
/// use ombud_engine::ledger::{OnError, ReplayOptions};
/// assert_eq!(ReplayOptions::default().on_error, OnError::Skip);
/// assert_eq!(OnError::Fail.to_string(), "fail");
/// assert_eq!(serde_json::to_string(&OnError::Skip).unwrap(), r#""skip""#);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Report it, count it and go on.
    #[default]
    Skip,
    /// Stop at the first one.
    Fail,
}

/// A ledger line that could not be used, with its 1-based line number.
///
/// ```
/// use ombud_engine::ledger::{LineError, RawLines};
/// let mut lines = RawLines::new(&b"\n\xff\xfe\n"[..]);
/// let err: LineError = lines.next().unwrap().unwrap().unwrap_err();
/// assert_eq!((err.line, err.message.as_str()), (2, "line is not valid UTF-8"));
/// assert_eq!(err.to_string(), "line 2: line is not valid UTF-8");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong (lowercase, no final period).
    pub message: String,
}

/// One raw line of a ledger: its number and text (without the line break).
///
/// ```
/// use ombud_engine::ledger::{RawLine, RawLines};
/// let input = "{\"ticket\":\"T-1\"}\r\n";
/// let line: RawLine = RawLines::new(input.as_bytes()).next().unwrap().unwrap().unwrap();
/// assert_eq!((line.number, line.text.as_str()), (1, r#"{"ticket":"T-1"}"#));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawLine {
    /// 1-based line number.
    pub number: u64,
    /// The text.
    pub text: String,
}

/// Reads a ledger line by line. Blank lines are skipped; a line that is not UTF-8 comes back as a
/// [`LineError`]; an I/O error ends the iteration with `Err(Err(io))`.
///
/// ```
/// use ombud_engine::ledger::RawLines;
/// let text = "{\"ticket\":\"T-1\"}\n\n{\"ticket\":\"T-2\"}\n";
/// let lines: Vec<_> = RawLines::new(text.as_bytes()).map(|l| l.unwrap().unwrap().number).collect();
/// assert_eq!(lines, [1, 3]);
/// ```
pub struct RawLines<R> {
    input: R,
    number: u64,
    buf: Vec<u8>,
    done: bool,
    max_line: usize,
}

/// The longest ledger line read, in bytes (1 MiB), line break excluded. A longer line ends the
/// reading with an error naming it: the reader never holds more than this of one line, whatever
/// the input (`/dev/zero` has no line break at all).
///
/// ```
/// use ombud_engine::ledger::{MAX_LINE_BYTES, RawLines};
/// let long = format!("{{\"ticket\":\"{}\"}}\n", "x".repeat(MAX_LINE_BYTES));
/// let err = RawLines::new(long.as_bytes()).next().unwrap().unwrap_err();
/// assert_eq!(err.to_string(), "line 1 is longer than 1048576 bytes (1 MiB)");
/// ```
pub const MAX_LINE_BYTES: usize = 1 << 20;

impl<R: BufRead> RawLines<R> {
    /// A reader over `input`.
    ///
    /// ```
    /// use std::io::BufReader;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
    /// let file = BufReader::new(std::fs::File::open(path).unwrap());
    /// let lines = ombud_engine::ledger::RawLines::new(file);
    /// assert_eq!(lines.map(|l| l.unwrap().unwrap()).last().unwrap().number, 81);
    /// ```
    pub fn new(input: R) -> Self {
        RawLines {
            input,
            number: 0,
            buf: Vec::with_capacity(512),
            done: false,
            max_line: MAX_LINE_BYTES,
        }
    }

    /// The same reader with another cap on the length of a line, in bytes (a ticket store's
    /// lines hold whole tickets and are allowed more than a ledger's).
    ///
    /// ```
    /// use ombud_engine::ledger::RawLines;
    /// let mut lines = RawLines::new(&b"12345\n"[..]).with_max_line(4);
    /// assert_eq!(lines.next().unwrap().unwrap_err().to_string(),
    ///     "line 1 is longer than 4 bytes");
    /// ```
    pub fn with_max_line(mut self, bytes: usize) -> Self {
        self.max_line = bytes;
        self
    }
}

/// A line borrowed from the reader: its number and text, or why it cannot be read.
pub(crate) type TextLine<'a> = Result<(u64, &'a str), LineError>;

impl<R: BufRead> RawLines<R> {
    /// The next non-blank line, borrowed from the reader's buffer until the next call: its
    /// number and text, or a [`LineError`] when it is not UTF-8. `Err(io)` ends the reading.
    pub(crate) fn next_text(&mut self) -> Option<Result<TextLine<'_>, std::io::Error>> {
        loop {
            if self.done {
                return None;
            }
            self.buf.clear();
            // At most one byte past the cap (and the line break) is read, so a line that has
            // no end is never held whole.
            let limit = u64::try_from(self.max_line).unwrap_or(u64::MAX).saturating_add(2);
            match (&mut self.input).take(limit).read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
            self.number += 1;
            let content = match self.buf.as_slice() {
                [.., b'\r', b'\n'] => self.buf.len() - 2,
                [.., b'\n'] => self.buf.len() - 1,
                _ => self.buf.len(),
            };
            if content > self.max_line {
                self.done = true;
                return Some(Err(too_long(self.number, self.max_line)));
            }
            while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
                self.buf.pop();
            }
            if self.buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let number = self.number;
            return Some(Ok(match std::str::from_utf8(&self.buf) {
                Ok(text) => Ok((number, text)),
                Err(_) => {
                    Err(LineError { line: number, message: "line is not valid UTF-8".into() })
                }
            }));
        }
    }
}

impl<R: BufRead> Iterator for RawLines<R> {
    type Item = Result<Result<RawLine, LineError>, std::io::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        // Copy out the line at its exact size and keep the buffer's room for the next one
        // (taking the buffer would regrow a fresh one, allocation by allocation, per line).
        Some(
            self.next_text()?
                .map(|line| line.map(|(number, text)| RawLine { number, text: text.to_owned() })),
        )
    }
}

/// The error that ends the reading at a line over the cap.
fn too_long(line: u64, max: usize) -> std::io::Error {
    let size =
        if max == MAX_LINE_BYTES { format!("{max} bytes (1 MiB)") } else { format!("{max} bytes") };
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("line {line} is longer than {size}"),
    )
}

/// Parses one ledger line, checking its shape (exactly one of `open` and `event`).
///
/// ```
/// use ombud_engine::ledger::parse_line;
/// let err = parse_line(7, r#"{"ticket":"T-1"}"#).unwrap_err();
/// assert_eq!(err.to_string(), "line 7: a ledger line needs exactly one of `open` and `event`");
/// ```
pub fn parse_line(number: u64, text: &str) -> Result<LedgerLine, LineError> {
    let line: LedgerLine = match fast_event_line(text) {
        Some(line) => line,
        None => serde_json::from_str(text)
            .map_err(|e| LineError { line: number, message: json_message(&e) })?,
    };
    if line.body().is_none() {
        return Err(LineError {
            line: number,
            message: "a ledger line needs exactly one of `open` and `event`".into(),
        });
    }
    if line.ticket.is_empty() {
        return Err(LineError { line: number, message: "`ticket` is empty".into() });
    }
    if let Some(LineBody::Event(e)) = line.body()
        && e.event.is_empty()
    {
        return Err(LineError { line: number, message: "`event` name is empty".into() });
    }
    Ok(line)
}

/// The shape almost every event line of a ledger has, read without the general JSON parser:
/// `{"ticket":"…","event":{"at":"…","event":"…"}}`, optionally with `"artifact"`, `"member"`,
/// `"to"`, `"assignee"` and `"by"` after `"event"`, in that order, no whitespace, every string free of escapes
/// and control characters, and an instant [`parse_instant`](crate::timefmt::parse_instant)
/// reads. Anything else (an opening, `data`, another order, whitespace, an escape, a bad
/// instant) returns `None` and goes to serde_json, so what is accepted, and every error, is
/// serde's; a property test checks the two agree.
fn fast_event_line(text: &str) -> Option<LedgerLine> {
    /// Consumes `"…"` at the start of `rest`: the string, and what follows it.
    fn string(rest: &str) -> Option<(&str, &str)> {
        let body = rest.strip_prefix('"')?;
        // The line has no escape: the string ends at the next quote (a byte no multi-byte
        // character contains).
        let end = body.bytes().position(|b| b == b'"')?;
        Some((body.get(..end)?, body.get(end + 1..)?))
    }
    // One pass over the whole line, without an early exit so that it compiles to vector code:
    // a backslash or a control character anywhere sends the line to serde.
    if text.bytes().fold(false, |escaped, b| escaped | (b == b'\\') | (b < b' ')) {
        return None;
    }
    let rest = text.strip_prefix("{\"ticket\":")?;
    let (ticket, rest) = string(rest)?;
    let rest = rest.strip_prefix(",\"event\":{\"at\":")?;
    let (at, rest) = string(rest)?;
    let rest = rest.strip_prefix(",\"event\":")?;
    let (name, mut rest) = string(rest)?;
    let mut optional: [Option<&str>; 5] = [None; 5];
    let keys = [",\"artifact\":", ",\"member\":", ",\"to\":", ",\"assignee\":", ",\"by\":"];
    for (slot, key) in optional.iter_mut().zip(keys) {
        if let Some(after) = rest.strip_prefix(key) {
            let (value, after) = string(after)?;
            *slot = Some(value);
            rest = after;
        }
    }
    if rest != "}}" {
        return None;
    }
    let [artifact, member, to, assignee, by] = optional;
    let event = crate::runtime::Event {
        at: crate::timefmt::parse_instant(at).ok()?,
        event: name.into(),
        artifact: artifact.map(str::to_string),
        data: None,
        member: member.map(str::to_string),
        to: to.map(str::to_string),
        assignee: assignee.map(str::to_string),
        by: by.map(str::to_string),
    };
    Some(LedgerLine::event(ticket, event))
}

fn json_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line 1 column N"; the column is useful, the line is always 1.
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(i) => format!("{} (column {})", &text[..i], e.column()),
        None => text,
    };
    format!("malformed line: {text}")
}

/// The ticket id of a ledger line without parsing all of it: a fast path for lines that start
/// with `{"ticket":"…"` (what every writer of this crate produces), else a full parse of only the
/// `ticket` key. `None` when the line has no readable ticket id.
///
/// ```
/// use ombud_engine::ledger::ticket_of;
/// assert_eq!(ticket_of(r#"{"ticket":"T-1","event":{}}"#).as_deref(), Some("T-1"));
/// assert_eq!(ticket_of(r#"{ "event":{}, "ticket":"T-2" }"#).as_deref(), Some("T-2"));
/// assert_eq!(ticket_of("garbage"), None);
/// ```
pub fn ticket_of(text: &str) -> Option<std::borrow::Cow<'_, str>> {
    if let Some(rest) = text.strip_prefix("{\"ticket\":\"")
        && let Some(end) = rest.bytes().position(|b| b == b'"' || b == b'\\')
        && rest.as_bytes().get(end) == Some(&b'"')
    {
        return rest.get(..end).map(std::borrow::Cow::Borrowed);
    }
    #[derive(serde::Deserialize)]
    struct Only {
        ticket: String,
    }
    serde_json::from_str::<Only>(text).ok().map(|o| std::borrow::Cow::Owned(o.ticket))
}

impl fmt::Display for OnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OnError::Skip => "skip",
            OnError::Fail => "fail",
        })
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::{LedgerLine, fast_event_line};
    use proptest::prelude::*;

    /// Strings with the characters that matter: quotes, backslashes, control characters,
    /// non-ASCII, and instants valid and not.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "T-1",
                "registered",
                "attach",
                "billing",
                "",
                "重复计费",
                "a\"b",
                "a\\\\b",
                "a\\u0041",
                "tab\there",
                "2026-07-01T09:20:00+08:00",
                "2026-07-01T09:20:00Z",
                "2026-02-30T09:20:00Z",
                "2026-07-01 09:20:00Z",
                "2026-07-01T09:20:00.5Z",
            ])
            .prop_map(str::to_string),
            "[a-z0-9 \"\\\\:,{}\u{1}é]{0,8}",
        ]
    }

    fn line() -> impl Strategy<Value = String> {
        let keys = prop::sample::subsequence(
            vec!["artifact", "member", "to", "assignee", "by", "data", "x"],
            0..3,
        );
        (piece(), piece(), piece(), keys, prop::collection::vec(piece(), 3), any::<u8>()).prop_map(
            |(ticket, at, name, keys, values, variant)| {
                let mut extra = String::new();
                for (k, v) in keys.iter().zip(values) {
                    extra.push_str(&format!(",\"{k}\":\"{v}\""));
                }
                let l = format!(
                    "{{\"ticket\":\"{ticket}\",\"event\":{{\"at\":\"{at}\",\"event\":\"{name}\"{extra}}}}}"
                );
                match variant % 6 {
                    0 => l.replacen(',', ", ", 1),
                    1 => l.replace("\"at\"", "\"event\":\"x\",\"at\""),
                    2 => format!("{l} "),
                    _ => l,
                }
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// Whatever the direct reader accepts, serde reads the same way.
        #[test]
        fn the_direct_reader_agrees_with_serde(l in line()) {
            if let Some(fast) = fast_event_line(&l) {
                let serde: Result<LedgerLine, _> = serde_json::from_str(&l);
                prop_assert_eq!(serde.ok(), Some(fast), "{}", l);
            }
        }
    }

    #[test]
    fn the_usual_event_lines_are_read_directly() {
        for l in [
            r#"{"ticket":"T-000001","event":{"at":"2026-06-30T16:15:00Z","event":"registered"}}"#,
            r#"{"ticket":"T-2","event":{"at":"2026-07-01T09:20:00+08:00","event":"attach","artifact":"investigation_report"}}"#,
            r#"{"ticket":"T-3","event":{"at":"2026-07-01T09:20:00+08:00","event":"member_done","member":"billing","by":"王"}}"#,
        ] {
            let fast = fast_event_line(l);
            assert!(fast.is_some(), "{l}");
            assert_eq!(serde_json::from_str::<LedgerLine>(l).ok(), fast);
        }
    }
}
