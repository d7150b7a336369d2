//! Business hours: the windows of a working day during which working hours are consumed.

use chrono::{NaiveTime, Timelike};
use std::fmt;
use std::str::FromStr;

/// Business hours: one or more windows per working day, e.g. `09:00-12:00,13:30-18:00`.
///
/// Windows are in the calendar's local time, non-overlapping and in increasing order. A window
/// may end at `24:00` (midnight ending the day); it is stored as `00:00` in the end position.
///
/// ```
/// use ombud_engine::calendar::BusinessHours;
/// let h: BusinessHours = "09:00-12:00, 13:30-18:00".parse().unwrap();
/// assert_eq!(h.windows.len(), 2);
/// assert_eq!(h.working_seconds(), (3 * 60 + 270) * 60);
/// assert_eq!(h.to_string(), "09:00-12:00,13:30-18:00");
/// assert!("12:00-09:00".parse::<BusinessHours>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BusinessHours {
    /// Non-overlapping windows in increasing order.
    pub windows: Vec<(NaiveTime, NaiveTime)>,
}

/// Why a business-hours text did not parse; `offset` is the byte where the problem starts.
///
/// ```
/// use ombud_engine::calendar::BusinessHours;
/// let e = "09:00-12:00,13:30-1800".parse::<BusinessHours>().unwrap_err();
/// assert_eq!(e.offset, 18);
/// assert!(e.message.contains("`1800`"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HoursError {
    /// What is wrong, lowercase, user input in backticks.
    pub message: String,
    /// Byte offset of the problem in the parsed text.
    pub offset: usize,
}

/// How business hours are written, for hints.
///
/// ```
/// use ombud_engine::calendar::{Calendar, HOURS_FORM};
/// let text = "id: shop\nextends: weekdays\nhours: 9-17\n";
/// let diags = Calendar::from_yaml("shop.yaml", text, None).unwrap_err();
/// assert_eq!((diags[0].code.as_str(), diags[0].hint.as_deref()), ("E0509", Some(HOURS_FORM)));
/// ```
pub const HOURS_FORM: &str =
    "write windows as `HH:MM-HH:MM` separated by commas, e.g. `09:00-12:00,13:30-18:00`";

impl BusinessHours {
    /// The windows as seconds of the day, `(open, close)` with `close` up to 86,400.
    ///
    /// ```
    /// use ombud_engine::calendar::BusinessHours;
    /// let h: BusinessHours = "09:00-12:00,13:00-24:00".parse().unwrap();
    /// assert_eq!(h.seconds(), [(32_400, 43_200), (46_800, 86_400)]);
    /// ```
    pub fn seconds(&self) -> Vec<(u32, u32)> {
        self.windows.iter().map(|&(a, b)| (secs(a), end_secs(b))).collect()
    }

    /// Working seconds in one working day.
    ///
    /// ```
    /// use ombud_engine::calendar::Calendar;
    /// let de = Calendar::bundled("de-example").unwrap(); // 09:00-12:00,13:00-17:00
    /// assert_eq!(de.business_hours().unwrap().working_seconds(), 7 * 3600);
    /// ```
    pub fn working_seconds(&self) -> i64 {
        self.seconds().iter().map(|&(a, b)| i64::from(b.saturating_sub(a))).sum()
    }

    /// The close of the last window (`None` without windows). A window ending at `24:00` closes
    /// at `00:00`.
    ///
    /// ```
    /// use chrono::NaiveTime;
    /// use ombud_engine::calendar::BusinessHours;
    /// let h: BusinessHours = "08:30-12:00,13:00-17:30".parse().unwrap();
    /// assert_eq!(h.close(), NaiveTime::from_hms_opt(17, 30, 0));
    /// let late: BusinessHours = "18:00-24:00".parse().unwrap();
    /// assert_eq!(late.close(), Some(NaiveTime::MIN));
    /// assert_eq!(BusinessHours::default().close(), None);
    /// ```
    pub fn close(&self) -> Option<NaiveTime> {
        self.windows.last().map(|w| w.1)
    }
}

fn secs(t: NaiveTime) -> u32 {
    t.num_seconds_from_midnight()
}

fn end_secs(t: NaiveTime) -> u32 {
    match secs(t) {
        0 => 86_400,
        s => s,
    }
}

/// Parses `HH:MM` (or `H:MM`, `HH:MM:SS`, and `24:00` when `allow_24` is set).
pub(crate) fn parse_time(s: &str, allow_24: bool) -> Option<NaiveTime> {
    let s = s.trim();
    if allow_24 && (s == "24:00" || s == "24:00:00") {
        return Some(NaiveTime::MIN);
    }
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .ok()
        .filter(|_| s.len() >= 4 && s.bytes().all(|b| b.is_ascii_digit() || b == b':'))
        // `23:59:60` reads as a leap second, which chrono's arithmetic counts as `:59`.
        .filter(|t| !crate::timefmt::is_leap_second(t))
}

impl FromStr for BusinessHours {
    type Err = HoursError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |message: String, offset: usize| HoursError { message, offset };
        if input.trim().is_empty() {
            return Err(err("empty business hours".into(), 0));
        }
        let mut windows: Vec<(NaiveTime, NaiveTime)> = Vec::new();
        let mut prev_end = 0u32;
        let mut offset = 0usize;
        for part in input.split(',') {
            let lead = part.len() - part.trim_start().len();
            let start_off = offset + lead;
            let w = part.trim();
            offset += part.len() + 1;
            let Some((a, b)) = w.split_once('-') else {
                return Err(err(format!("`{w}` is not a window like `09:00-12:00`"), start_off));
            };
            let b_off = start_off + a.len() + 1 + (b.len() - b.trim_start().len());
            let open = parse_time(a, false)
                .ok_or_else(|| err(format!("`{}` is not a time `HH:MM`", a.trim()), start_off))?;
            let close = parse_time(b, true)
                .ok_or_else(|| err(format!("`{}` is not a time `HH:MM`", b.trim()), b_off))?;
            let (o, c) = (secs(open), end_secs(close));
            if c <= o {
                return Err(err(format!("window `{w}` ends before it starts"), start_off));
            }
            if o < prev_end {
                return Err(err(
                    format!("window `{w}` overlaps or precedes the window before it"),
                    start_off,
                ));
            }
            prev_end = c;
            windows.push((open, close));
        }
        Ok(BusinessHours { windows })
    }
}

impl fmt::Display for BusinessHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(a, b)) in self.windows.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let end =
                if secs(b) == 0 { "24:00".to_string() } else { b.format("%H:%M").to_string() };
            write!(f, "{}-{}", a.format("%H:%M"), end)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let h: BusinessHours = " 09:00 - 12:00 ,13:30-18:00 ".parse().unwrap();
        assert_eq!(h.seconds(), vec![(9 * 3600, 12 * 3600), (13 * 3600 + 1800, 18 * 3600)]);
        let all: BusinessHours = "00:00-24:00".parse().unwrap();
        assert_eq!(all.working_seconds(), 86_400);
        assert_eq!(all.to_string(), "00:00-24:00");
        for bad in [
            "",
            "9-12",
            "09:00",
            "09:00-12:00,11:00-13:00",
            "25:00-26:00",
            "10:00-10:00",
            "09:00-23:59:60",
        ] {
            assert!(bad.parse::<BusinessHours>().is_err(), "{bad}");
        }
    }
}
