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
/// let t = "2026-10-01T01:05:09Z".parse().unwrap();
/// assert_eq!(human(chrono_tz::Asia::Shanghai, t), "Thu 1 Oct 2026 09:05:09");
/// ```
pub fn human(tz: Tz, t: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(24);
    push_human(&mut out, tz, t);
    out
}

/// [`human`], appended to `out` (a `String`, or any other text buffer).
///
/// ```
/// use ombud_engine::timefmt::push_human;
/// let mut row = String::from("reply due ");
/// push_human(&mut row, chrono_tz::Europe::Berlin, "2026-03-31T22:00:00Z".parse().unwrap());
/// assert_eq!(row, "reply due Tue 31 Mar 2026 24:00");
/// ```
pub fn push_human(out: &mut impl std::fmt::Write, tz: Tz, t: DateTime<Utc>) {
    // Writing to a String cannot fail.
    let _ = write_human(out, tz, t);
}

fn write_human(out: &mut impl std::fmt::Write, tz: Tz, t: DateTime<Utc>) -> std::fmt::Result {
    // One conversion: each accessor of a `DateTime<Tz>` converts to local time again.
    let local = t.with_timezone(&tz).naive_local();
    let (h, m, s) = (local.hour(), local.minute(), local.second());
    let midnight = h == 0 && m == 0 && s == 0;
    // Local midnight ends the day its last second belongs to, however long that day was (23 or
    // 25 hours, or the day before a day the zone skipped).
    let day = if midnight {
        (t - Duration::seconds(1)).with_timezone(&tz).date_naive()
    } else {
        local.date()
    };
    // Written out by hand into a stack buffer and handed over in one piece: strftime parses its
    // pattern on every call, and the formatting machinery costs more than the rest of a deadline
    // row.
    const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let mut text = Ascii::default();
    text.push_str(WEEKDAYS.get(day.weekday().num_days_from_monday() as usize).unwrap_or(&""));
    text.push(b' ');
    text.digits(u64::from(day.day()), 1);
    text.push(b' ');
    text.push_str(MONTHS.get(day.month0() as usize).unwrap_or(&""));
    text.push(b' ');
    if day.year() < 0 {
        text.push(b'-');
    }
    text.digits(u64::from(day.year().unsigned_abs()), 1);
    text.push(b' ');
    if midnight {
        text.push_str("24:00");
    } else {
        text.digits(u64::from(h), 2);
        text.push(b':');
        text.digits(u64::from(m), 2);
        if s != 0 {
            text.push(b':');
            text.digits(u64::from(s), 2);
        }
    }
    out.write_str(text.as_str())
}

/// Appends `n` in decimal with at least `width` digits (zero-padded), as `{n:0width$}` would,
/// without the formatting machinery.
///
/// ```
/// let mut out = String::new();
/// for (n, width) in [(7, 2), (2026, 1), (0, 1), (u64::MAX, 3)] {
///     ombud_engine::timefmt::push_digits(&mut out, n, width).unwrap();
///     out.push(' ');
/// }
/// assert_eq!(out, "07 2026 0 18446744073709551615 ");
/// ```
pub fn push_digits(out: &mut impl std::fmt::Write, n: u64, width: u32) -> std::fmt::Result {
    let mut text = Ascii::default();
    text.digits(n, width);
    out.write_str(text.as_str())
}

/// Writes the decimal digits of `n` to the end of `room`, without the formatting machinery, and
/// returns where they start (what comes before is left as it was).
#[inline]
pub(crate) fn decimal(mut n: u64, room: &mut [u8; 20]) -> usize {
    // Written backwards (20 digits hold any u64): dividing by a constant compiles to a
    // multiplication.
    let mut start = room.len();
    loop {
        start -= 1;
        room[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return start;
        }
    }
}

/// A short ASCII text built on the stack (what does not fit is dropped; every caller stays far
/// below the room).
struct Ascii {
    bytes: [u8; 48],
    len: usize,
}

impl Default for Ascii {
    fn default() -> Self {
        Ascii { bytes: [0; 48], len: 0 }
    }
}

impl Ascii {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn push_str(&mut self, s: &str) {
        s.bytes().for_each(|b| self.push(b));
    }

    /// `n` in decimal, at least `width` digits.
    fn digits(&mut self, n: u64, width: u32) {
        if n < 100 && width <= 2 {
            // Days, hours, minutes, seconds: no loop.
            if n >= 10 || width == 2 {
                self.push(b'0' + (n / 10) as u8);
            }
            self.push(b'0' + (n % 10) as u8);
            return;
        }
        let mut room = [b'0'; 20];
        let start = decimal(n, &mut room);
        for _ in room.len()..width as usize {
            self.push(b'0');
        }
        let start = start.min(room.len().saturating_sub(width as usize));
        room.get(start..).unwrap_or_default().iter().for_each(|&b| self.push(b));
    }

