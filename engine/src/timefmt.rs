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
    let local = t.with_timezone(&tz);
    let (day, hm) = if local.hour() == 0 && local.minute() == 0 && local.second() == 0 {
        ((local - Duration::days(1)).date_naive(), "24:00".to_string())
    } else if local.second() != 0 {
        (
            local.date_naive(),
            format!("{:02}:{:02}:{:02}", local.hour(), local.minute(), local.second()),
        )
    } else {
        (local.date_naive(), format!("{:02}:{:02}", local.hour(), local.minute()))
    };
    // Written out by hand: strftime parses its pattern on every call, and timelines call this a lot.
    const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let weekday = WEEKDAYS.get(day.weekday().num_days_from_monday() as usize).unwrap_or(&"");
    let month = MONTHS.get(day.month0() as usize).unwrap_or(&"");
    format!("{weekday} {} {month} {} {hm}", day.day(), day.year())
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
