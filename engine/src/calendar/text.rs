//! The written forms of calendar settings — dates, time zones, cutoffs — parsed in one place for
//! calendar files, a policy's `calendar:` overrides and the command line. (Business hours are
//! parsed by [`BusinessHours`](super::BusinessHours)'s `FromStr`.)

use super::hours::parse_time;
use crate::check::did_you_mean;
use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

/// How dates are written, for hints.
///
/// ```
/// use ombud_engine::calendar::{Calendar, DATE_FORM};
/// let text = "id: org\nextends: cn-mainland\nclosures:\n  - {name: Stocktaking, date: 2026-12-32}\n";
/// let diags = Calendar::from_yaml("org.yaml", text, None).unwrap_err();
/// assert_eq!(diags[0].message, "`2026-12-32` is not a date");
/// assert_eq!(diags[0].hint.as_deref(), Some(DATE_FORM));
/// ```
pub const DATE_FORM: &str = "write dates as `YYYY-MM-DD`, e.g. `2026-02-15`";

/// How a same-day cutoff is written, for hints.
///
/// ```
/// use ombud_engine::calendar::{CUTOFF_FORM, Calendar};
/// let text = "id: org\nextends: cn-mainland\ncutoff: 4pm\n";
/// let diags = Calendar::from_yaml("org.yaml", text, None).unwrap_err();
/// assert_eq!((diags[0].span.line, diags[0].hint.as_deref()), (3, Some(CUTOFF_FORM)));
/// ```
pub const CUTOFF_FORM: &str = "write the cutoff as `HH:MM`, e.g. `cutoff: \"16:00\"`";

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
///
/// ```
/// use ombud_engine::calendar::parse_time_zone;
/// assert_eq!(parse_time_zone("Asia/Shanghai"), Ok(chrono_tz::Asia::Shanghai));
/// assert_eq!(parse_time_zone("Europe/Berln").unwrap_err(), "did you mean `Europe/Berlin`?");
/// ```
pub fn parse_time_zone(s: &str) -> Result<Tz, String> {
    s.trim().parse::<Tz>().map_err(|_| {
        match did_you_mean(s.trim(), chrono_tz::TZ_VARIANTS.iter().map(|t| t.name())) {
            Some(c) => format!("did you mean `{c}`?"),
            None => "use an IANA zone name such as `Asia/Shanghai` or `Europe/Berlin`".into(),
        }
    })
}

/// Parses a same-day cutoff, a time of day `HH:MM` (or `HH:MM:SS`).
///
/// ```
/// use ombud_engine::calendar::parse_cutoff;
/// assert_eq!(parse_cutoff("16:00").unwrap().to_string(), "16:00:00");
/// assert!(parse_cutoff("25:00").is_none() && parse_cutoff("4pm").is_none());
/// ```
pub fn parse_cutoff(s: &str) -> Option<NaiveTime> {
    parse_time(s, false)
}