    fn as_str(&self) -> &str {
        self.bytes.get(..self.len).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or("")
    }
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
    let local = t.with_timezone(&tz);
    if local.second() != 0 {
        local.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// Parses an RFC 3339 instant, as `DateTime<Utc>`'s `FromStr` does. The shape every ledger and
/// host writes (`2026-07-01T09:20:00+08:00`, `…Z`) is read directly; anything else (fractions of a
/// second, lowercase separators, leap seconds) goes to chrono, so the two never disagree.
///
/// ```
/// use ombud_engine::timefmt::parse_instant;
/// let t = parse_instant("2026-02-13T17:30:00+08:00").unwrap();
/// assert_eq!(t.to_rfc3339(), "2026-02-13T09:30:00+00:00");
/// assert!(parse_instant("2026-02-30T17:30:00+08:00").is_err());
/// ```
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match parse_common(s.as_bytes()) {
        Some(t) => Ok(t),
        None => s.parse::<DateTime<chrono::FixedOffset>>().map(|t| t.with_timezone(&Utc)),
    }
}

/// `YYYY-MM-DDTHH:MM:SS` followed by `Z` or `±HH:MM`; `None` for anything else.
fn parse_common(b: &[u8]) -> Option<DateTime<Utc>> {
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?
            .iter()
            .try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let sep = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
        return None;
    }
    let offset_minutes: i64 = match b.len() {
        20 if sep(19, b'Z') => 0,
        25 if sep(22, b':') && (sep(19, b'+') || sep(19, b'-')) => {
            let (h, m) = (num(20..22)?, num(23..25)?);
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = i64::from(h * 60 + m);
            if sep(19, b'-') { -minutes } else { minutes }
        }
        _ => return None,
    };
    let date =
        chrono::NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if sec > 59 {
        return None;
    }
    let local = date.and_hms_opt(h, mi, sec)?;
    let utc = local.checked_sub_signed(Duration::minutes(offset_minutes))?;
    Some(utc.and_utc())
}

/// Serde `deserialize_with` for instants: [`parse_instant`] on the string.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Row {
///     #[serde(deserialize_with = "ombud_engine::timefmt::de_instant")]
///     at: chrono::DateTime<chrono::Utc>,
/// }
/// let row: Row = serde_json::from_str(r#"{"at": "2026-07-01T09:20:00+08:00"}"#).unwrap();
/// assert_eq!(row.at.to_rfc3339(), "2026-07-01T01:20:00+00:00");
/// assert!(serde_json::from_str::<Row>(r#"{"at": "2026-07-01 09:20"}"#).is_err());
/// ```
pub fn de_instant<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = DateTime<Utc>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an RFC 3339 date and time")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            parse_instant(s).map_err(E::custom)
        }
    }
    d.deserialize_str(Visitor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parses_exactly_as_chrono_does(
            secs in -62_000_000_000i64..253_000_000_000,
            offset in -1439i32..1440,
            zulu in any::<bool>(),
        ) {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let text = if zulu {
                t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            } else {
                let tz = chrono::FixedOffset::east_opt(offset * 60).unwrap();
                t.with_timezone(&tz).to_rfc3339()
            };
            let chrono = text.parse::<DateTime<chrono::FixedOffset>>().map(|t| t.with_timezone(&Utc));
            prop_assert_eq!(parse_instant(&text).ok(), chrono.ok(), "{}", text);
        }
    }

    proptest! {
        /// The hand-written human form says what chrono's strftime says, in zones with and
        /// without daylight saving, for any instant and any digit count of the year.
        #[test]
        fn human_reads_as_strftime(secs in -62_000_000_000i64..253_000_000_000, zone in 0usize..4) {
            let tz = [
                chrono_tz::Asia::Shanghai,
                chrono_tz::Europe::Berlin,
                chrono_tz::America::Santiago,
                chrono_tz::UTC,
            ][zone];
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let local = t.with_timezone(&tz).naive_local();
            let expected = if local.time() == chrono::NaiveTime::MIN {
                // The day that ends: the local date a second before.
                let day = (t - chrono::Duration::seconds(1)).with_timezone(&tz);
                format!("{} 24:00", day.format("%a %-d %b %-Y"))
            } else if local.second() == 0 {
                local.format("%a %-d %b %-Y %H:%M").to_string()
            } else {
                local.format("%a %-d %b %-Y %H:%M:%S").to_string()
            };
            prop_assert_eq!(human(tz, t), expected);
        }
    }

    proptest! {
        /// `push_digits` writes what `{n:0width$}` writes, short numbers and long, any width.
        #[test]
        fn digits_read_as_format(n in prop_oneof![0u64..200, any::<u64>()], width in 0usize..24) {
            let mut out = String::new();
            push_digits(&mut out, n, width as u32).unwrap();
            prop_assert_eq!(out, format!("{n:0width$}"));
        }
    }

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
    fn odd_shapes_go_to_chrono() {
        for s in [
            "2026-02-13T17:30:00.5+08:00",
            "2026-02-13t17:30:00z",
            "2026-02-13 17:30:00+08:00",
            "2026-02-29T17:30:00+08:00",
            "2026-02-13T24:00:00+08:00",
            "2026-02-13T17:30:60+08:00",
            "2026-02-13T17:30:00+24:00",
            "2026-02-13T17:30:00",
            "+2026-02-13T17:30:00Z",
        ] {
            let chrono = s.parse::<DateTime<chrono::FixedOffset>>().map(|t| t.with_timezone(&Utc));
            assert_eq!(parse_instant(s).ok(), chrono.ok(), "{s}");
        }
    }
}
