//! Working-day calendars: holiday data, workweek, business hours, time zones and the arithmetic
//! every deadline is computed with.
//!
//! A [`Calendar`] is loaded from a YAML file (see `docs/calendars.md`) or taken from the bundled
//! set ([`Calendar::bundled`]: `cn-mainland`, `weekdays`, `example-utility`, `de-example`). It is
//! immutable, `Send + Sync`, and answers every query in O(1) or O(log n) from tables built once:
//! per day a working-day ordinal, per working day the UTC instants of its business-hours windows.
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use ombud_engine::calendar::Calendar;
//! let cn = Calendar::bundled("cn-mainland").unwrap();
//! let start: DateTime<Utc> = "2026-02-13T17:30:00+08:00".parse().unwrap();
//! let d = cn.add(start, "3 working days".parse().unwrap()).unwrap();
//! assert_eq!(d.at, "2026-02-26T00:00:00+08:00".parse::<DateTime<Utc>>().unwrap());
//! assert!(d.provisional.is_none());
//! ```

use crate::check::DiagnosticCode;

mod arith;
mod bundled;
mod data;
mod explain;
mod hours;
mod notes;
mod notice;
mod replace;
mod schema;
mod text;

pub use explain::{CountingRule, DayRun, Derivation, Worked};
pub(crate) use explain::{human as human_local, local_instant, local_instant_opt};
pub use hours::{BusinessHours, HOURS_FORM, HoursError};
pub use notes::DayNote;
pub use notice::{Arrangement, Notice};
pub use schema::{calendar_json_schema, calendar_json_schema_text};
pub use text::parse_date;
pub(crate) use text::{CUTOFF_FORM, parse_cutoff, parse_time_zone};

use crate::check::{Diagnostic, Source, did_you_mean};
use crate::policy::Duration;
use crate::yaml::{Document, ReadFailure, read_yaml_file};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// What kind of day a date is on a calendar.
///
/// ```
/// use ombud_engine::calendar::{Calendar, DayKind};
/// let cn = Calendar::bundled("cn-mainland").unwrap();
/// let d = |s: &str| s.parse().unwrap();
/// assert_eq!(cn.day_kind(d("2026-02-14")), DayKind::MakeupWorkday);
/// assert_eq!(cn.day_kind(d("2026-02-16")), DayKind::Holiday);
/// assert_eq!(serde_json::to_string(&DayKind::MakeupWorkday).unwrap(), "\"makeup_workday\"");
/// ```
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

impl DayKind {
    /// Whether a day of this kind is worked.
    ///
    /// ```
    /// use ombud_engine::calendar::DayKind;
    /// assert!(DayKind::MakeupWorkday.is_working() && !DayKind::Holiday.is_working());
    /// ```
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeupWorkday)
    }

    /// The snake_case name (`workday`, `weekend`, `holiday`, `makeup_workday`).
    ///
    /// ```
    /// assert_eq!(ombud_engine::calendar::DayKind::MakeupWorkday.as_str(), "makeup_workday");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Workday => "workday",
            DayKind::Weekend => "weekend",
            DayKind::Holiday => "holiday",
            DayKind::MakeupWorkday => "makeup_workday",
        }
    }
}

impl fmt::Display for DayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a result was computed on the plain workweek instead of calendar data.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use ombud_engine::calendar::Calendar;
/// let cn = Calendar::bundled("cn-mainland").unwrap();
/// let start: DateTime<Utc> = "2026-12-28T10:00:00+08:00".parse().unwrap();
/// let p = cn.add(start, "7 working days".parse().unwrap()).unwrap().provisional.unwrap();
/// assert_eq!(p.date.to_string(), "2027-01-01");
/// assert_eq!(
///     p.to_string(),
///     "calendar `cn-mainland` covers dates up to 2026-12-31; 2027-01-01 was counted on the plain workweek"
/// );
/// // Before the covered range, the message names where the data starts.
/// let early: DateTime<Utc> = "2023-12-28T10:00:00+08:00".parse().unwrap();
/// let p = cn.add(early, "3 working days".parse().unwrap()).unwrap().provisional.unwrap();
/// assert_eq!(
///     p.to_string(),
///     "calendar `cn-mainland` covers dates from 2024-01-01; 2023-12-28 was counted on the plain workweek"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Provisional {
    /// The calendar whose data ran out.
    pub calendar: String,
    /// The first date that was needed beyond the covered range.
    pub date: NaiveDate,
    /// First date the calendar covers.
    pub covered_from: NaiveDate,
    /// Last date the calendar covers.
    pub covered_until: NaiveDate,
}

