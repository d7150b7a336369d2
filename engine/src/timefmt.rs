//! The one place instants are turned into text: RFC 3339 in a zone, and the human form used in
//! timelines (`Thu 26 Feb 2026 24:00` for the midnight that ends 26 February).

use chrono::{DateTime, Datelike, Duration, Offset, SecondsFormat, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// RFC 3339 with the zone's offset, to the second.
///
/// ```
/// use ombud_engine::timefmt::rfc3339;
/// let t = "2026-02-25T16:00:00Z".parse().unwrap();
/// assert_eq!(rfc3339(chrono_tz::Asia::Shanghai, t), "2026-02-26T00:00:00+08:00");
/// ```
///
/// RFC 3339 writes offsets in whole minutes and years in four digits. An instant whose offset
/// in the zone has seconds (the local mean time zones kept before 1901: Shanghai's +08:05:43) or
/// whose local date falls after 9999 is written in UTC instead, so that the text reads back as
/// exactly the instant it was written from.
///
/// ```
/// use ombud_engine::timefmt::rfc3339;
/// let tz = chrono_tz::Asia::Shanghai;
/// let lmt = "1900-06-01T00:00:00Z".parse().unwrap();
/// assert_eq!(rfc3339(tz, lmt), "1900-06-01T00:00:00+00:00");
/// let last = "9999-12-31T20:00:00Z".parse().unwrap();
/// assert_eq!(rfc3339(tz, last), "9999-12-31T20:00:00+00:00");
/// ```
pub fn rfc3339(tz: Tz, t: DateTime<Utc>) -> String {
    let tz = zone(tz, t);
    let off = tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc();
    let local = t.timestamp().saturating_add(i64::from(off));
    let tz =
        if off % 60 == 0 && crate::calendar::KEPT.contains(&local) { tz } else { chrono_tz::UTC };
    t.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The zone `t` is written in: `tz`, or UTC for an instant outside the years the engine keeps
/// (1 to 9999), whose local time in another zone may not exist (chrono's last instant, say).
fn zone(tz: Tz, t: DateTime<Utc>) -> Tz {
    if crate::calendar::KEPT.contains(&t.timestamp()) { tz } else { chrono_tz::UTC }
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
/// let t = "2026-10-01T01:05:09Z".parse().unwrap();
/// assert_eq!(human(chrono_tz::Asia::Shanghai, t), "Thu 1 Oct 2026 09:05:09");
/// ```
pub fn human(tz: Tz, t: DateTime<Utc>) -> String {
    Human { tz, t }.to_string()
}

/// An instant shown as [`human`] shows it, for `format!` arguments.
pub(crate) struct Human {
    pub(crate) tz: Tz,
    pub(crate) t: DateTime<Utc>,
}

impl std::fmt::Display for Human {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MONTHS: [&str; 12] =
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let Human { tz, t } = *self;
        let tz = zone(tz, t);
        let local = t.with_timezone(&tz).naive_local();
        let midnight = local.time() == chrono::NaiveTime::MIN;
        // Local midnight ends the day its last second belongs to, however long that day was (23
        // or 25 hours, or the day before a day the zone skipped).
        let day = if midnight {
            // (chrono's first instant has no second before it: its own day, then)
            t.checked_sub_signed(Duration::seconds(1))
                .map_or(local.date(), |before| before.with_timezone(&tz).date_naive())
        } else {
            local.date()
        };
        let month = MONTHS.get(day.month0() as usize).copied().unwrap_or_default();
        write!(f, "{} {} {month} {} ", day.weekday(), day.day(), day.year())?;
        match (midnight, local.second()) {
            (true, _) => f.write_str("24:00"),
            (false, 0) => write!(f, "{:02}:{:02}", local.hour(), local.minute()),
            (false, s) => write!(f, "{:02}:{:02}:{s:02}", local.hour(), local.minute()),
        }
    }
}

/// Why a time with second 60 is refused. chrono reads `23:59:60` as a leap second, which its
/// arithmetic then counts as `:59`: two written instants, one instant kept.
pub(crate) const LEAP_SECOND: &str =
    "second 60 (a leap second) is not an instant Ombud keeps: write `:59`, or the next minute";

/// Whether chrono read `t` with second 60 (a leap second, which it keeps as a 60th second
/// inside second 59).
pub(crate) fn is_leap_second<T: Timelike>(t: &T) -> bool {
    t.nanosecond() >= 1_000_000_000
}

/// Serde `deserialize_with` for the instants of inputs (openings, events): chrono's RFC 3339
/// parser, and for any other form chrono reads (a space for the `T`, say) chrono's `FromStr`,
/// whose error is the one reported. The first is several times faster on the usual shape.
pub(crate) fn de_instant<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<DateTime<Utc>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = DateTime<Utc>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an RFC 3339 date and time")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            let t = DateTime::parse_from_rfc3339(s)
                .or_else(|_| s.parse::<DateTime<chrono::FixedOffset>>())
                .map_err(E::custom)?;
            if is_leap_second(&t) {
                return Err(E::custom(format!("`{s}`: {LEAP_SECOND}")));
            }
            Ok(t.with_timezone(&Utc))
        }
    }
    d.deserialize_str(Visitor)
}

