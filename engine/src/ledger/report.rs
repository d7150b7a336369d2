//! The report model: the figures the guideline asks for (type distribution, frequent problems,
//! completion and on-time rates, handling times in working hours, repeat complaints, escalations
//! and marks per tier, the callback sample), computed from replayed [`TicketRecord`]s. Rendering
//! is the host's (the CLI renders text, JSON, CSV and HTML).

use super::replay::TicketRecord;
use super::tally::Tally;
use crate::compile::CompiledPolicy;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The share of closed tickets called back, in percent (rounded up in every stratum).
///
/// ```
/// use ombud_engine::ledger::{CALLBACK_PERCENT, ReplayOptions, build_report, replay};
/// # let yaml = "{policy: mini, calendar: weekdays, tiers: [agent], start: open, stages: {open: \
/// #     {owner: agent, due: 1 working day, on: {done: closed}}, closed: {terminal: true}}}";
/// # let engine = ombud_engine::runtime::Engine::new(
/// #     std::sync::Arc::new(ombud_engine::load_policy("p.yaml", yaml, None).unwrap().0));
/// let ledger: String = (1..=6)
///     .map(|i| format!(r#"{{"ticket":"T-{i}","open":{{"at":"2026-07-0{i}T09:00:00Z"}}}}
/// {{"ticket":"T-{i}","event":{{"at":"2026-07-0{i}T10:00:00Z","event":"done"}}}}
/// "#))
///     .collect();
/// let keep = ReplayOptions { keep_tickets: true, ..Default::default() };
/// let records = replay(std::slice::from_ref(&engine), ledger.as_bytes(), &keep).unwrap().tickets;
/// # let options = ombud_engine::ledger::ReportOptions { period: "2026-07".parse().unwrap(),
/// #     seed: 4, repeat_window_secs: 0, repeat_window: "0d".into() };
/// let report = build_report(engine.policy(), &records, &options);
/// // Six closed tickets, all without a category: ⌈6 × 20 / 100⌉ = 2 are called back.
/// assert_eq!(CALLBACK_PERCENT, 20);
/// assert_eq!((report.callback_strata[0].closed, report.callback.len()), (6, 2));
/// ```
pub const CALLBACK_PERCENT: u64 = 20;

/// A reporting period: a quarter (`2026-Q3`) or a month (`2026-09`), in the calendar's zone.
///
/// ```
/// use ombud_engine::ledger::Period;
/// let q: Period = "2026-Q3".parse().unwrap();
/// assert_eq!((q.first.to_string(), q.after.to_string()), ("2026-07-01".into(), "2026-10-01".into()));
/// let m: Period = "2026-12".parse().unwrap();
/// assert_eq!(m.after.to_string(), "2027-01-01");
/// assert!("2026-13".parse::<Period>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    /// As written.
    pub label: String,
    /// First day.
    pub first: NaiveDate,
    /// The day after the last day.
    pub after: NaiveDate,
}

impl FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "`{s}` is not a period: write a quarter like `2026-Q3` or a month like `2026-09`"
            )
        };
        let (year, rest) = s.split_once('-').ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let (first_month, months) = if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            let q: u32 = q.parse().map_err(|_| bad())?;
            if !(1..=4).contains(&q) {
                return Err(bad());
            }
            ((q - 1) * 3 + 1, 3)
        } else {
            let m: u32 = rest.parse().map_err(|_| bad())?;
            if !(1..=12).contains(&m) || rest.len() != 2 {
                return Err(bad());
            }
            (m, 1)
        };
        let first = NaiveDate::from_ymd_opt(year, first_month, 1).ok_or_else(bad)?;
        let end_month = first_month + months;
        let after = if end_month > 12 {
            NaiveDate::from_ymd_opt(year + 1, end_month - 12, 1)
        } else {
            NaiveDate::from_ymd_opt(year, end_month, 1)
        }
        .ok_or_else(bad)?;
        Ok(Period { label: s.to_string(), first, after })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// How to build a report.