impl fmt::Display for Provisional {
    /// The side of the covered range the date lies on: `covers dates up to …` after it,
    /// `covers dates from …` before it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (side, edge) = if self.date < self.covered_from {
            ("from", self.covered_from)
        } else {
            ("up to", self.covered_until)
        };
        write!(
            f,
            "calendar `{}` covers dates {side} {edge}; {} was counted on the plain workweek",
            self.calendar, self.date
        )
    }
}

/// A computed deadline: the instant, and whether it rests on data the calendar does not have.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use ombud_engine::calendar::Calendar;
/// let cn = Calendar::bundled("cn-mainland").unwrap();
/// let start: DateTime<Utc> = "2026-09-30T09:00:00+08:00".parse().unwrap();
/// let d = cn.add(start, "1 working day".parse().unwrap()).unwrap();
/// assert_eq!(d.at.with_timezone(&cn.tz()).to_rfc3339(), "2026-10-09T00:00:00+08:00");
/// assert_eq!(d.provisional, None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// The instant the limit ends (UTC inside; render in the calendar's zone).
    pub at: DateTime<Utc>,
    /// Set when any day used lies beyond the calendar's covered range.
    pub provisional: Option<Provisional>,
}

/// A time limit or ladder step whose instant falls outside the instants the engine keeps, from
/// 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z: the instant cannot be written as RFC 3339 (or
/// cannot be represented at all), so it is refused rather than moved to the edge of the range.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use ombud_engine::calendar::Calendar;
/// let cn = Calendar::bundled("cn-mainland").unwrap();
/// let start: DateTime<Utc> = "2026-02-13T17:30:00+08:00".parse().unwrap();
/// let err = cn.add(start, "99999999 working days".parse().unwrap()).unwrap_err();
/// assert_eq!(err.to_string(), "`99999999 working days` from 2026-02-13T17:30:00+08:00 ends \
///     after 9999-12-31T23:59:59Z, the last instant Ombud keeps");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} ends after 9999-12-31T23:59:59Z, the last instant Ombud keeps")]
pub struct OutOfRange {
    /// What was counted from where: `` `3 working days` from 9999-12-30T10:00:00+08:00 ``.
    pub what: String,
}

/// The instants the engine keeps: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, as UTC
/// timestamps.
pub(crate) const KEPT: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;

/// The instant at timestamp `ts`, when it is one the engine keeps.
pub(crate) fn kept(ts: i64) -> Option<DateTime<Utc>> {
    KEPT.contains(&ts).then(|| DateTime::from_timestamp(ts, 0)).flatten()
}

/// One publication the holiday data of a calendar was entered from.
///
/// ```
/// use ombud_engine::calendar::Calendar;
/// let cn = Calendar::bundled("cn-mainland").unwrap();
/// assert_eq!(cn.sources()[0].year, 2024);
/// assert_eq!(cn.sources()[0].published.to_string(), "2023-10-25");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CalendarSource {
    /// The year the publication sets the holidays for.
    pub year: i32,
    /// Its title.
    pub title: String,
    /// When it was published.
    pub published: NaiveDate,
    /// Where to read it, if online.
    pub url: Option<String>,
}

/// The declarative content of a calendar, after loading and merging `extends`.
#[derive(Clone, Debug)]
pub(crate) struct Definition {
    pub(crate) tz: Tz,
    /// Working weekdays, Monday first.
    pub(crate) workweek: [bool; 7],
    /// Covered range; `None` for an unbounded calendar.
    pub(crate) covers: Option<(NaiveDate, NaiveDate)>,
    /// The kind of every covered day, from `covers.0`.
    pub(crate) kinds: Vec<DayKind>,
    /// Why each dated day has its kind, by day index: every covered day whose kind differs from
    /// the plain workweek has a note.
    pub(crate) notes: BTreeMap<i64, DayNote>,
    pub(crate) hours: Option<BusinessHours>,
    pub(crate) cutoff: Option<NaiveTime>,
}