/// Date and time in the zone without the weekday (`2026-02-13 17:30`), for table columns.
/// Unlike [`human`], local midnight is shown as `00:00` of the day it starts.
///
/// ```
/// use ombud_engine::timefmt::short;
/// let tz = chrono_tz::Asia::Shanghai;
/// assert_eq!(short(tz, "2026-02-13T09:30:00Z".parse().unwrap()), "2026-02-13 17:30");
/// assert_eq!(short(tz, "2026-02-25T16:00:00Z".parse().unwrap()), "2026-02-26 00:00");
/// assert_eq!(short(tz, "2026-02-25T16:00:05Z".parse().unwrap()), "2026-02-26 00:00:05");
/// ```
pub fn short(tz: Tz, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&zone(tz, t));
    if local.second() != 0 {
        local.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The midnight that ends a 23-hour day ends that day, though 24 hours earlier is the day
    /// before it; and the midnight after a day the zone skipped ends the day before the gap.
    #[test]
    fn midnight_ends_the_day_it_closes_however_long() {
        let human_at = |tz, t: &str| human(tz, t.parse().unwrap());
        // Berlin, Sun 29 Mar 2026 (clocks forward at 02:00): it ends at 22:00 UTC.
        assert_eq!(
            human_at(chrono_tz::Europe::Berlin, "2026-03-29T22:00:00Z"),
            "Sun 29 Mar 2026 24:00"
        );
        // Santiago, Sun 6 Sep 2026 began at 01:00 (-03): it ends at 03:00 UTC on the 7th.
        assert_eq!(
            human_at(chrono_tz::America::Santiago, "2026-09-07T03:00:00Z"),
            "Sun 6 Sep 2026 24:00"
        );
        // Apia skipped Fri 30 Dec 2011: the midnight that starts the 31st ends Thu 29 Dec.
        assert_eq!(
            human_at(chrono_tz::Pacific::Apia, "2011-12-30T10:00:00Z"),
            "Thu 29 Dec 2011 24:00"
        );
    }

    #[test]
    fn years_are_written_in_full_and_seconds_only_when_there_are_some() {
        let utc = chrono_tz::UTC;
        for (y, m, d, hms) in
            [(99, 3, 4, (5, 6, 0)), (-44, 3, 15, (12, 0, 7)), (2026, 1, 2, (3, 4, 5))]
        {
            let t = chrono::NaiveDate::from_ymd_opt(y, m, d)
                .and_then(|d| d.and_hms_opt(hms.0, hms.1, hms.2))
                .map(|t| t.and_utc())
                .unwrap();
            let pattern = if hms.2 == 0 { "%a %-d %b %-Y %H:%M" } else { "%a %-d %b %-Y %H:%M:%S" };
            assert_eq!(human(utc, t), t.format(pattern).to_string());
        }
    }

    /// Inputs' instants read as chrono's `FromStr` reads them: the same instants, the same
    /// forms accepted and refused.
    #[test]
    fn instants_read_as_chrono_reads_them() {
        #[derive(serde::Deserialize)]
        struct At {
            #[serde(deserialize_with = "de_instant")]
            at: DateTime<Utc>,
        }
        for s in [
            "2026-02-13T17:30:00+08:00",
            "2026-02-13T09:30:00Z",
            "2026-02-13T17:30:00.5+08:00",
            "2026-02-13t17:30:00z",
            "2026-02-13 17:30:00+08:00",
            "2026-02-29T17:30:00+08:00",
            "2026-02-13T24:00:00+08:00",
            "2026-02-13T17:30:60+08:00",
            "2026-02-13T17:30:00+24:00",
            "2026-02-13T17:30:00",
            "2026-07-01 09:20",
        ] {
            let ours = serde_json::from_value::<At>(serde_json::json!({ "at": s }));
            let chrono = s.parse::<DateTime<chrono::FixedOffset>>().map(|t| t.with_timezone(&Utc));
            // Except second 60: chrono keeps it as a leap second that its arithmetic counts as
            // :59; it is refused.
            let chrono = chrono.ok().filter(|t| !is_leap_second(t));
            assert_eq!(ours.map(|a| a.at).ok(), chrono, "{s}");
        }
        let e = serde_json::from_value::<At>(serde_json::json!({ "at": "2026-12-31T23:59:60Z" }));
        assert!(e.err().unwrap().to_string().starts_with("`2026-12-31T23:59:60Z`: second 60"));
    }
}
