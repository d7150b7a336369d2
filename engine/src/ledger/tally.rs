//! A report being gathered: each ticket's record folded in as the ticket finishes, so that a
//! replay keeps only what the figures need (counts, one handling time per visit, one line per
//! ticket for repeats and per closed ticket for the callback sample), not the tickets. Tallies of
//! several workers merge into the same report whatever the partition.

use super::replay::{TicketRecord, Visit};
use super::report::{
    BUCKETS, Bucket, CALLBACK_PERCENT, Callback, Count, Problem, Repeats, Report, ReportOptions,
    StageReport, Stratum,
};
use super::rng::seeded_hash;
use crate::compile::CompiledPolicy;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// One visit's figures for a stage with a time limit.
#[derive(Default)]
struct StageTally {
    visits: u64,
    on_time: u64,
    late: u64,
    /// Working hours of each visit that ended.
    hours: Vec<f64>,
}

/// A ticket with a complainant, for repeats: who, when, its line, and whether it is of the
/// period.
struct Opening {
    complainant: Box<str>,
    at: DateTime<Utc>,
    line: u64,
    in_period: bool,
}

/// A closed ticket of the period, a candidate for the callback sample of its category.
struct Candidate {
    hash: u64,
    line: u64,
    id: Box<str>,
    complainant: Option<Box<str>>,
    closed_at: DateTime<Utc>,
}

/// The figures of a report, gathered one ticket at a time.
pub(crate) struct Tally<'p> {
    policy: &'p CompiledPolicy,
    options: &'p ReportOptions,
    tickets: u64,
    closed: u64,
    closed_on_time: u64,
    breaches: u64,
    by_category: BTreeMap<String, u64>,
    by_channel: BTreeMap<String, u64>,
    by_severity: BTreeMap<String, u64>,
    by_department: BTreeMap<String, u64>,
    cross_department: u64,
    problems: BTreeMap<(String, Option<String>), u64>,
    /// Per stage of the policy (those with a limit are reported).
    stages: Vec<StageTally>,
    /// Total working hours of each closed ticket of the period.
    totals: Vec<f64>,
    openings: Vec<Opening>,
    escalations_by_tier: BTreeMap<String, u64>,
    marks_by_tier: BTreeMap<String, u64>,
    marks_by_assignee: BTreeMap<String, u64>,
    /// Per category, the closed tickets of the period.
    strata: BTreeMap<String, Vec<Candidate>>,
}

/// Working seconds in hours.
fn hours(working: i64) -> f64 {
    working as f64 / 3600.0
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

fn merge_counts<K: Ord>(into: &mut BTreeMap<K, u64>, from: BTreeMap<K, u64>) {
    for (k, n) in from {
        *into.entry(k).or_default() += n;
    }
}

fn field(t: &TicketRecord, name: &str) -> String {
    match t.fields.get(name) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => "(none)".to_string(),
        Some(other) => other.to_string(),
    }
}

fn departments(t: &TicketRecord) -> Vec<&str> {
    match t.fields.get("departments") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.as_str()],
        _ => vec![],
    }
}

impl<'p> Tally<'p> {
    pub(crate) fn new(policy: &'p CompiledPolicy, options: &'p ReportOptions) -> Self {
        Tally {
            policy,
            options,
            tickets: 0,
            closed: 0,
            closed_on_time: 0,
            breaches: 0,
            by_category: BTreeMap::new(),
            by_channel: BTreeMap::new(),
            by_severity: BTreeMap::new(),
            by_department: BTreeMap::new(),
            cross_department: 0,
            problems: BTreeMap::new(),
            stages: policy.stages.iter().map(|_| StageTally::default()).collect(),
            totals: Vec::new(),
            openings: Vec::new(),
            escalations_by_tier: BTreeMap::new(),
            marks_by_tier: BTreeMap::new(),
            marks_by_assignee: BTreeMap::new(),
            strata: BTreeMap::new(),
        }
    }

    /// Folds in the record of a finished ticket (or of one still open at the ledger's end).
    pub(crate) fn add(&mut self, t: &TicketRecord) {
        let tz = self.policy.calendar.tz();
        let day = t.opened_at.with_timezone(&tz).date_naive();
        let in_period = day >= self.options.period.first && day < self.options.period.after;
        if let Some(c) = &t.complainant {
            self.openings.push(Opening {
                complainant: c.as_str().into(),
                at: t.opened_at,
                line: t.line,
                in_period,
            });
        }
        if !in_period {
            return;
        }
        self.tickets += 1;
        self.breaches += u64::from(t.breaches);
        let category = field(t, "category");
        bump(&mut self.by_category, &category);
        bump(&mut self.by_channel, &field(t, "channel"));
        bump(&mut self.by_severity, &field(t, "severity"));
        let depts = departments(t);
        for d in &depts {
            bump(&mut self.by_department, d);
        }
        if depts.len() > 1 {
            self.cross_department += 1;
        }
        *self.problems.entry((category.clone(), t.keyword.clone())).or_default() += 1;
        for v in &t.visits {
            let Some(i) = self.policy.stage_id(&v.stage).map(|s| s.index()) else { continue };
            let hours = v.working.map(hours);
            let Some(s) = self.stages.get_mut(i) else { continue };
            tally_visit(s, v, hours);
        }
        for e in &t.escalations {
            bump(&mut self.escalations_by_tier, e);
        }
        for m in &t.marks {
            bump(&mut self.marks_by_tier, &m.tier);
            if let Some(a) = m.assignee.as_deref() {
                bump(&mut self.marks_by_assignee, a);
            }
        }
        let (Some(closed_at), Some(working)) = (t.closed_at, t.working) else { return };
        self.closed += 1;
        if t.breaches == 0 {
            self.closed_on_time += 1;
        }
        self.totals.push(hours(working));
        let candidate = Candidate {
            hash: seeded_hash(self.options.seed, &t.id),
            line: t.line,
            id: t.id.as_str().into(),
            complainant: t.complainant.as_deref().map(Into::into),
            closed_at,
        };
        self.strata.entry(category).or_default().push(candidate);
    }

