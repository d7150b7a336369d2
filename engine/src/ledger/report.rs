//! The report model: the figures the guideline asks for (type distribution, frequent problems,
//! completion and on-time rates, handling times in working hours, repeat complaints, escalations
//! and marks per tier, the callback sample), computed from replayed [`TicketRecord`]s. Rendering
//! is the host's (the CLI renders text, JSON, CSV and HTML).

use super::replay::{TicketRecord, Visit};
use super::rng::seeded_hash;
use crate::compile::CompiledPolicy;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

/// The share of closed tickets called back, in percent.
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
const BUCKETS: [f64; 7] = [0.0, 8.0, 24.0, 48.0, 72.0, 120.0, 240.0];

/// Builds the report of `options.period` from every ticket of a replay (tickets outside the
/// period still count for the repeat-complaint look-back).
pub fn build_report(
    policy: &CompiledPolicy,
    records: &[TicketRecord],
    options: &ReportOptions,
) -> Report {
    let cal = &policy.calendar;
    let tz = cal.tz();
    let in_period = |t: &TicketRecord| {
        let d = t.opened_at.with_timezone(&tz).date_naive();
        d >= options.period.first && d < options.period.after
    };
    let period: Vec<&TicketRecord> = records.iter().filter(|t| in_period(t)).collect();
    let n = period.len() as u64;
    let closed: Vec<&&TicketRecord> = period.iter().filter(|t| t.closed_at.is_some()).collect();
    let closed_on_time = closed.iter().filter(|t| t.breaches == 0).count() as u64;
    let field = |t: &TicketRecord, name: &str| match t.fields.get(name) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => "(none)".to_string(),
        Some(other) => other.to_string(),
    };
    let counts = |keys: &mut dyn Iterator<Item = String>| -> Vec<Count> {
        let mut m: BTreeMap<String, u64> = BTreeMap::new();
        for k in keys {
            *m.entry(k).or_default() += 1;
        }
        sorted_counts(m, n)
    };
    let by_category = counts(&mut period.iter().map(|t| field(t, "category")));
    let by_channel = counts(&mut period.iter().map(|t| field(t, "channel")));
    let by_severity = counts(&mut period.iter().map(|t| field(t, "severity")));
    let departments = |t: &TicketRecord| -> Vec<String> {
        match t.fields.get("departments") {
            Some(Value::Array(items)) => {
                items.iter().filter_map(Value::as_str).map(str::to_string).collect()
            }
            Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
            _ => vec![],
        }
    };
    let by_department = counts(&mut period.iter().flat_map(|t| departments(t)));
    let cross_department = period.iter().filter(|t| departments(t).len() > 1).count() as u64;

    let mut problems: BTreeMap<(String, Option<String>), u64> = BTreeMap::new();
    for t in &period {
        *problems.entry((field(t, "category"), t.keyword.clone())).or_default() += 1;
    }
    let mut frequent_problems: Vec<Problem> = problems
        .into_iter()
        .map(|((category, keyword), count)| Problem { category, keyword, count })
        .collect();
    frequent_problems.sort_by_key(|p| std::cmp::Reverse(p.count));
    frequent_problems.truncate(10);

    let hours = |v: &Visit| -> Option<f64> {
        let left = v.left?;
        let w = cal.working_clock(left) - cal.working_clock(v.entered) - v.paused_working;
        Some(w.max(0) as f64 / 3600.0)
    };
    let stages = policy
        .stages
        .iter()
        .filter(|s| !s.terminal && !s.due.is_empty())
        .map(|s| {
            let visits: Vec<&Visit> =
                period.iter().flat_map(|t| t.visits.iter()).filter(|v| v.stage == s.name).collect();
            let on_time =
                visits.iter().filter(|v| v.deadline && !v.breached && v.left.is_some()).count();
            let late = visits.iter().filter(|v| v.deadline && v.breached).count();
            let mut times: Vec<f64> = visits.iter().filter_map(|v| hours(v)).collect();
            times.sort_by(f64::total_cmp);
            StageReport {
                stage: s.name.clone(),
                visits: visits.len() as u64,
                on_time: on_time as u64,
                late: late as u64,
                on_time_rate: ratio(on_time as u64, (on_time + late) as u64),
                completed: times.len() as u64,
                mean_hours: mean(&times),
                p90_hours: p90(&times),
            }
        })
        .collect();

    let mut totals: Vec<f64> = closed
        .iter()
        .filter_map(|t| {
            let end = t.closed_at?;
            let paused: i64 = t.visits.iter().map(|v| v.paused_working).sum();
            let w = cal.working_clock(end) - cal.working_clock(t.opened_at) - paused;
            Some(w.max(0) as f64 / 3600.0)
        })
        .collect();
    totals.sort_by(f64::total_cmp);
    let handling_distribution = BUCKETS
        .iter()
        .enumerate()
        .map(|(i, lo)| {
            let hi = BUCKETS.get(i + 1).copied();
            let count =
                totals.iter().filter(|h| **h >= *lo && hi.is_none_or(|hi| **h < hi)).count();
            Bucket {
                label: match hi {
                    Some(hi) => format!("{lo:.0}–{hi:.0} h"),
                    None => format!("≥ {lo:.0} h"),
                },
                from_hours: *lo,
                to_hours: hi,
                count: count as u64,
            }
        })
        .collect();

    let repeats = repeat_figure(records, &period, options);

    let escalations_by_tier =
        counts(&mut period.iter().flat_map(|t| t.escalations.iter().map(|e| e.to_string())));
    let marks_by_tier =
        counts(&mut period.iter().flat_map(|t| t.marks.iter().map(|m| m.tier.to_string())));
    let marks_by_assignee = counts(
        &mut period
            .iter()
            .flat_map(|t| t.marks.iter().filter_map(|m| m.assignee.as_deref()))
            .map(str::to_string),
    );

    // Callback sample: per category, the ceil(20 %) closed tickets with the lowest seeded hash.
    let mut strata: BTreeMap<String, Vec<&TicketRecord>> = BTreeMap::new();
    for t in &closed {
        strata.entry(field(t, "category")).or_default().push(t);
    }
    let mut callback_strata = Vec::new();
    let mut callback = Vec::new();
    for (category, mut members) in strata {
        let take = (members.len() as u64 * CALLBACK_PERCENT).div_ceil(100) as usize;
        members.sort_by_key(|t| (seeded_hash(options.seed, &t.id), t.line));
        let mut chosen: Vec<&TicketRecord> = members.iter().take(take).copied().collect();
        chosen.sort_by(|a, b| a.id.cmp(&b.id));
        callback_strata.push(Stratum {
            category: category.clone(),
            closed: members.len() as u64,
            sampled: chosen.len() as u64,
        });
        for t in chosen {
            callback.push(Callback {
                ticket: t.id.clone(),
                category: category.clone(),
                complainant: t.complainant.clone(),
                closed_at: t.closed_at.unwrap_or(t.opened_at),
            });
        }
    }

    Report {
        policy: format!("{}@{}", policy.id, policy.version),
        period: options.period.clone(),
        timezone: tz.name().to_string(),
        tickets: n,
        closed: closed.len() as u64,
        completion_rate: ratio(closed.len() as u64, n),
        closed_on_time,
        on_time_rate: ratio(closed_on_time, closed.len() as u64),
        breaches: period.iter().map(|t| u64::from(t.breaches)).sum(),
        by_category,
        by_channel,
        by_severity,
        by_department,
        cross_department,
        frequent_problems,
        stages,
        mean_total_hours: mean(&totals),
        p90_total_hours: p90(&totals),
        handling_distribution,
        repeats,
        escalations_by_tier,
        marks_by_tier,
        marks_by_assignee,
        callback_seed: options.seed,
        callback_strata,
        callback,
    }
}

