//! Whether a calendar can stand in for another: a calendar update carries every covered day,
//! the time zone, the workweek, the business hours and the cutoff of the calendar it replaces.

use super::data::DAY_NAMES;
use super::{BusinessHours, Calendar};
use chrono::{Days, NaiveDate, NaiveTime};

impl Calendar {
    /// What this calendar lacks to replace `previous` (a calendar update standing in for it):
    /// the covered dates it leaves out, another time zone, another workweek, other business
    /// hours, another cutoff. Empty when it can replace it. A deadline counted on the update over
    /// a left-out date would rest on the plain workweek where `previous` had the data; other
    /// hours or another cutoff would recount the working time of every open ticket.
    ///
    /// ```
    /// use ombud_engine::calendar::Calendar;
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// // A file that adds 2027 but does not extend cn-mainland covers 2027 only.
    /// let alone = "id: cn-2027\ntimezone: Asia/Shanghai\nworkweek: [mon, tue, wed, thu, fri]\n\
    ///              covers: {from: 2027-01-01, to: 2027-12-31}\n";
    /// let alone = Calendar::from_yaml("cn-2027.yaml", alone, None).unwrap();
    /// assert_eq!(alone.shortfalls(&cn), ["it covers 2027-01-01 to 2027-12-31 and leaves out \
    ///     2024-01-01 to 2026-12-31, which `cn-mainland` covers"]);
    /// let extended = "id: cn-2027\nextends: cn-mainland\ncovers: {from: 2024-01-01, to: 2027-12-31}\n";
    /// let extended = Calendar::from_yaml("cn-2027.yaml", extended, None).unwrap();
    /// assert!(extended.shortfalls(&cn).is_empty());
    /// // Going back is not an update either: cn-mainland leaves out 2027.
    /// assert_eq!(cn.shortfalls(&extended).len(), 1);
    /// ```
    pub fn shortfalls(&self, previous: &Calendar) -> Vec<String> {
        let mut out = Vec::new();
        let (from, to) = self.coverage();
        let (was_from, was_to) = previous.coverage();
        let mut left_out = Vec::new();
        if from > was_from {
            let end = from.pred_opt().unwrap_or(from).min(was_to);
            left_out.push(span(was_from, end));
        }
        if to < was_to {
            let start = to.checked_add_days(Days::new(1)).unwrap_or(to).max(was_from);
            left_out.push(span(start, was_to));
        }
        if !left_out.is_empty() {
            out.push(format!(
                "it covers {} and leaves out {}, which `{}` covers",
                span(from, to),
                left_out.join(" and "),
                previous.id()
            ));
        }
        if self.tz() != previous.tz() {
            out.push(format!(
                "it counts in {}, `{}` in {}",
                self.tz().name(),
                previous.id(),
                previous.tz().name()
            ));
        }
        if self.def.workweek != previous.def.workweek {
            out.push(format!(
                "its workweek is {}, that of `{}` {}",
                workweek(&self.def.workweek),
                previous.id(),
                workweek(&previous.def.workweek)
            ));
        }
        if self.def.hours != previous.def.hours {
            out.push(format!(
                "its business hours are {}, those of `{}` {}",
                hours(self.def.hours.as_ref()),
                previous.id(),
                hours(previous.def.hours.as_ref())
            ));
        }
        if self.def.cutoff != previous.def.cutoff {
            out.push(format!(
                "its cutoff is {}, that of `{}` {}",
                cutoff(self.def.cutoff),
                previous.id(),
                cutoff(previous.def.cutoff)
            ));
        }
        out
    }

    /// Whether this calendar counts in other business hours or with another cutoff than
    /// `previous` (two of [`Calendar::shortfalls`]).
    pub(crate) fn other_hours_or_cutoff(&self, previous: &Calendar) -> bool {
        self.def.hours != previous.def.hours || self.def.cutoff != previous.def.cutoff
    }
}

/// Business hours as a file writes them, `"09:00-12:00,13:30-18:00"`, or `none (whole days)`.
fn hours(hours: Option<&BusinessHours>) -> String {
    hours.map_or_else(|| "none (whole days)".to_string(), |h| format!("\"{h}\""))
}

/// A cutoff as a file writes it, `"16:00"`, or `none`.
fn cutoff(cutoff: Option<NaiveTime>) -> String {
    cutoff.map_or_else(|| "none".to_string(), |c| format!("\"{}\"", c.format("%H:%M")))
}