/// A compiled, immutable working-day calendar.
///
/// Build one with [`Calendar::bundled`], [`Calendar::resolve`] or [`Calendar::from_yaml`]; adjust
/// it with [`Calendar::with_overrides`]; query it with [`Calendar::add`],
/// [`Calendar::working_clock`] and friends.
///
/// An organisation's calendar on top of `cn-mainland`, with bank hours and a 16:00 cutoff, over
/// Spring Festival 2026 (Sat 14 Feb is a make-up working day, 15–23 Feb are off):
///
/// ```
/// use chrono::{DateTime, Utc};
/// use ombud_engine::calendar::Calendar;
/// let text = "id: bank\nextends: cn-mainland\n\
///             hours: \"09:00-12:00,13:30-18:00\"\ncutoff: \"16:00\"\n";
/// let bank = Calendar::from_yaml("bank.yaml", text, None).unwrap();
/// let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
/// let three = "3 working days".parse().unwrap();
/// // Fri 13 Feb after the cutoff: days 1–3 are Sat 14, Tue 24, Wed 25 Feb; close of business.
/// assert_eq!(bank.add(t("2026-02-13T17:30:00+08:00"), three).unwrap().at, t("2026-02-25T18:00:00+08:00"));
/// // Before the cutoff, Fri 13 Feb itself is day 1.
/// assert_eq!(bank.add(t("2026-02-13T15:00:00+08:00"), three).unwrap().at, t("2026-02-24T18:00:00+08:00"));
/// ```
#[derive(Debug)]
pub struct Calendar {
    id: String,
    name: String,
    pub(crate) def: Definition,
    pub(crate) sources: Vec<CalendarSource>,
    /// Names of holidays and closures, for `for:` checks of files that extend this one.
    pub(crate) holiday_names: Vec<String>,
    tables: arith::Tables,
}

/// The day index of `d`: days since Monday 0001-01-01 (so `index % 7 == 0` is a Monday).
pub(crate) fn day_index(d: NaiveDate) -> i64 {
    i64::from(chrono::Datelike::num_days_from_ce(&d)) - 1
}

/// The date of day index `x`, if chrono can represent it.
pub(crate) fn index_date(x: i64) -> Option<NaiveDate> {
    i32::try_from(x + 1).ok().and_then(NaiveDate::from_num_days_from_ce_opt)
}

impl Calendar {
    fn build(
        id: String,
        name: String,
        def: Definition,
        sources: Vec<CalendarSource>,
        holiday_names: Vec<String>,
    ) -> Calendar {
        let tables = arith::Tables::new(&def);
        Calendar { id, name, def, sources, holiday_names, tables }
    }

    /// A bundled calendar by id (`cn-mainland`, `weekdays`, `example-utility`, `de-example`).
    ///
    /// ```
    /// use ombud_engine::calendar::Calendar;
    /// assert_eq!(Calendar::bundled("cn-mainland").unwrap().tz(), chrono_tz::Asia::Shanghai);
    /// assert!(Calendar::bundled("cn-mainlnd").is_none());
    /// ```
    pub fn bundled(id: &str) -> Option<Arc<Calendar>> {
        bundled::get(id)
    }

