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
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            RowChange::Added(r) | RowChange::Removed(r) => r.at,
            RowChange::Moved { new, .. } | RowChange::Changed { new, .. } => new.at,
        }
    }
}

/// How a scenario's timeline changes between two policies.
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
