//! Comparing two timelines of one scenario (under an old and a new policy).
//!
//! Rows are matched by `(kind, stage, occurrence)`: the second `deadline` row of `handle` in the
//! old timeline is compared with the second `deadline` row of `handle` in the new one. A matched
//! pair whose instant differs has *moved* (for `deadline` rows the instant is the deadline, `due`;
//! otherwise the row's `at`); one whose tier or detail differs has *changed*; unmatched rows were
//! *removed* or *added*.

use super::Timeline;
use crate::runtime::{RowKind, Text, TimelineRow};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// One difference between two timelines.
///
/// ```
/// use ombud_engine::{check::Source, runtime::Engine, simulate::*};
/// # let text = "policy: p\ncalendar: cn-mainland\ntiers: [agent, lead]\nstart: h\nstages: { \
/// #     h: { owner: OWNER, due: 3 working days, on: { ok: z } }, z: { terminal: true } }";
/// let engine = |owner| {
///     let policy = ombud_engine::load_policy("p.yaml", &text.replace("OWNER", owner), None);
///     Engine::new(std::sync::Arc::new(policy.unwrap().0))
/// };
/// let s = Source::new("s", "ticket: { at: 2026-02-13T17:30:00+08:00 }");
/// let s = Scenario::parse(&s).unwrap();
/// let (old, new) = (simulate(&engine("agent"), &s), simulate(&engine("lead"), &s));
/// // The same rows at the same instants, under another tier: `entered h` and `deadline h`.
/// let diff = compare(&old.unwrap(), &new.unwrap());
/// assert!(diff.changes.iter().all(|c| matches!(c, RowChange::Changed { .. })));
/// let RowChange::Changed { old, new } = &diff.changes[1] else { unreachable!() };
/// assert_eq!((old.tier.as_deref(), new.tier.as_deref()), (Some("agent"), Some("lead")));
/// assert_eq!(new.due, old.due);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum RowChange {
    /// The row is only in the new timeline.
    Added(TimelineRow),
    /// The row is only in the old timeline.
    Removed(TimelineRow),
    /// The matched row happens at another instant (a deadline: falls due at another instant).
    Moved {
        /// The old row.
        old: TimelineRow,
        /// The new row.
        new: TimelineRow,
        /// The instant compared (old).
        from: DateTime<Utc>,
        /// The instant compared (new).
        to: DateTime<Utc>,
    },
    /// The matched row happens at the same instant but says something else (tier, detail).
    Changed {
        /// The old row.
        old: TimelineRow,
        /// The new row.
        new: TimelineRow,
    },
}

impl RowChange {
    /// The instant the change is sorted by (the new row's, or the removed row's).
    ///
    /// ```
    /// # use ombud_engine::{check::Source, runtime::{Engine, RowKind}, simulate::*};
    /// # let text = "policy: p\ncalendar: weekdays\ntiers: [agent]\nstart: fix\nstages: { fix: \
    /// #     { owner: agent, due: LIMIT, on: { fixed: ok } }, ok: { terminal: true } }";
    /// # let run = |limit: &str, s: &Scenario| {
    /// #     let p = ombud_engine::load_policy("p.yaml", &text.replace("LIMIT", limit), None);
    /// #     simulate(&Engine::new(p.unwrap().0.into()), s).unwrap()
    /// # };
    /// // Received Mon 2 Mar 2026 09:00 UTC and never fixed: with 4h instead of 8h the breach
    /// // moves from 17:00 to 13:00.
    /// let text = "ticket: { at: 2026-03-02T09:00:00Z }\nuntil: 2026-03-03T09:00:00Z\n";
    /// let s = Scenario::parse(&Source::new("s.yaml", text)).unwrap();
    /// let diff = compare(&run("8h", &s), &run("4h", &s));
    /// let breach = diff.changes.iter().find(|c| matches!(c, RowChange::Moved { old, .. }
    ///     if old.kind == RowKind::Breach)).unwrap();
    /// assert_eq!(breach.at().to_rfc3339(), "2026-03-02T13:00:00+00:00");
    /// ```
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            RowChange::Added(r) | RowChange::Removed(r) => r.at,
            RowChange::Moved { new, .. } | RowChange::Changed { new, .. } => new.at,
        }
    }
}

/// How a scenario's timeline changes between two policies.
///
/// ```
/// # use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, compare, simulate}};
/// # let engine = |stages: &str| {
/// #     let text = format!("policy: p\ncalendar: cn-mainland\ntiers: [a]\nstart: a\n{stages}");
/// #     Engine::new(ombud_engine::load_policy("p", &text, None).unwrap().0.into())
/// # };
/// let old = engine("stages: { a: { owner: a, due: 2h, on: { go: z } }, z: { terminal: true } }");
/// let new = engine("stages: { a: { owner: a, due: 1h, on: { go: z } }, z: { terminal: true } }");
/// // The event comes 90 minutes in: in time under the old policy, late under the new.
/// let text = "ticket: { at: 2026-05-06T09:00:00+08:00 }\nevents: [ { at: +90m, event: go } ]";
/// let s = Scenario::parse(&Source::new("s.yaml", text)).unwrap();
/// let diff = compare(&simulate(&old, &s).unwrap(), &simulate(&new, &s).unwrap());
/// assert_eq!(diff.breaches, (0, 1));
/// assert_eq!(diff.final_stage, ("z".to_string(), "z".to_string()));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineDiff {
    /// The differences, in time order.
    pub changes: Vec<RowChange>,
    /// Breaches before and after.
    pub breaches: (u32, u32),
    /// Final stage before and after.
    pub final_stage: (String, String),
}

