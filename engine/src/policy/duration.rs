//! Durations of the policy language — the one parser and the one type for every time limit.
//!
//! | written                                   | meaning                                   |
//! |-------------------------------------------|-------------------------------------------|
//! | `30m`, `1h`, `72h`, `90s`, `1h30m`, `2 hours` | elapsed wall-clock time                |
//! | `3 working days`, `3wd`, `1 working day`  | statutory working days on the calendar    |
//! | `8 working hours`, `8wh`, `30 working minutes` | business-hours time on working days  |
//! | `10 calendar days`, `10cd`                | calendar days, rolled forward off non-working days |
//!
//! Units are read without regard to case: `72H`, `3WD` and `3 Working Days` are accepted.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A time limit as written in a policy or scenario.
///
/// ```
/// use ombud_engine::policy::Duration;
/// assert_eq!("3 working days".parse::<Duration>(), Ok(Duration::WorkingDays(3)));
/// assert_eq!("3wd".parse::<Duration>(), Ok(Duration::WorkingDays(3)));
/// assert_eq!("72h".parse::<Duration>(), Ok(Duration::Wall { seconds: 72 * 3600 }));
/// assert_eq!("8wh".parse::<Duration>(), Ok(Duration::WorkingHours { minutes: 480 }));
/// assert_eq!("10 calendar days".parse::<Duration>(), Ok(Duration::CalendarDays(10)));
/// assert_eq!(Duration::WorkingDays(1).to_string(), "1 working day");
/// // Units are read without regard to case.
/// assert_eq!("3WD".parse::<Duration>(), "3 Working Days".parse::<Duration>());
/// assert_eq!("72H".parse::<Duration>(), Ok(Duration::Wall { seconds: 72 * 3600 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Duration {
    /// Elapsed wall-clock time.
    Wall {
        /// Length in seconds.
        seconds: i64,
    },
    /// N statutory working days (day of the start not counted unless before a cutoff).
    WorkingDays(u32),
    /// Business-hours time on working days.
    WorkingHours {
        /// Length in minutes.
        minutes: u32,
    },
    /// N calendar days; a deadline on a non-working day rolls to the next working day's end.
    CalendarDays(u32),
}

impl Duration {
    /// Whether the deadline it gives depends on the working calendar: working days and hours,
    /// and calendar days, whose deadline rolls off days that are not working days. Only an hour
    /// budget (`72h`) is pure wall time. (A ladder's percentage steps of a calendar-day budget
    /// still fall on wall time; see `docs/runtime.md`, Ladders.)
    ///
    /// ```
    /// use ombud_engine::policy::Duration;
    /// let working: Vec<bool> = ["72h", "3wd", "8wh", "10cd"]
    ///     .iter()
    ///     .map(|s| s.parse::<Duration>().unwrap().is_working_time())
    ///     .collect();
    /// assert_eq!(working, [false, true, true, true]);
    /// ```
    pub fn is_working_time(&self) -> bool {
        !matches!(self, Duration::Wall { .. })
    }

    /// Whether the duration is zero.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// use ombud_engine::policy::StepAt;
    /// // The urgent ladder's `{ at: deadline, … }` step: the deadline moved by nothing.
    /// let StepAt::Offset { by, .. } = &policy.ladders()[1].steps[1].at else { unreachable!() };
    /// assert!(by.is_zero());
    /// assert!(!ombud_engine::policy::Duration::WorkingDays(1).is_zero());
    /// ```
    pub fn is_zero(&self) -> bool {
        match *self {
            Duration::Wall { seconds } => seconds == 0,
            Duration::WorkingDays(n) | Duration::CalendarDays(n) => n == 0,
            Duration::WorkingHours { minutes } => minutes == 0,
        }
    }
}

