//! The streaming ledger reader: one line in memory at a time, every problem located by line.

use super::format::{LedgerLine, LineBody};
use serde::Serialize;
use std::fmt;
use std::io::BufRead;

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

/// One raw line of a ledger: its number and text (without the line break).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RawLine {
    /// 1-based line number.
    pub number: u64,
    /// The text.
    pub text: String,
}

/// Reads a ledger line by line. Blank lines are skipped; a line that is not UTF-8 comes back as a
/// [`LineError`]; an I/O error ends the iteration with `Err(Err(io))`.
pub(super) struct RawLines<R> {
    input: R,
    number: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> RawLines<R> {
    /// A reader over `input`.
    pub(super) fn new(input: R) -> Self {
        RawLines { input, number: 0, buf: Vec::with_capacity(512), done: false }
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
            match self.input.read_until(b'\n', &mut self.buf) {
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

/// Parses one ledger line, checking its shape (exactly one of `open` and `event`).
pub(super) fn parse_line(number: u64, text: &str) -> Result<LedgerLine, LineError> {
    let line: LedgerLine = serde_json::from_str(text)
        .map_err(|e| LineError { line: number, message: json_message(&e) })?;
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