///
/// ```
/// # use ombud_engine::ledger::*;
/// # let engine = ombud_engine::doc_support::reference();
/// # let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// # let ledger = std::fs::read_to_string(small).unwrap();
/// # let keep = ReplayOptions { keep_tickets: true, ..Default::default() };
/// # let tickets = replay(&[engine.clone()], ledger.as_bytes(), &keep).unwrap().tickets;
/// let q3 = ReportOptions {
///     period: "2026-Q3".parse().unwrap(),
///     seed: 1,
///     repeat_window_secs: 30 * 86_400,
///     repeat_window: "30d".into(),
/// };
/// assert_eq!(build_report(engine.policy(), &tickets, &q3).repeats.repeats, 3);
/// // T-09 (C-3 again, 7 days after T-03) is no repeat within 6 days.
/// let week = ReportOptions { repeat_window_secs: 6 * 86_400, repeat_window: "6d".into(), ..q3 };
/// assert_eq!(build_report(engine.policy(), &tickets, &week).repeats.repeats, 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportOptions {
    /// The period (tickets belong to it by their opening time in the calendar's zone).
    pub period: Period,
    /// Seed of the callback sample.
    pub seed: u64,
    /// A ticket is a repeat complaint when the same complainant opened another ticket within
    /// this many seconds before it.
    pub repeat_window_secs: i64,
    /// The text of the repeat window as given (`30d`), for display.
    pub repeat_window: String,
}

/// A value and how many tickets have it.
///
/// ```
/// # use ombud_engine::{ledger::*, runtime::Engine};
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let engines = [Engine::new(policy.into())];
/// # let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// # let file = std::io::BufReader::new(std::fs::File::open(small).unwrap());
/// let keep_tickets = ReplayOptions { keep_tickets: true, ..Default::default() };
/// let replayed = replay(&engines, file, &keep_tickets);
/// # let options = ReportOptions { period: "2026-Q3".parse().unwrap(), seed: 1,
/// #     repeat_window_secs: 86_400, repeat_window: "1d".into() };
/// let report = build_report(engines[0].policy(), &replayed.unwrap().tickets, &options);
/// let major = &report.by_severity[1];
/// assert_eq!((major.key.as_str(), major.count, major.share), ("major", 2, 0.2));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Count {
    /// The value (category, channel, …).
    pub key: String,
    /// Tickets.
    pub count: u64,
    /// `count` / tickets in the period.
    pub share: f64,
}

/// A frequent problem: a category and the keyword rule that classified it.
///
/// ```
/// use ombud_engine::ledger::{Problem, ReplayOptions, ReportOptions, build_report, replay};
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let ledger = r#"{"ticket":"A","open":{"at":"2026-07-01T09:00:00Z","fields":{"text":"late fee"}}}
/// {"ticket":"B","open":{"at":"2026-07-02T09:00:00Z","fields":{"text":"fee too high"}}}
/// {"ticket":"C","open":{"at":"2026-07-03T09:00:00Z","fields":{"text":"general enquiry"}}}"#;
/// let engine = ombud_engine::runtime::Engine::new(policy.into());
/// let options = ReplayOptions { keep_tickets: true, ..Default::default() };
/// let records = replay(&[engine.clone()], ledger.as_bytes(), &options).unwrap().tickets;
/// # let period = ReportOptions { period: "2026-07".parse().unwrap(), seed: 0,
/// #     repeat_window_secs: 0, repeat_window: String::new() };
/// let problems = build_report(engine.policy(), &records, &period).frequent_problems;
/// let fees = Problem { category: "fees".into(), keyword: Some("fee".into()), count: 2 };
/// assert_eq!(problems[0], fees);
/// // C matched the last rule, which has no keywords.
/// assert_eq!(problems[1], Problem { category: "unclassified".into(), keyword: None, count: 1 });
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Problem {
    /// Derived (or given) category.
    pub category: String,
    /// The keyword that matched (`None`: category given, or a rule without keywords).
    pub keyword: Option<String>,
    /// Tickets.
    pub count: u64,
}