/// `from to to`, or `unbounded` for the whole range.
fn span(from: NaiveDate, to: NaiveDate) -> String {
    match (from == NaiveDate::MIN, to == NaiveDate::MAX) {
        (true, true) => "every date (unbounded)".to_string(),
        (true, false) => format!("every date up to {to}"),
        (false, true) => format!("every date from {from}"),
        (false, false) => format!("{from} to {to}"),
    }
}

/// The working weekdays, `[mon, tue, …]`.
fn workweek(days: &[bool; 7]) -> String {
    let names: Vec<&str> =
        DAY_NAMES.iter().zip(days).filter(|(_, on)| **on).map(|(n, _)| *n).collect();
    format!("[{}]", names.join(", "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::Calendar;

    fn cal(text: &str) -> Calendar {
        Calendar::from_yaml("c.yaml", text, None).unwrap()
    }

    #[test]
    fn each_shortfall_is_named() {
        let cn = Calendar::bundled("cn-mainland").unwrap();
        // Covers 2025-06-01 to 2026-06-30: leaves out cn-mainland's 2024-01-01 to 2025-05-31
        // before and 2026-07-01 to 2026-12-31 after; UTC and a six-day week besides.
        let narrow = cal("id: narrow\ntimezone: UTC\nworkweek: [mon, tue, wed, thu, fri, sat]\n\
                          covers: {from: 2025-06-01, to: 2026-06-30}\n");
        assert_eq!(
            narrow.shortfalls(&cn),
            [
                "it covers 2025-06-01 to 2026-06-30 and leaves out 2024-01-01 to 2025-05-31 and \
                 2026-07-01 to 2026-12-31, which `cn-mainland` covers",
                "it counts in UTC, `cn-mainland` in Asia/Shanghai",
                "its workweek is [mon, tue, wed, thu, fri, sat], that of `cn-mainland` \
                 [mon, tue, wed, thu, fri]",
            ]
        );
        // An unbounded calendar covers everything; a bounded one cannot replace it.
        let weekdays = Calendar::bundled("weekdays").unwrap();
        let bounded = cal("id: b\ntimezone: UTC\nworkweek: [mon, tue, wed, thu, fri]\n\
                           covers: {from: 2026-01-01, to: 2026-12-31}\n");
        assert_eq!(
            bounded.shortfalls(&weekdays),
            ["it covers 2026-01-01 to 2026-12-31 and leaves out every date up to 2025-12-31 and \
              every date from 2027-01-01, which `weekdays` covers"]
        );
        assert!(weekdays.shortfalls(&weekdays).is_empty());
    }

    /// An update that changes the business hours or the cutoff would recount the working time
    /// of every open ticket: each is a shortfall, named with both values.
    #[test]
    fn other_business_hours_or_cutoff_are_named() {
        let cn = Calendar::bundled("cn-mainland").unwrap();
        let year =
            "id: cn-2027\nextends: cn-mainland\ncovers: {from: 2024-01-01, to: 2027-12-31}\n";
        assert!(cal(year).shortfalls(&cn).is_empty());
        let with_hours = cal(&format!("{year}hours: \"08:30-17:30\"\n"));
        assert_eq!(
            with_hours.shortfalls(&cn),
            ["its business hours are \"08:30-17:30\", those of `cn-mainland` none (whole days)"]
        );
        assert!(with_hours.other_hours_or_cutoff(&cn));
        let de = Calendar::bundled("de-example").unwrap();
        let de_year =
            cal("id: de-2027\nextends: de-example\ncovers: {from: 2026-01-01, to: 2027-12-31}\n");
        assert!(de_year.shortfalls(&de).is_empty());
        let later =
            cal("id: de-2027\nextends: de-example\ncovers: {from: 2026-01-01, to: 2027-12-31}\n\
             hours: \"09:00-12:00,13:00-18:00\"\ncutoff: \"15:00\"\n");
        assert_eq!(
            later.shortfalls(&de),
            [
                "its business hours are \"09:00-12:00,13:00-18:00\", those of `de-example` \
                 \"09:00-12:00,13:00-17:00\"",
                "its cutoff is \"15:00\", that of `de-example` none",
            ]
        );
        assert!(!cal(year).other_hours_or_cutoff(&cn));
        // A standalone file without the hours of the calendar it replaces.
        let whole_days =
            cal("id: de-2027\ntimezone: Europe/Berlin\nworkweek: [mon, tue, wed, thu, fri]\n\
                              covers: {from: 2026-01-01, to: 2027-12-31}\n");
        assert_eq!(
            whole_days.shortfalls(&de),
            ["its business hours are none (whole days), those of `de-example` \
              \"09:00-12:00,13:00-17:00\""]
        );
    }
}