impl TimelineDiff {
    /// Whether nothing changed.
    ///
    /// A policy that differs only in its `version` changes no row:
    ///
    /// ```
    /// use ombud_engine::{check::Source, runtime::Engine, simulate::*};
    /// let v1 = "policy: p\nversion: \"1\"\ncalendar: weekdays\ntiers: [agent]\nstart: s\nstages: \
    ///           { s: { owner: agent, due: 1 working day, on: { e: t } }, t: { terminal: true } }";
    /// let run = |text: &str, s: &Scenario| {
    ///     let engine = Engine::new(ombud_engine::load_policy("p", text, None).unwrap().0.into());
    ///     simulate(&engine, s).unwrap()
    /// };
    /// let s = Scenario::parse(&Source::new("s", "ticket: { at: 2026-03-02T09:00:00Z }")).unwrap();
    /// let (old, new) = (run(v1, &s), run(&v1.replace("\"1\"", "\"2\""), &s));
    /// assert_eq!(new.policy, "p@2");
    /// assert!(compare(&old, &new).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.final_stage.0 == self.final_stage.1
    }
}

/// The instant a row is compared by: a deadline's due instant, else when it happened.
fn instant(row: &TimelineRow) -> DateTime<Utc> {
    match (row.kind, row.due) {
        (RowKind::Deadline | RowKind::Resumed, Some(due)) => due,
        _ => row.at,
    }
}

type Key = (RowKind, Option<Text>, usize);

fn keyed(rows: &[TimelineRow]) -> Vec<(Key, &TimelineRow)> {
    let mut seen: BTreeMap<(RowKind, Option<Text>), usize> = BTreeMap::new();
    rows.iter()
        .map(|r| {
            let n = seen.entry((r.kind, r.stage.clone())).or_insert(0);
            *n += 1;
            ((r.kind, r.stage.clone(), *n), r)
        })
        .collect()
}

/// Compares the timelines of one scenario under two policies.
///
/// Rows whose text only differs because the policy's name or version changed are not reported:
/// only kind, stage, tier, instants and details are compared.
///
/// Five working days instead of three for a ticket received Fri 13 Feb 2026 17:30 (Beijing),
/// with the clock run to Fri 27 Feb noon: the deadline moves from the end of Wed 25 Feb to the
/// end of Fri 27 Feb (Sat 14, Tue 24 to Fri 27 Feb are the working days), and the breach goes.
///
/// ```
/// use ombud_engine::{check::Source, runtime::{Engine, RowKind}};
/// use ombud_engine::simulate::{RowChange, Scenario, compare, simulate};
/// # let policy = |due: &str| format!("policy: p\ncalendar: cn-mainland\ntiers: [agent]\n\
/// #     start: h\nstages: {{ h: {{ owner: agent, due: {due}, on: {{ ok: z }} }}, \
/// #     z: {{ terminal: true }} }}");
/// # let engine = |due| {
/// #     Engine::new(ombud_engine::load_policy("p", &policy(due), None).unwrap().0.into())
/// # };
/// let text = "ticket: { at: 2026-02-13T17:30:00+08:00 }\nuntil: 2026-02-27T12:00:00+08:00\n";
/// let s = Scenario::parse(&Source::new("s.yaml", text)).unwrap();
/// let old = simulate(&engine("3 working days"), &s).unwrap();
/// let new = simulate(&engine("5 working days"), &s).unwrap();
/// let diff = compare(&old, &new);
/// assert!(matches!(&diff.changes[0], RowChange::Moved { to, .. }
///     if to.to_rfc3339() == "2026-02-27T16:00:00+00:00"));
/// assert!(matches!(&diff.changes[1], RowChange::Removed(row) if row.kind == RowKind::Breach));
/// assert_eq!((diff.changes.len(), diff.breaches), (2, (1, 0)));
/// ```
pub fn compare(old: &Timeline, new: &Timeline) -> TimelineDiff {
    let old_rows = keyed(&old.rows);
    let new_rows = keyed(&new.rows);
    let new_by_key: BTreeMap<&Key, &TimelineRow> = new_rows.iter().map(|(k, r)| (k, *r)).collect();
    let old_by_key: BTreeMap<&Key, &TimelineRow> = old_rows.iter().map(|(k, r)| (k, *r)).collect();
    let mut changes = Vec::new();
    for (key, o) in &old_rows {
        match new_by_key.get(key) {
            None => changes.push(RowChange::Removed((*o).clone())),
            Some(n) => {
                let (from, to) = (instant(o), instant(n));
                if from != to || o.provisional != n.provisional {
                    changes.push(RowChange::Moved {
                        old: (*o).clone(),
                        new: (*n).clone(),
                        from,
                        to,
                    });
                } else if o.tier != n.tier || o.detail != n.detail || o.at != n.at {
                    changes.push(RowChange::Changed { old: (*o).clone(), new: (*n).clone() });
                }
            }
        }
    }
    for (key, n) in &new_rows {
        if !old_by_key.contains_key(key) {
            changes.push(RowChange::Added((*n).clone()));
        }
    }
    changes.sort_by_key(RowChange::at);
    TimelineDiff {
        changes,
        breaches: (old.final_state.breaches, new.final_state.breaches),
        final_stage: (old.final_state.stage.clone(), new.final_state.stage.clone()),
    }
}