    /// The ids of the bundled calendars.
    ///
    /// ```
    /// let ids = ombud_engine::calendar::Calendar::bundled_ids();
    /// assert_eq!(ids, ["cn-mainland", "weekdays", "de-example", "example-utility"]);
    /// ```
    pub fn bundled_ids() -> Vec<&'static str> {
        bundled::ids()
    }

    /// Resolves `reference` as a bundled id or a path to a YAML file relative to `base_dir`
    /// (a reference containing `/` or ending in `.yaml`/`.yml` is a path).
    ///
    /// ```
    /// use ombud_engine::calendar::Calendar;
    /// assert_eq!(Calendar::resolve("weekdays", None).unwrap().id(), "weekdays");
    /// let err = Calendar::resolve("cn-mainlan", None).unwrap_err();
    /// assert_eq!(err[0].code, "E0507");
    /// assert_eq!(err[0].hint.as_deref(), Some("did you mean `cn-mainland`?"));
    /// ```
    pub fn resolve(
        reference: &str,
        base_dir: Option<&Path>,
    ) -> Result<Arc<Calendar>, Vec<Diagnostic>> {
        resolve_at_depth(reference, base_dir, 0)
    }

    /// Loads a calendar from YAML `text`; `name` is the file name shown in diagnostics and
    /// `base_dir` the directory `extends:` paths are relative to. Reports every mistake found.
    ///
    /// ```
    /// use ombud_engine::calendar::{Calendar, DayKind};
    /// let text = "id: tiny\ntimezone: UTC\nworkweek: [mon, tue, wed, thu, fri]\n\
    ///             covers: {from: 2026-01-01, to: 2026-12-31}\n\
    ///             holidays:\n  - {name: New Year, date: 2026-01-01}\n";
    /// let cal = Calendar::from_yaml("tiny.yaml", text, None).unwrap();
    /// assert_eq!(cal.day_kind("2026-01-01".parse().unwrap()), DayKind::Holiday);
    ///
    /// let bad = "id: tiny\ntimezone: Asia/Shanghia\nworkweek: [mon]\ncovers: unbounded\nhoilday: 1\n";
    /// let diags = Calendar::from_yaml("bad.yaml", bad, None).unwrap_err();
    /// let codes: Vec<_> = diags.iter().map(|d| d.code).collect();
    /// assert_eq!(codes, ["E0501", "E0505"]); // every mistake, sorted by place
    /// assert_eq!((diags[0].span.line, diags[0].span.column), (2, 11));
    /// ```
    pub fn from_yaml(
        name: &str,
        text: &str,
        base_dir: Option<&Path>,
    ) -> Result<Calendar, Vec<Diagnostic>> {
        data::load(name, text, base_dir, 0)
    }

    /// Reads and loads a calendar file of at most 1 MiB (`extends:` paths relative to it). A
    /// file that cannot be read is one `E0507`; one that is too large or not UTF-8, `E0500`.
    ///
    /// ```
    /// use ombud_engine::calendar::Calendar;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../holidays/cn-mainland.yaml");
    /// assert_eq!(Calendar::from_file(path.as_ref()).unwrap().id(), "cn-mainland");
    /// let missing = Calendar::from_file("no/such/calendar.yaml".as_ref()).unwrap_err();
    /// assert_eq!((missing[0].code.as_str(), missing[0].file()), ("E0507", Some("no/such/calendar.yaml")));
    /// # #[cfg(unix)] {
    /// let endless = Calendar::from_file("/dev/zero".as_ref()).unwrap_err();
    /// assert_eq!(endless[0].message, "calendar file `/dev/zero` is larger than 1048576 bytes (1 MiB)");
    /// # }
    /// ```
    pub fn from_file(path: &Path) -> Result<Calendar, Vec<Diagnostic>> {
        read_file(path, 0).map_err(|mut diags| {
            let source = Source::new(path.display().to_string(), "");
            for d in diags.iter_mut().filter(|d| d.source.is_none()) {
                d.source = Some(Arc::clone(&source));
            }
            diags
        })
    }

    /// Whether `text` is a calendar file rather than a policy: a YAML mapping with a top-level
    /// `covers`, `holidays` or `extends` key and no `policy` key. Text that is not valid YAML is
    /// judged by its top-level keys as written, so a broken calendar still lints as a calendar.
    ///
    /// ```
    /// use ombud_engine::calendar::Calendar;
    /// assert!(Calendar::is_calendar_text("id: org\nextends: cn-mainland\n"));
    /// assert!(!Calendar::is_calendar_text("policy: p\ncalendar: cn-mainland\n"));
    /// assert!(Calendar::is_calendar_text("holidays: [\n"));
    /// assert!(!Calendar::is_calendar_text("policy: p\nholidays: [\n"));
    /// ```
    pub fn is_calendar_text(text: &str) -> bool {
        data::is_calendar_text(text)
    }

    /// A copy with business hours, zone or same-day cutoff overridden (a policy's `calendar:` map).
    /// Arguments left `None` keep the calendar's own setting.
    ///
    /// ```
    /// use ombud_engine::calendar::Calendar;
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// let bank = cn.with_overrides(Some("09:00-17:00".parse().unwrap()), None, None);
    /// assert_eq!(bank.business_hours().unwrap().to_string(), "09:00-17:00");
    /// assert_eq!(bank.id(), "cn-mainland");
    /// ```
    pub fn with_overrides(
        &self,
        hours: Option<BusinessHours>,
        tz: Option<Tz>,
        cutoff: Option<NaiveTime>,
    ) -> Calendar {
        let mut def = self.def.clone();
        if let Some(h) = hours {
            def.hours = Some(h);
        }
        if let Some(tz) = tz {
            def.tz = tz;
        }
        if let Some(c) = cutoff {
            def.cutoff = Some(c);
        }
        Calendar::build(
            self.id.clone(),
            self.name.clone(),
            def,
            self.sources.clone(),
            self.holiday_names.clone(),
        )
    }

    /// The calendar's id.
    ///
    /// ```
    /// let c = ombud_engine::calendar::Calendar::bundled("weekdays").unwrap();
    /// assert_eq!(c.id(), "weekdays");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The calendar's human-readable name (may be empty).
    ///
    /// ```
    /// let c = ombud_engine::calendar::Calendar::bundled("cn-mainland").unwrap();
    /// assert_eq!(c.name(), "Mainland China public holidays");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The calendar's time zone.
    ///
    /// ```
    /// let c = ombud_engine::calendar::Calendar::bundled("de-example").unwrap();
    /// assert_eq!(c.tz(), chrono_tz::Europe::Berlin);
    /// ```
    pub fn tz(&self) -> Tz {
        self.def.tz
    }

    /// The business hours, if the calendar has any (without, a working day is 00:00–24:00).
    ///
    /// ```
    /// use ombud_engine::calendar::Calendar;
    /// let de = Calendar::bundled("de-example").unwrap();
    /// assert_eq!(de.business_hours().unwrap().to_string(), "09:00-12:00,13:00-17:00");
    /// assert!(Calendar::bundled("cn-mainland").unwrap().business_hours().is_none());
    /// ```
    pub fn business_hours(&self) -> Option<&BusinessHours> {
        self.def.hours.as_ref()
    }

    /// The same-day cutoff for working-day counting, if any.
    ///
    /// ```
    /// use chrono::NaiveTime;
    /// use ombud_engine::calendar::Calendar;
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// assert_eq!(cn.cutoff(), None);
    /// let four = NaiveTime::from_hms_opt(16, 0, 0).unwrap();
    /// assert_eq!(cn.with_overrides(None, None, Some(four)).cutoff(), Some(four));
    /// ```
    pub fn cutoff(&self) -> Option<NaiveTime> {
        self.def.cutoff
    }

    /// The publications the holiday data was entered from (those of an extended calendar
    /// first).
    ///
    /// ```
    /// let u = ombud_engine::calendar::Calendar::bundled("example-utility").unwrap();
    /// assert_eq!(u.sources().len(), 3);
    /// ```
    pub fn sources(&self) -> &[CalendarSource] {
        &self.sources
    }

    /// First and last covered date; `(NaiveDate::MIN, NaiveDate::MAX)` for an unbounded calendar
    /// (such as `weekdays`), which is never provisional.
    ///
    /// ```
    /// use ombud_engine::calendar::Calendar;
    /// let (from, to) = Calendar::bundled("cn-mainland").unwrap().coverage();
    /// assert_eq!((from.to_string(), to.to_string()), ("2024-01-01".into(), "2026-12-31".into()));
    /// ```
    pub fn coverage(&self) -> (NaiveDate, NaiveDate) {
        self.def.covers.unwrap_or((NaiveDate::MIN, NaiveDate::MAX))
    }

    /// The last date the holiday data covers; `None` for an unbounded calendar (`weekdays`).
    ///
    /// ```
    /// use ombud_engine::calendar::Calendar;
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// assert_eq!(cn.covered_until().unwrap().to_string(), "2026-12-31");
    /// assert_eq!(Calendar::bundled("weekdays").unwrap().covered_until(), None);
    /// ```
    pub fn covered_until(&self) -> Option<NaiveDate> {
        self.def.covers.map(|(_, to)| to)
    }

    pub(crate) fn coverage_range(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.def.covers
    }

    /// Whether `date` lies in the covered range.
    ///
    /// ```
    /// let cn = ombud_engine::calendar::Calendar::bundled("cn-mainland").unwrap();
    /// assert!(cn.covers("2026-12-31".parse().unwrap()));
    /// assert!(!cn.covers("2027-01-01".parse().unwrap()));
    /// ```
    pub fn covers(&self, date: NaiveDate) -> bool {
        let (a, z) = self.coverage();
        date >= a && date <= z
    }

    /// The kind of `date`; outside the covered range, the plain workweek.
    ///
    /// ```
    /// use ombud_engine::calendar::{Calendar, DayKind};
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// let d = |s: &str| s.parse().unwrap();
    /// assert_eq!(cn.day_kind(d("2026-10-01")), DayKind::Holiday); // National Day
    /// assert_eq!(cn.day_kind(d("2026-10-10")), DayKind::MakeupWorkday); // Saturday
    /// assert_eq!(cn.day_kind(d("2026-10-11")), DayKind::Weekend);
    /// // Beyond 2026-12-31 there is no data: Mon 8 Feb 2027, in Spring Festival, is a workday.
    /// assert_eq!(cn.day_kind(d("2027-02-08")), DayKind::Workday);
    /// ```
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        self.kind_at(day_index(date))
    }

    /// What the calendar's data says about `date`: the holiday, closure or make-up arrangement
    /// that gives it its kind. `None` for an ordinary workday or weekend (and for every day
    /// beyond the covered range).
    ///
    /// ```
    /// use ombud_engine::calendar::{Calendar, DayNote};
    /// let u = Calendar::bundled("example-utility").unwrap();
    /// let d = |s: &str| s.parse().unwrap();
    /// assert_eq!(u.day_note(d("2026-12-31")).unwrap().to_string(), "Year-end closure, closure");
    /// assert_eq!(
    ///     u.day_note(d("2026-06-13")),
    ///     Some(&DayNote::ExtraWorkday { name: Some("Customer open day".into()) })
    /// );
    /// assert_eq!(u.day_note(d("2026-12-30")), None);
    /// ```
    pub fn day_note(&self, date: NaiveDate) -> Option<&DayNote> {
        self.def.notes.get(&day_index(date))
    }

    /// Whether `date` is worked (a workday or a make-up working day).
    ///
    /// ```
    /// use ombud_engine::calendar::Calendar;
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// assert!(cn.is_working_day("2026-09-20".parse().unwrap())); // Sunday, make-up day
    /// assert!(!cn.is_working_day("2026-10-05".parse().unwrap())); // National Day
    /// ```
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.kind_at(day_index(date)).is_working()
    }

    /// The number of working days in `from..=to` (0 when `to < from`).
    ///
    /// ```
    /// use ombud_engine::calendar::Calendar;
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// let d = |s: &str| s.parse().unwrap();
    /// assert_eq!(cn.working_days_between(d("2026-01-01"), d("2026-12-31")), 248);
    /// ```
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return 0;
        }
        self.ord(day_index(to) + 1) - self.ord(day_index(from))
    }

    /// `start + duration` under the counting conventions of the design (see `docs/calendars.md`):
    /// working days are statutory (the start's day is not counted unless received on a working day
    /// before the cutoff; the deadline is the end of working day N), calendar days roll forward
    /// off non-working days, working hours consume business-hours windows, wall time is elapsed
    /// time. A zero duration returns `start`. Working time has one-second resolution. A start or
    /// deadline outside the instants the engine keeps (years 1 to 9999) is an [`OutOfRange`].
    ///
    /// ```
    /// use chrono::{DateTime, Utc};
    /// use ombud_engine::calendar::Calendar;
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    /// // Saturday 14 Feb 2026 is a make-up working day; the day of the start is not counted.
    /// let d = cn.add(t("2026-02-14T10:05:00+08:00"), "3 working days".parse().unwrap());
    /// assert_eq!(d.unwrap().at, t("2026-02-27T00:00:00+08:00"));
    /// assert!(cn.add(t("9999-12-30T10:00:00+08:00"), "3 working days".parse().unwrap()).is_err());
    /// ```
    pub fn add(&self, start: DateTime<Utc>, duration: Duration) -> Result<Deadline, OutOfRange> {
        self.add_impl(start, duration)
    }

    /// W(t): working time in seconds elapsed up to `t` since the calendar's epoch (Monday
    /// 0001-01-01 local time). Business-hours time on working days; without business hours each
    /// working day contributes 86,400 s, linearly over the day.
    ///
    /// ```
    /// use chrono::{DateTime, Utc};
    /// use ombud_engine::calendar::Calendar;
    /// let de = Calendar::bundled("de-example").unwrap(); // 09:00-12:00,13:00-17:00
    /// let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    /// let w = |s| de.working_clock(t(s));
    /// assert_eq!(w("2026-03-02T17:00:00+01:00") - w("2026-03-02T08:00:00+01:00"), 7 * 3600);
    /// assert_eq!(w("2026-03-02T12:30:00+01:00"), w("2026-03-02T12:00:00+01:00"));
    /// ```
    pub fn working_clock(&self, t: DateTime<Utc>) -> i64 {
        self.clock(t.timestamp())
    }

    /// The first instant `t` with `W(t) = w` (so never inside a closed stretch: a value reached
    /// at a window's close maps to that close, not to the next opening); `None` when that
    /// instant lies outside the instants the engine keeps (years 1 to 9999).
    ///
    /// ```
    /// use chrono::{DateTime, Utc};
    /// use ombud_engine::calendar::Calendar;
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// let s: DateTime<Utc> = "2026-02-13T09:00:00+08:00".parse().unwrap();
    /// let d = cn.add(s, "3 working days".parse().unwrap()).unwrap().at;
    /// let (ws, wd) = (cn.working_clock(s), cn.working_clock(d));
    /// assert_eq!(cn.at_working_clock(wd), Some(d));
    /// let eighty = cn.at_working_clock(ws + (wd - ws) * 8 / 10).unwrap();
    /// assert!(eighty > s && eighty < d);
    /// assert_eq!(cn.at_working_clock(i64::MAX), None);
    /// ```
    pub fn at_working_clock(&self, w: i64) -> Option<DateTime<Utc>> {
        kept(self.clock_inverse(w))
    }
}