/// Why a duration did not parse; `offset` is the byte in the input where the problem starts.
///
/// ```
/// use ombud_engine::policy::{Duration, DurationError};
/// let err: DurationError = "3 weeks".parse::<Duration>().unwrap_err();
/// assert_eq!((err.message.as_str(), err.offset), ("unknown unit `weeks`", 2));
/// let ambiguous = "3 days".parse::<Duration>().unwrap_err();
/// assert!(ambiguous.to_string().starts_with("`3 days` is ambiguous"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DurationError {
    /// What is wrong, lowercase.
    pub message: String,
    /// Byte offset of the problem in the parsed text.
    pub offset: usize,
}

impl DurationError {
    fn new(message: impl Into<String>, offset: usize) -> Self {
        DurationError { message: message.into(), offset }
    }
}

/// The forms a duration can take, for hints.
///
/// ```
/// use ombud_engine::policy::DURATION_FORMS;
/// let text = "policy: p\ncalendar: weekdays\ntiers: [a]\nstart: s\nstages:\n  \
///             s: { owner: a, due: 2 weeks, on: { x: e } }\n  e: { terminal: true }\n";
/// let err = ombud_engine::load_policy("p.yaml", text, None).unwrap_err();
/// let bad_due = &err.diagnostics()[0];
/// assert_eq!(bad_due.message, "invalid duration `2 weeks`: unknown unit `weeks`");
/// assert_eq!((bad_due.span.line, bad_due.hint.as_deref()), (6, Some(DURATION_FORMS)));
/// ```
pub const DURATION_FORMS: &str = "write e.g. `30m`, `72h`, `3 working days` (`3wd`), `8 working hours` (`8wh`) or `10 calendar days`";

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let lead = input.len() - input.trim_start().len();
        // Units are read without regard to case (`72H`, `3WD`, `3 Working Days`); lowercasing
        // ASCII keeps every byte offset.
        let lower = input.trim().to_ascii_lowercase();
        let s = lower.as_str();
        if s.is_empty() {
            return Err(DurationError::new("empty duration", 0));
        }
        // Compound wall-clock form without spaces: 1h30m, 90s, 2d.
        if !s.contains(' ') && !s.ends_with("wd") && !s.ends_with("wh") && !s.ends_with("cd") {
            return parse_compact_wall(s)
                .map_err(|e| DurationError::new(e.message, e.offset + lead));
        }
        let (num_str, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
            Some(0) | None => {
                return Err(DurationError::new(
                    format!("`{s}` does not start with a number"),
                    lead,
                ));
            }
            Some(i) => (&s[..i], s[i..].trim()),
        };
        let n: u32 = num_str
            .parse()
            .map_err(|_| DurationError::new(format!("`{num_str}` is too large"), lead))?;
        let unit_offset = lead + s.len() - s[num_str.len()..].trim_start().len();
        let words: Vec<&str> = unit.split_whitespace().collect();
        let d = match words.as_slice() {
            ["wd"] | ["working", "day" | "days"] => Duration::WorkingDays(n),
            ["wh"] | ["working", "hour" | "hours"] => match n.checked_mul(60) {
                Some(minutes) => Duration::WorkingHours { minutes },
                None => {
                    let most = u32::MAX / 60;
                    let message = format!("`{num_str}` is too large: at most {most} working hours");
                    return Err(DurationError::new(message, lead));
                }
            },
            ["working", "minute" | "minutes"] => Duration::WorkingHours { minutes: n },
            ["cd"] | ["calendar", "day" | "days"] => Duration::CalendarDays(n),
            ["second" | "seconds"] => Duration::Wall { seconds: i64::from(n) },
            ["minute" | "minutes"] => Duration::Wall { seconds: i64::from(n) * 60 },
            ["hour" | "hours"] => Duration::Wall { seconds: i64::from(n) * 3600 },
            ["day" | "days"] => {
                return Err(DurationError::new(
                    format!("`{s}` is ambiguous: say `{n} working days` or `{n} calendar days`"),
                    unit_offset,
                ));
            }
            _ => return Err(DurationError::new(format!("unknown unit `{unit}`"), unit_offset)),
        };
        Ok(d)
    }
}

