//! Working-day calendars: holiday data, workweek, business hours, time zones and the arithmetic
//! every deadline is computed with.
//!
//! STUB: the signatures below are the contract the runtime uses; the bodies are placeholders
//! until the calendar module lands.

use crate::check::Diagnostic;
use crate::policy::Duration;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// What kind of day a date is on a calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// An ordinary working day of the workweek.
    Workday,
    /// A day off of the workweek.
    Weekend,
    /// A day inside a holiday period (even if it falls on a weekend).
    Holiday,
    /// A weekend day that is worked to bridge a holiday.
    MakeupWorkday,
}

/// Business hours: one or more windows per working day, e.g. `09:00-12:00,13:30-18:00`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BusinessHours {
    /// Non-overlapping windows in increasing order.
    pub windows: Vec<(NaiveTime, NaiveTime)>,
}

/// Why a result was computed on the plain workweek instead of calendar data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Provisional {
    /// The calendar whose data ran out.
    pub calendar: String,
    /// The first date that was needed beyond the covered range.
    pub date: NaiveDate,
    /// Last date the calendar covers.
    pub covered_until: NaiveDate,
}

impl fmt::Display for Provisional {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "calendar `{}` covers dates up to {}; {} was counted on the plain workweek",
            self.calendar, self.covered_until, self.date
        )
    }
}

/// A computed deadline: the instant, and whether it rests on data the calendar does not have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// The instant the limit ends (UTC inside; render in the calendar's zone).
    pub at: DateTime<Utc>,
    /// Set when any day used lies beyond the calendar's covered range.
    pub provisional: Option<Provisional>,
}

/// A compiled, immutable working-day calendar.
#[derive(Debug)]
pub struct Calendar {
    id: String,
    tz: Tz,
}

impl Calendar {
    /// A bundled calendar by id (`cn-mainland`, `weekdays`, …).
    pub fn bundled(id: &str) -> Option<Arc<Calendar>> {
        Some(Arc::new(Calendar { id: id.to_string(), tz: chrono_tz::Asia::Shanghai }))
    }

    /// Resolves `reference` as a bundled id or a path relative to `base_dir`.
    pub fn resolve(
        reference: &str,
        _base_dir: Option<&std::path::Path>,
    ) -> Result<Arc<Calendar>, Vec<Diagnostic>> {
        Calendar::bundled(reference).ok_or_else(Vec::new)
    }

    /// A copy with business hours, zone or same-day cutoff overridden (a policy's `calendar:` map).
    pub fn with_overrides(
        &self,
        _hours: Option<BusinessHours>,
        tz: Option<Tz>,
        _cutoff: Option<NaiveTime>,
    ) -> Calendar {
        Calendar { id: self.id.clone(), tz: tz.unwrap_or(self.tz) }
    }

    /// The calendar's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The calendar's time zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// First and last covered date.
    pub fn coverage(&self) -> (NaiveDate, NaiveDate) {
        (NaiveDate::MIN, NaiveDate::MAX)
    }

    /// The kind of `date`.
    pub fn day_kind(&self, _date: NaiveDate) -> DayKind {
        DayKind::Workday
    }

    /// `start + duration` under the counting conventions of the design.
    pub fn add(&self, start: DateTime<Utc>, duration: Duration) -> Deadline {
        let secs = match duration {
            Duration::Wall { seconds } => seconds,
            Duration::WorkingDays(n) | Duration::CalendarDays(n) => i64::from(n) * 86_400,
            Duration::WorkingHours { minutes } => i64::from(minutes) * 60,
        };
        Deadline { at: start + chrono::Duration::seconds(secs), provisional: None }
    }

    /// W(t): working time in seconds elapsed up to `t` since the calendar's epoch.
    pub fn working_clock(&self, t: DateTime<Utc>) -> i64 {
        t.timestamp()
    }

    /// The first instant `t` with `W(t) = w`.
    pub fn at_working_clock(&self, w: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(w, 0).unwrap_or_default()
    }
}
