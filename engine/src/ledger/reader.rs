//! The streaming ledger reader: one line in memory at a time, every problem located by line.

use super::format::{LedgerLine, LineBody};
use serde::Serialize;
use std::fmt;
use std::io::BufRead;

/// What to do with a line that cannot be read.
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
}

impl<R: BufRead> RawLines<R> {
    /// A reader over `input`.
    pub fn new(input: R) -> Self {
        RawLines { input, number: 0, buf: Vec::with_capacity(512), done: false }
    }
}

impl<R: BufRead> Iterator for RawLines<R> {
    type Item = Result<Result<RawLine, LineError>, std::io::Error>;

    fn next(&mut self) -> Option<Self::Item> {
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
            return Some(Ok(match String::from_utf8(std::mem::take(&mut self.buf)) {
                Ok(text) => Ok(RawLine { number, text }),
                Err(_) => {
                    Err(LineError { line: number, message: "line is not valid UTF-8".into() })
                }
            }));
        }
    }
}

/// Parses one ledger line, checking its shape (exactly one of `open` and `event`).
///
/// ```
/// use ombud_engine::ledger::parse_line;
/// let err = parse_line(7, r#"{"ticket":"T-1"}"#).unwrap_err();
/// assert_eq!(err.to_string(), "line 7: a ledger line needs exactly one of `open` and `event`");
/// ```
pub fn parse_line(number: u64, text: &str) -> Result<LedgerLine, LineError> {
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
        && let Some(end) = rest.find(['"', '\\'])
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
