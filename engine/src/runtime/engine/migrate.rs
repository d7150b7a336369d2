//! Moving a ticket to another policy or version.

use super::Run;
use super::{Engine, absorb, rejected_row};
use crate::compile::FieldType;
use crate::runtime::{AuditEntry, AuditRecord, Migration, OpenTicket, Outcome, Rejection, Ticket};
use serde_json::Value;

impl Engine {
    /// Moves a ticket opened under another policy (or version) to this engine's policy (see
    /// [`Migration`] for both ways). Keeping the deadlines needs the ticket's stage in the new
    /// policy; recomputing replays the history, so it follows a renamed stage.
    ///
    /// ```
    /// use ombud_engine::runtime::{Engine, Migration, OpenTicket};
    /// let v1 = "\
    /// policy: desk
    /// version: '1'
    /// calendar: weekdays
    /// tiers: [agent]
    /// start: open
    /// stages:
    ///   open: { owner: agent, due: 4h, on: { done: closed } }
    ///   closed: { terminal: true }
    /// ";
    /// let v2 = v1.replace("'1'", "'2'").replace("open", "triage");
    /// let load = |text: &str| {
    ///     Engine::new(ombud_engine::load_policy("p.yaml", text, None).unwrap().0.into())
    /// };
    /// let input: OpenTicket =
    ///     serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (ticket, _) = load(v1).open(&input)?;
    /// let err = load(&v2).migrate(&ticket, Migration::KeepDeadlines).unwrap_err();
    /// assert_eq!(err.to_string(), "stage `open` does not exist in policy `desk` 2");
    /// let (moved, _) = load(&v2).migrate(&ticket, Migration::Recompute)?;
    /// assert_eq!(moved.stage(), "triage");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn migrate(&self, ticket: &Ticket, how: Migration) -> Result<(Ticket, Outcome), Rejection> {
        match how {
            Migration::KeepDeadlines => {
                if self.policy.stage_id(&ticket.stage).is_none() {
                    return Err(Rejection::bad(format!(
                        "stage `{}` does not exist in policy `{}` {}",
                        ticket.stage, self.pin.id, self.pin.version
                    )));
                }
                let mut t = ticket.clone();
                // The step instants and fired marks were the old ladder's. Under the new one, a
                // step at or before the ticket's clock counts as fired: keeping the deadlines
                // does not replay the past.
                let (clock_at, run) = (t.clock_at, Run::new(self));
                let ladder = self.stage(&t).ladder.map(|l| self.policy.ladder(l));
                if let Some(c) = t.clock.as_mut() {
                    let steps = ladder.map_or(&[][..], |l| &l.steps[..]);
                    c.fired = steps
                        .iter()
                        .take(64)
                        .enumerate()
                        .filter(|(_, step)| run.step_time(c, &step.at) <= clock_at)
                        .fold(0, |fired, (i, _)| fired | 1u64 << i);
                }
                for (name, value) in ticket.fields.iter() {
                    let unset_enum = matches!(
                        (self.policy.field(name).map(|f| &f.ty), value),
                        (Some(FieldType::Enum(_)), Value::String(s)) if s.is_empty()
                    );
                    if self.policy.field(name).is_some() && !unset_enum {
                        self.check_field(name, value)?;
                    }
                }
                if let Some(refusal) = run.range_refusal() {
                    return Err(refusal);
                }
                t.policy = self.pin.clone();
                let next_wakeup = self.wakeup(&t)?;
                Ok((t, Outcome { next_wakeup, ..Outcome::default() }))
            }
            Migration::Recompute => {
                let Some(AuditRecord { entry: AuditEntry::Open(open), .. }) =
                    ticket.history.first()
                else {
                    return Err(Rejection::bad("ticket has no recorded opening to recompute from"));
                };
                let input = OpenTicket {
                    id: ticket.id.to_string(),
                    at: open.opened,
                    fields: open.fields.clone(),
                };
                let (mut t, mut outcome) = self.open(&input)?;
                for rec in ticket.history.iter().skip(1) {
                    if let AuditEntry::Event(recorded) = &rec.entry {
                        // A recorded event was accepted when it came: a key of another event
                        // that a stored record holds was dropped then, and is dropped here.
                        let e = recorded.as_applied();
                        match self.apply(&mut t, &e) {
                            Ok(o) => absorb(&mut outcome, o),
                            Err(err) => outcome.rows.push(rejected_row(&t, &e, &err)),
                        }
                    }
                }
                let o = self.advance(&mut t, ticket.clock_at)?;
                let next_wakeup = o.next_wakeup;
                absorb(&mut outcome, o);
                outcome.next_wakeup = next_wakeup;
                Ok((t, outcome))
            }
        }
    }
}