fn repeat_figure(all: &[TicketRecord], period: &[&TicketRecord], o: &ReportOptions) -> Repeats {
    let mut by_person: HashMap<&str, Vec<(DateTime<Utc>, u64)>> = HashMap::new();
    for t in all {
        if let Some(c) = &t.complainant {
            by_person.entry(c.as_str()).or_default().push((t.opened_at, t.line));
        }
    }
    for v in by_person.values_mut() {
        v.sort();
    }
    let mut with = 0;
    let mut repeats = 0;
    for t in period {
        let Some(c) = &t.complainant else { continue };
        with += 1;
        let earlier = by_person.get(c.as_str()).is_some_and(|v| {
            v.iter().any(|(at, line)| {
                (*at, *line) < (t.opened_at, t.line)
                    && (t.opened_at - *at).num_seconds() <= o.repeat_window_secs
            })
        });
        if earlier {
            repeats += 1;
        }
    }
    Repeats {
        window: o.repeat_window.clone(),
        with_complainant: with,
        repeats,
        rate: ratio(repeats, with),
    }
}

fn sorted_counts(m: BTreeMap<String, u64>, n: u64) -> Vec<Count> {
    let mut v: Vec<Count> = m
        .into_iter()
        .map(|(key, count)| Count { key, count, share: ratio(count, n).unwrap_or(0.0) })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    v
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn mean(sorted: &[f64]) -> Option<f64> {
    (!sorted.is_empty()).then(|| sorted.iter().sum::<f64>() / sorted.len() as f64)
}

/// Nearest-rank 90th percentile of sorted values: the value at rank ⌈0.9·n⌉.
fn p90(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (n * 9).div_ceil(10);
    sorted.get(rank.saturating_sub(1)).copied()
}