/// Figures of one stage.
///
/// ```
/// # use ombud_engine::ledger::{ReplayOptions, ReportOptions};
/// # let engine = ombud_engine::doc_support::reference();
/// # let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// let records = ombud_engine::ledger::replay(
///     std::slice::from_ref(&engine),
///     std::fs::read(small).unwrap().as_slice(),
///     &ReplayOptions { keep_tickets: true, ..ReplayOptions::default() },
/// ).unwrap().tickets;
/// # let q3 = ReportOptions { period: "2026-Q3".parse().unwrap(), seed: 1,
/// #     repeat_window_secs: 0, repeat_window: "0d".into() };
/// let report = ombud_engine::ledger::build_report(engine.policy(), &records, &q3);
/// let handle = report.stages.iter().find(|s| s.stage == "handle").unwrap();
/// assert_eq!((handle.visits, handle.on_time, handle.late, handle.completed), (8, 8, 0, 8));
/// // In working hours; T-06's day of waiting for the complainant is not counted.
/// assert_eq!((handle.mean_hours, handle.p90_hours), (Some(39.125), Some(72.0)));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageReport {
    /// Stage name.
    pub stage: String,
    /// Visits of the stage by tickets of the period.
    pub visits: u64,
    /// Visits that had a deadline and were left before it.
    pub on_time: u64,
    /// Visits that breached their deadline.
    pub late: u64,
    /// `on_time / (on_time + late)`.
    pub on_time_rate: Option<f64>,
    /// Visits that were left (the ones timed).
    pub completed: u64,
    /// Mean handling time of completed visits, in working hours.
    pub mean_hours: Option<f64>,
    /// 90th percentile (nearest rank) of the same, in working hours.
    pub p90_hours: Option<f64>,
}

/// A bar of the handling-time distribution.
///
/// ```
/// use ombud_engine::ledger::{ReportOptions, build_report, replay};
/// # let policy = ombud_engine::doc_support::reference_policy();
/// # let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// # let text = std::fs::read_to_string(small).unwrap();
/// # let engine = ombud_engine::runtime::Engine::new(policy.into());
/// let options = ombud_engine::ledger::ReplayOptions { keep_tickets: true, ..Default::default() };
/// let result = replay(std::slice::from_ref(&engine), text.as_bytes(), &options).unwrap();
/// let quarter = ReportOptions { period: "2026-Q3".parse().unwrap(), seed: 7,
///     repeat_window_secs: 0, repeat_window: "0d".into() };
/// let buckets = build_report(engine.policy(), &result.tickets, &quarter).handling_distribution;
/// let bars: Vec<(&str, u64)> = buckets.iter().map(|b| (b.label.as_str(), b.count)).collect();
/// assert_eq!(bars[2..5], [("24–48 h", 1), ("48–72 h", 2), ("72–120 h", 4)]);
/// assert_eq!((buckets[6].from_hours, buckets[6].to_hours), (240.0, None));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bucket {
    /// Label (`8–24 h`).
    pub label: String,
    /// Lower bound in working hours (inclusive).
    pub from_hours: f64,
    /// Upper bound (exclusive; `None`: open-ended).
    pub to_hours: Option<f64>,
    /// Closed tickets whose total handling time falls in it.
    pub count: u64,
}

/// The repeat-complaint figure.
///
/// ```
/// use ombud_engine::ledger::{Repeats, ReplayOptions, ReportOptions, build_report, replay};
/// # let policy = ombud_engine::doc_support::reference_policy();
/// # let engines = [ombud_engine::runtime::Engine::new(policy.into())];
/// let ledger = r#"{"ticket":"T-1","open":{"at":"2026-06-29T10:00:00+08:00","complainant":"C-1"}}
/// {"ticket":"T-2","open":{"at":"2026-07-06T10:00:00+08:00","complainant":"C-1"}}
/// {"ticket":"T-3","open":{"at":"2026-07-07T10:00:00+08:00"}}"#;
/// let keep = ReplayOptions { keep_tickets: true, ..Default::default() };
/// let records = replay(&engines, ledger.as_bytes(), &keep).unwrap().tickets;
/// let window = "30d".to_string();
/// let options = ReportOptions { period: "2026-07".parse().unwrap(), seed: 1,
///     repeat_window_secs: 30 * 86_400, repeat_window: window.clone() };
/// let repeats = build_report(engines[0].policy(), &records, &options).repeats;
/// // T-2 repeats T-1 (opened in June, outside the period); T-3 names nobody.
/// assert_eq!(repeats, Repeats { window, with_complainant: 1, repeats: 1, rate: Some(1.0) });
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Repeats {
    /// The window as given.
    pub window: String,
    /// Tickets of the period with a known complainant.
    pub with_complainant: u64,
    /// Of those, tickets whose complainant opened another ticket within the window before.
    pub repeats: u64,
    /// `repeats / with_complainant`.
    pub rate: Option<f64>,
}