    /// Folds in another worker's tally of the same policy and options.
    pub(crate) fn merge(&mut self, other: Tally<'_>) {
        self.tickets += other.tickets;
        self.closed += other.closed;
        self.closed_on_time += other.closed_on_time;
        self.breaches += other.breaches;
        merge_counts(&mut self.by_category, other.by_category);
        merge_counts(&mut self.by_channel, other.by_channel);
        merge_counts(&mut self.by_severity, other.by_severity);
        merge_counts(&mut self.by_department, other.by_department);
        self.cross_department += other.cross_department;
        merge_counts(&mut self.problems, other.problems);
        for (s, o) in self.stages.iter_mut().zip(other.stages) {
            s.visits += o.visits;
            s.on_time += o.on_time;
            s.late += o.late;
            s.hours.extend(o.hours);
        }
        self.totals.extend(other.totals);
        self.openings.extend(other.openings);
        merge_counts(&mut self.escalations_by_tier, other.escalations_by_tier);
        merge_counts(&mut self.marks_by_tier, other.marks_by_tier);
        merge_counts(&mut self.marks_by_assignee, other.marks_by_assignee);
        for (category, members) in other.strata {
            self.strata.entry(category).or_default().extend(members);
        }
    }

    /// The report.
    pub(crate) fn finish(self) -> Report {
        let Tally { policy, options, tickets: n, .. } = self;
        let counts = |m: BTreeMap<String, u64>| sorted_counts(m, n);
        let mut frequent_problems: Vec<Problem> = self
            .problems
            .into_iter()
            .map(|((category, keyword), count)| Problem { category, keyword, count })
            .collect();
        frequent_problems.sort_by_key(|p| std::cmp::Reverse(p.count));
        frequent_problems.truncate(10);

        let stages = policy
            .stages
            .iter()
            .zip(self.stages)
            .filter(|(s, _)| !s.terminal && !s.due.is_empty())
            .map(|(s, mut t)| {
                t.hours.sort_by(f64::total_cmp);
                StageReport {
                    stage: s.name.clone(),
                    visits: t.visits,
                    on_time: t.on_time,
                    late: t.late,
                    on_time_rate: ratio(t.on_time, t.on_time + t.late),
                    completed: t.hours.len() as u64,
                    mean_hours: mean(&t.hours),
                    p90_hours: p90(&t.hours),
                }
            })
            .collect();

        let mut totals = self.totals;
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

        let repeats = repeat_figure(self.openings, options);

        // Callback sample: per category, the ceil(20 %) closed tickets with the lowest seeded hash.
        let mut callback_strata = Vec::new();
        let mut callback = Vec::new();
        for (category, mut members) in self.strata {
            let take = (members.len() as u64 * CALLBACK_PERCENT).div_ceil(100) as usize;
            members.sort_by_key(|t| (t.hash, t.line));
            let closed = members.len() as u64;
            members.truncate(take);
            members.sort_by(|a, b| a.id.cmp(&b.id));
            callback_strata.push(Stratum {
                category: category.clone(),
                closed,
                sampled: members.len() as u64,
            });
            for t in members {
                callback.push(Callback {
                    ticket: t.id.into(),
                    category: category.clone(),
                    complainant: t.complainant.map(Into::into),
                    closed_at: t.closed_at,
                });
            }
        }

        Report {
            policy: format!("{}@{}", policy.id, policy.version),
            period: options.period.clone(),
            timezone: policy.calendar.tz().name().to_string(),
            tickets: n,
            closed: self.closed,
            completion_rate: ratio(self.closed, n),
            closed_on_time: self.closed_on_time,
            on_time_rate: ratio(self.closed_on_time, self.closed),
            breaches: self.breaches,
            by_category: counts(self.by_category),
            by_channel: counts(self.by_channel),
            by_severity: counts(self.by_severity),
            by_department: counts(self.by_department),
            cross_department: self.cross_department,
            frequent_problems,
            stages,
            mean_total_hours: mean(&totals),
            p90_total_hours: p90(&totals),
            handling_distribution,
            repeats,
            escalations_by_tier: counts(self.escalations_by_tier),
            marks_by_tier: counts(self.marks_by_tier),
            marks_by_assignee: counts(self.marks_by_assignee),
            callback_seed: options.seed,
            callback_strata,
            callback,
        }
    }
}

fn tally_visit(s: &mut StageTally, v: &Visit, hours: Option<f64>) {
    s.visits += 1;
    if v.deadline && !v.breached && v.left.is_some() {
        s.on_time += 1;
    }
    if v.deadline && v.breached {
        s.late += 1;
    }
    s.hours.extend(hours);
}

/// Repeat complaints: tickets of the period whose complainant opened another ticket (of any
/// period) earlier, within the window.
fn repeat_figure(mut openings: Vec<Opening>, o: &ReportOptions) -> Repeats {
    openings.sort_by(|a, b| (&a.complainant, a.at, a.line).cmp(&(&b.complainant, b.at, b.line)));
    let mut with = 0;
    let mut repeats = 0;
    for (i, t) in openings.iter().enumerate().filter(|(_, t)| t.in_period) {
        with += 1;
        // The complainant's opening just before this one is the latest earlier one.
        let earlier = i.checked_sub(1).and_then(|j| openings.get(j)).is_some_and(|e| {
            e.complainant == t.complainant && (t.at - e.at).num_seconds() <= o.repeat_window_secs
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