/// Resolves a reference (bundled id or path), counting the `extends` depth.
pub(crate) fn resolve_at_depth(
    reference: &str,
    base_dir: Option<&Path>,
    depth: usize,
) -> Result<Arc<Calendar>, Vec<Diagnostic>> {
    if let Some(c) = Calendar::bundled(reference) {
        return Ok(c);
    }
    if !is_path(reference) {
        let hint = match did_you_mean(reference, bundled::ids()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "bundled calendars: {}; or give a path to a calendar file",
                bundled::ids().iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
            ),
        };
        return Err(vec![
            Diagnostic::error(DiagnosticCode::E0507, format!("unknown calendar `{reference}`"))
                .with_hint(hint),
        ]);
    }
    let path = match base_dir {
        Some(dir) => dir.join(reference),
        None => Path::new(reference).to_path_buf(),
    };
    read_file(&path, depth).map(Arc::new).map_err(|mut diags| {
        for d in diags.iter_mut().filter(|d| d.source.is_none() && d.hint.is_none()) {
            d.hint = Some("paths are relative to the file that names them".into());
        }
        diags
    })
}

/// Whether a calendar reference names a file rather than a bundled calendar: it contains `/` or
/// `\\`, or ends in `.yaml` or `.yml`.
pub(crate) fn is_path(reference: &str) -> bool {
    reference.contains(['/', '\\']) || reference.ends_with(".yaml") || reference.ends_with(".yml")
}

/// Reads and loads the calendar file at `path` (at most 1 MiB), `extends` relative to it. A file
/// that cannot be read is one `E0507` without a source, which the caller locates.
fn read_file(path: &Path, depth: usize) -> Result<Calendar, Vec<Diagnostic>> {
    let name = path.display().to_string();
    let text = match read_yaml_file(path, Document::Calendar) {
        Ok(text) => text,
        Err(ReadFailure::Io(e)) => {
            return Err(vec![Diagnostic::error(
                DiagnosticCode::E0507,
                format!("cannot read calendar file `{name}`: {e}"),
            )]);
        }
        Err(ReadFailure::Content(d)) => return Err(vec![*d]),
    };
    data::load(&name, &text, path.parent(), depth)
}

#[cfg(test)]
mod tests;