/// One stratum of the callback sample.
///
/// ```
/// # use ombud_engine::ledger::*;
/// # let policy = ombud_engine::doc_support::reference_policy();
/// # let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// # let ledger = std::fs::read(small).unwrap();
/// let engine = ombud_engine::runtime::Engine::new(std::sync::Arc::new(policy));
/// let options = ReplayOptions { threads: 2, keep_tickets: true, ..Default::default() };
/// let tickets = replay(&[engine.clone()], &ledger[..], &options).unwrap().tickets;
/// # let q3 = ReportOptions { period: "2026-Q3".parse().unwrap(), seed: 1,
/// #     repeat_window_secs: 0, repeat_window: "0d".into() };
/// let strata = build_report(engine.policy(), &tickets, &q3).callback_strata;
/// let quality = Stratum { category: "quality".into(), closed: 2, sampled: 1 };
/// assert!(strata.contains(&quality));
/// assert_eq!(strata.iter().map(|s| s.sampled).sum::<u64>(), 6);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stratum {
    /// Category.
    pub category: String,
    /// Closed tickets of the period in it.
    pub closed: u64,
    /// Sampled.
    pub sampled: u64,
}

/// A ticket to call back.
///
/// ```
/// use ombud_engine::ledger::{Callback, ReplayOptions, ReportOptions, build_report, replay};
/// # let yaml = "{policy: mini, calendar: weekdays, tiers: [agent], start: open, stages: {open: \
/// #     {owner: agent, due: 4h, on: {done: closed}}, closed: {terminal: true}}}";
/// # let (policy, _) = ombud_engine::load_policy("p.yaml", yaml, None).unwrap();
/// let engine = ombud_engine::runtime::Engine::new(policy.into());
/// let ledger = r#"{"ticket":"T-1","open":{"at":"2026-09-01T09:00:00Z","complainant":"C-9"}}
/// {"ticket":"T-1","event":{"at":"2026-09-01T11:00:00Z","event":"done"}}"#;
/// let keep = ReplayOptions { keep_tickets: true, ..Default::default() };
/// let records = replay(&[engine.clone()], ledger.as_bytes(), &keep).unwrap().tickets;
/// let options = ReportOptions { period: "2026-09".parse().unwrap(), seed: 1,
///     repeat_window_secs: 0, repeat_window: "0d".into() };
/// let call = &build_report(engine.policy(), &records, &options).callback[0];
/// let closed_at = "2026-09-01T11:00:00Z".parse().unwrap();
/// let expected = Callback { ticket: "T-1".into(), category: "(none)".into(),
///     complainant: Some("C-9".into()), closed_at };
/// assert_eq!(call, &expected);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Callback {
    /// Ticket id.
    pub ticket: String,
    /// Category (the stratum).
    pub category: String,
    /// Who to call.
    pub complainant: Option<String>,
    /// When it closed.
    pub closed_at: DateTime<Utc>,
}