fn parse_compact_wall(s: &str) -> Result<Duration, DurationError> {
    let mut total: i64 = 0;
    let mut num_start = 0;
    let mut seen_any = false;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        if i == num_start {
            return Err(DurationError::new(format!("`{s}` is not a duration"), i));
        }
        let n: i64 = s[num_start..i]
            .parse()
            .map_err(|_| DurationError::new("number too large", num_start))?;
        let unit = match bytes[i] {
            b's' => 1,
            b'm' => 60,
            b'h' => 3600,
            b'd' => {
                return Err(DurationError::new(
                    format!(
                        "`{s}` is ambiguous: say `N working days` (`Nwd`) or `N calendar days` (`Ncd`)"
                    ),
                    i,
                ));
            }
            _ => return Err(DurationError::new(format!("unknown unit in `{s}`"), i)),
        };
        total = total
            .checked_add(
                n.checked_mul(unit)
                    .ok_or_else(|| DurationError::new("duration too large", num_start))?,
            )
            .ok_or_else(|| DurationError::new("duration too large", num_start))?;
        seen_any = true;
        i += 1;
        num_start = i;
    }
    if num_start != bytes.len() || !seen_any {
        return Err(DurationError::new(format!("`{s}` has no unit"), num_start));
    }
    Ok(Duration::Wall { seconds: total })
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = |f: &mut fmt::Formatter<'_>, n: u32, unit: &str| {
            let plural = if n == 1 { "" } else { "s" };
            write!(f, "{n} {unit}{plural}")
        };
        match *self {
            Duration::Wall { seconds } if seconds < 0 => write!(f, "{seconds}s"),
            Duration::Wall { seconds } => {
                let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
                if h > 0 {
                    write!(f, "{h}h")?;
                }
                if m > 0 {
                    write!(f, "{m}m")?;
                }
                if s > 0 || (h == 0 && m == 0) {
                    write!(f, "{s}s")?;
                }
                Ok(())
            }
            Duration::WorkingDays(n) => count(f, n, "working day"),
            Duration::WorkingHours { minutes } if minutes % 60 == 0 => {
                count(f, minutes / 60, "working hour")
            }
            Duration::WorkingHours { minutes } => count(f, minutes, "working minute"),
            Duration::CalendarDays(n) => count(f, n, "calendar day"),
        }
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_form() {
        let cases = [
            ("30m", Duration::Wall { seconds: 1800 }),
            ("1h", Duration::Wall { seconds: 3600 }),
            ("1h30m", Duration::Wall { seconds: 5400 }),
            ("2 hours", Duration::Wall { seconds: 7200 }),
            ("1 working day", Duration::WorkingDays(1)),
            ("7 working days", Duration::WorkingDays(7)),
            ("8 working hours", Duration::WorkingHours { minutes: 480 }),
            ("30 working minutes", Duration::WorkingHours { minutes: 30 }),
            ("10cd", Duration::CalendarDays(10)),
        ];
        for (text, want) in cases {
            assert_eq!(text.parse::<Duration>(), Ok(want), "{text}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["30m", "72h", "1h30m", "3 working days", "8 working hours", "10 calendar days"]
        {
            let d: Duration = text.parse().unwrap();
            assert_eq!(d.to_string().parse::<Duration>().unwrap(), d);
        }
    }

    #[test]
    fn rejects_with_offsets() {
        assert_eq!("3 weeks".parse::<Duration>().unwrap_err().offset, 2);
        assert!("3 days".parse::<Duration>().unwrap_err().message.contains("ambiguous"));
        assert!("".parse::<Duration>().is_err());
        assert!("h".parse::<Duration>().is_err());
        assert!("99999999999999999999h".parse::<Duration>().is_err());
        // Working hours are counted in minutes: a count whose minutes do not fit is refused,
        // not held at the largest count that does.
        let e = "71582789 working hours".parse::<Duration>().unwrap_err();
        assert_eq!(
            (e.message.as_str(), e.offset),
            ("`71582789` is too large: at most 71582788 working hours", 0)
        );
        assert_eq!(
            "71582788wh".parse::<Duration>(),
            Ok(Duration::WorkingHours { minutes: 71_582_788 * 60 })
        );
    }
}
