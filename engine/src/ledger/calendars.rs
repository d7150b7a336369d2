//! The calendar updates a ledger's `calendar` lines (and openings on an update) may name: for
//! each, the reader's policies loaded on it.

use crate::runtime::Engine;

/// The calendar updates a ledger reader can bring tickets onto, by calendar id: for each, every
/// policy the reader runs loaded on it
/// ([`load_policy_on_calendar`](crate::policy::load_policy_on_calendar)), in the order the
/// reader is given its policies. A `calendar` line (or an opening on an update) naming an id
/// not here is a malformed line: `calendar `X` is not given; pass --calendar FILE`.
///
/// ```
/// use ombud_engine::{Calendar, Engine, ledger::CalendarUpdates, policy::load_policy_on_calendar};
/// let text = "policy: p\ncalendar: cn-mainland\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 7 working days, on: { done: closed } }\n  closed: { terminal: true }\n";
/// let year = "id: cn-2027\nextends: cn-mainland\ncovers: {from: 2024-01-01, to: 2027-12-31}\n";
/// let cal = Calendar::from_yaml("cn-2027.yaml", year, None).unwrap();
/// let on = Engine::new(load_policy_on_calendar("p.yaml", text, None, cal.into())?.0.into());
/// let mut updates = CalendarUpdates::default();
/// updates.insert(vec![on]);
/// assert_eq!(updates.ids().collect::<Vec<_>>(), ["cn-2027"]);
/// assert!(updates.engine("cn-2027", 0).is_some() && updates.engine("cn-2027", 1).is_none());
/// # Ok::<(), ombud_engine::LoadError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct CalendarUpdates {
    /// (calendar id, the policies on it), in the order inserted; a later insert of the same id
    /// replaces the earlier one.
    by_id: Vec<(String, Vec<Engine>)>,
}

impl CalendarUpdates {
    /// Adds a calendar update: `engines[i]` is the reader's policy `i` loaded on it (all on the
    /// same calendar, whose id keys them). An empty list adds nothing.
    pub fn insert(&mut self, engines: Vec<Engine>) {
        let Some(id) = engines.first().map(|e| e.policy().calendar().id().to_string()) else {
            return;
        };
        self.by_id.retain(|(known, _)| *known != id);
        self.by_id.push((id, engines));
    }

    /// Whether no calendar update is given.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The ids of the calendar updates given, in the order inserted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.iter().map(|(id, _)| id.as_str())
    }

    /// The reader's policy `policy` on calendar update `id`.
    pub fn engine(&self, id: &str, policy: usize) -> Option<&Engine> {
        self.on(id).and_then(|engines| engines.get(policy))
    }

    /// Every policy of the reader on calendar update `id`.
    pub(super) fn on(&self, id: &str) -> Option<&[Engine]> {
        self.by_id.iter().find(|(known, _)| known == id).map(|(_, engines)| engines.as_slice())
    }
}

/// The message of a line naming a calendar no [`CalendarUpdates`] supplies.
pub(super) fn not_given(id: &str) -> String {
    format!("calendar `{id}` is not given; pass --calendar FILE")
}
