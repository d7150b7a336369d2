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
/// use ombud_engine::ledger::{ReplayOptions, replay};
/// # let engine = ombud_engine::doc_support::desk();
/// let result = replay(&[engine], &b"\n\xff\xfe\n"[..], &ReplayOptions::default()).unwrap();
/// let err = &result.errors[0];
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

/// One line of a JSON Lines file, as [`RawLines`] reads it: its number and text (without the
/// line break).
///
/// ```
/// use ombud_engine::ledger::RawLines;
/// let line = RawLines::new(&b"\n{}\n"[..]).next().unwrap().unwrap().unwrap();
/// assert_eq!((line.number, line.text.as_str()), (2, "{}"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawLine {
    /// 1-based line number.
    pub number: u64,
    /// The text.
    pub text: String,
}

/// Reads a ledger (or any JSON Lines file, a ticket store) line by line, holding one line at a
/// time. Blank lines are skipped; a line that is not UTF-8 comes back as a [`LineError`]; an I/O
/// error, or a line longer than the cap (1 MiB unless [`with_max_line`](Self::with_max_line)
/// says otherwise), ends the iteration with `Err(io)`.
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
pub(crate) const MAX_LINE_BYTES: usize = 1 << 20;

impl<R: BufRead> RawLines<R> {
    /// A reader over `input`.
    ///
    /// ```
    /// use ombud_engine::ledger::RawLines;
    /// let ledger = "{\"ticket\":\"T-1\"}\n\n  \n{\"ticket\":\"T-2\"}\r\n";
    /// let lines: Vec<_> = RawLines::new(ledger.as_bytes()).map(|l| l.unwrap().unwrap()).collect();
    /// assert_eq!((lines[1].number, lines[1].text.as_str()), (4, r#"{"ticket":"T-2"}"#));
    /// // A line over 1 MiB ends the reading.
    /// let long = format!("{{\"ticket\":\"{}\"}}\n", "x".repeat(1 << 20));
    /// let err = RawLines::new(long.as_bytes()).next().unwrap().unwrap_err();
    /// assert_eq!(err.to_string(), "line 1 is longer than 1048576 bytes (1 MiB)");
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

/// Parses one ledger line, checking its shape (exactly one of `open`, `event` and `calendar`).
pub(super) fn parse_line(number: u64, text: &str) -> Result<LedgerLine, LineError> {
    let line: LedgerLine = serde_json::from_str(text)
        .map_err(|e| LineError { line: number, message: json_message(&e) })?;
    if line.body().is_none() {
        return Err(LineError {
            line: number,
            message: "a ledger line needs exactly one of `open`, `event` and `calendar`".into(),
        });
    }
    if line.ticket.is_empty() {
        return Err(LineError { line: number, message: "`ticket` is empty".into() });
    }
    let empty = match line.body() {
        Some(LineBody::Event(e)) if e.event.is_empty() => Some("`event` name is empty"),
        Some(LineBody::Calendar(c)) if c.id.is_empty() => Some("`calendar` id is empty"),
        Some(LineBody::Open(o)) if o.calendar.as_deref() == Some("") => {
            Some("`open` names an empty `calendar`")
        }
        _ => None,
    };
    if let Some(message) = empty {
        return Err(LineError { line: number, message: message.into() });
    }
    Ok(line)
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

/// The ticket id of a ledger line (`None` when the line has no readable ticket id), read
/// without building the rest of the line.
pub(super) fn ticket_of(text: &str) -> Option<std::borrow::Cow<'_, str>> {
    #[derive(serde::Deserialize)]
    struct Only<'a> {
        #[serde(borrow)]
        ticket: std::borrow::Cow<'a, str>,
    }
    serde_json::from_str::<Only<'_>>(text).ok().map(|o| o.ticket)
}

impl fmt::Display for OnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OnError::Skip => "skip",
            OnError::Fail => "fail",
        })
    }
}
