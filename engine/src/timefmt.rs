//! The one place instants are turned into text: RFC 3339 in a zone, and the human form used in
//! timelines (`Thu 26 Feb 2026 24:00` for the midnight that ends 26 February).

use chrono::{DateTime, Datelike, Duration, SecondsFormat, Timelike, Utc};
use chrono_tz::Tz;

/// RFC 3339 with the zone's offset, to the second.
///
/// ```
/// use ombud_engine::timefmt::rfc3339;
/// let t = "2026-02-25T16:00:00Z".parse().unwrap();
/// assert_eq!(rfc3339(chrono_tz::Asia::Shanghai, t), "2026-02-26T00:00:00+08:00");
/// ```
pub fn rfc3339(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Day, date and time in the zone; an instant at local midnight is shown as `24:00` of the day it
/// ends, which is how statutory deadlines are spoken of.
///
/// ```
/// use ombud_engine::timefmt::human;
/// let t = "2026-02-25T16:00:00Z".parse().unwrap();
/// assert_eq!(human(chrono_tz::Asia::Shanghai, t), "Wed 25 Feb 2026 24:00");
/// let t = "2026-02-13T09:30:00Z".parse().unwrap();
/// assert_eq!(human(chrono_tz::Asia::Shanghai, t), "Fri 13 Feb 2026 17:30");
/// ```
pub fn human(tz: Tz, t: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(24);
    push_human(&mut out, tz, t);
    out
}

/// [`human`], appended to `out` (a `String`, or any other text buffer).
pub fn push_human(out: &mut impl std::fmt::Write, tz: Tz, t: DateTime<Utc>) {
    let local = t.with_timezone(&tz);
    let (h, m, s) = (local.hour(), local.minute(), local.second());
    let midnight = h == 0 && m == 0 && s == 0;
    let day = if midnight { (local - Duration::days(1)).date_naive() } else { local.date_naive() };
    // Written out by hand: strftime parses its pattern on every call, and timelines call this a lot.
    const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let weekday = WEEKDAYS.get(day.weekday().num_days_from_monday() as usize).unwrap_or(&"");
    let month = MONTHS.get(day.month0() as usize).unwrap_or(&"");
    // Writing to a String cannot fail.
    let _ = write!(out, "{weekday} {} {month} {} ", day.day(), day.year());
    if midnight {
        let _ = out.write_str("24:00");
    } else if s != 0 {
        let _ = write!(out, "{h:02}:{m:02}:{s:02}");
    } else {
        let _ = write!(out, "{h:02}:{m:02}");
    }
}

/// Date and time in the zone without the weekday (`2026-02-13 17:30`), for table columns.
pub fn short(tz: Tz, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&tz);
    if local.second() != 0 {
        local.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    }
}
