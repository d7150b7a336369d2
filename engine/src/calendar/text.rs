//! The written forms of calendar settings — dates, time zones, cutoffs — parsed in one place for
//! calendar files, a policy's `calendar:` overrides and the command line. (Business hours are
//! parsed by [`BusinessHours`](super::BusinessHours)'s `FromStr`.)

use super::hours::parse_time;
use crate::check::did_you_mean;
use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

/// How dates are written, for hints.
pub(super) const DATE_FORM: &str = "write dates as `YYYY-MM-DD`, e.g. `2026-02-15`";

/// How a same-day cutoff is written, for hints.
pub(crate) const CUTOFF_FORM: &str = "write the cutoff as `HH:MM`, e.g. `cutoff: \"16:00\"`";

/// Parses a date written `YYYY-MM-DD` (surrounding spaces ignored).
///
/// ```
/// use ombud_engine::calendar::parse_date;
/// assert_eq!(parse_date(" 2026-02-15 ").unwrap().to_string(), "2026-02-15");
/// assert!(parse_date("2026-02-30").is_none());
/// ```
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Parses an IANA time-zone name. On failure, the hint to show: the closest zone name, or an
/// example.
pub(crate) fn parse_time_zone(s: &str) -> Result<Tz, String> {
    s.trim().parse::<Tz>().map_err(|_| {
        match did_you_mean(s.trim(), chrono_tz::TZ_VARIANTS.iter().map(|t| t.name())) {
            Some(c) => format!("did you mean `{c}`?"),
            None => "use an IANA zone name such as `Asia/Shanghai` or `Europe/Berlin`".into(),
        }
    })
}

/// Parses a same-day cutoff, a time of day `HH:MM` (or `HH:MM:SS`).
pub(crate) fn parse_cutoff(s: &str) -> Option<NaiveTime> {
    parse_time(s, false)
}