/// A period report.
///
/// ```
/// # use ombud_engine::{ledger::*, runtime::Engine};
/// # let small = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let engine = Engine::new(policy.into());
/// let ledger = std::io::BufReader::new(std::fs::File::open(small).unwrap());
/// let replay_options = ReplayOptions { keep_tickets: true, ..Default::default() };
/// let records = replay(&[engine.clone()], ledger, &replay_options).unwrap().tickets;
/// let options = ReportOptions { period: "2026-Q3".parse().unwrap(), seed: 1,
///     repeat_window_secs: 30 * 86_400, repeat_window: "30d".into() };
/// let report: Report = build_report(engine.policy(), &records, &options);
/// assert_eq!(report.policy, "service-complaints@2026.2");
/// assert_eq!(report.timezone, "Asia/Shanghai"); // of the `cn-mainland` calendar
/// assert_eq!((report.tickets, report.closed, report.closed_on_time), (10, 7, 6));
/// assert_eq!((report.completion_rate, report.p90_total_hours), (Some(0.7), Some(98.0)));
/// assert_eq!(report.callback.len(), 6);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// `id@version` of the policy.
    pub policy: String,
    /// The period.
    pub period: Period,
    /// The time zone dates are read in.
    pub timezone: String,
    /// Tickets opened in the period.
    pub tickets: u64,
    /// Of those, closed by the end of the ledger.
    pub closed: u64,
    /// `closed / tickets`.
    pub completion_rate: Option<f64>,
    /// Closed tickets with no missed deadline.
    pub closed_on_time: u64,
    /// `closed_on_time / closed`.
    pub on_time_rate: Option<f64>,
    /// Deadlines missed by tickets of the period.
    pub breaches: u64,
    /// Type distribution: by category.
    pub by_category: Vec<Count>,
    /// By intake channel.
    pub by_channel: Vec<Count>,
    /// By severity.
    pub by_severity: Vec<Count>,
    /// By department (a ticket counts once for each department involved).
    pub by_department: Vec<Count>,
    /// Tickets involving more than one department.
    pub cross_department: u64,
    /// The ten most frequent (category, keyword) pairs.
    pub frequent_problems: Vec<Problem>,
    /// Per stage with a time limit, in policy order.
    pub stages: Vec<StageReport>,
    /// Mean total handling time of closed tickets (opening to closing), in working hours.
    pub mean_total_hours: Option<f64>,
    /// 90th percentile of the same.
    pub p90_total_hours: Option<f64>,
    /// Distribution of the same.
    pub handling_distribution: Vec<Bucket>,
    /// Repeat complaints.
    pub repeats: Repeats,
    /// Escalations by the tier escalated to.
    pub escalations_by_tier: Vec<Count>,
    /// Performance marks by the tier marked.
    pub marks_by_tier: Vec<Count>,
    /// Performance marks by the person marked (the ticket's assignee when the mark was made);
    /// marks made while nobody was named are in `marks_by_tier` only.
    pub marks_by_assignee: Vec<Count>,
    /// Seed of the callback sample.
    pub callback_seed: u64,
    /// Strata of the callback sample.
    pub callback_strata: Vec<Stratum>,
    /// The tickets to call back, by category then id.
    pub callback: Vec<Callback>,
}

/// Handling-time buckets (working hours): lower bounds.
pub(super) const BUCKETS: [f64; 7] = [0.0, 8.0, 24.0, 48.0, 72.0, 120.0, 240.0];

/// Builds the report of `options.period` from every ticket of a replay (tickets outside the
/// period still count for the repeat-complaint look-back).
///
/// ```
/// use ombud_engine::ledger::{ReplayOptions, ReportOptions, build_report, replay};
/// # let yaml = "{policy: mini, calendar: weekdays, tiers: [agent], start: s, stages: {s: \
/// #     {owner: agent, due: 2 working days, on: {ok: t}}, t: {terminal: true}}}";
/// # let engine = ombud_engine::runtime::Engine::new(
/// #     std::sync::Arc::new(ombud_engine::load_policy("p.yaml", yaml, None).unwrap().0));
/// let ledger = r#"{"ticket":"A","open":{"at":"2026-06-30T23:30:00Z","complainant":"C-1"}}
/// {"ticket":"B","open":{"at":"2026-07-01T00:30:00Z","complainant":"C-1"}}
/// {"ticket":"B","event":{"at":"2026-07-02T00:30:00Z","event":"ok"}}"#;
/// let keep = ReplayOptions { keep_tickets: true, ..Default::default() };
/// let records = replay(&[engine.clone()], ledger.as_bytes(), &keep).unwrap().tickets;
/// let july = ReportOptions { period: "2026-07".parse().unwrap(), seed: 1,
///     repeat_window_secs: 86_400, repeat_window: "1d".into() };
/// let report = build_report(engine.policy(), &records, &july);
/// // Only B was opened in July (UTC, the calendar's zone); A, from June, makes it a repeat.
/// assert_eq!((report.tickets, report.closed, report.repeats.repeats), (1, 1, 1));
/// assert_eq!(report.mean_total_hours, Some(24.0)); // one working day
/// ```
pub fn build_report(
    policy: &CompiledPolicy,
    records: &[TicketRecord],
    options: &ReportOptions,
) -> Report {
    let mut tally = Tally::new(policy, options);
    for t in records {
        tally.add(t);
    }
    tally.finish()
}
