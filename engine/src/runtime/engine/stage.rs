//! Entering a stage: owner, clock, joint group, automatic transitions; obligations.

use super::Run;
use crate::compile::{Completion, ObligationDef, StageId};
use crate::runtime::{GroupState, NameMap, ObligationState, RowKind, Text, Ticket, TimelineRow};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::fmt::Write as _;

/// Most automatic transitions taken in a row before the engine stops following them.
const MAX_AUTO_CHAIN: usize = 32;

impl<'e> Run<'e> {
    /// Enters `stage_id` at `at`: owner, clock, ladder, group, then automatic transitions.
    /// Stage ids come from the compiled policy, so the stage exists; entering cannot fail.
    pub(super) fn enter(
        &mut self,
        ticket: &mut Ticket,
        stage_id: StageId,
        at: DateTime<Utc>,
        depth: usize,
    ) {
        let p = self.policy();
        let stage = p.stage(stage_id);
        ticket.stage = Text::from(stage.name.as_str());
        self.at_stage(&stage.name);
        ticket.visit += 1;
        ticket.stats.stages_entered += 1;
        ticket.flagged = false;
        ticket.group = None;
        ticket.clock = None;
        let owner = stage
            .owner
            .iter()
            .find(|o| o.when.as_ref().is_none_or(|w| self.holds(w, &ticket.fields)))
            .map(|o| p.tier(o.value));
        if owner.is_some() || stage.terminal {
            ticket.owner = owner.map(Text::from);
            if owner.is_some() {
                hand_over(ticket, ticket.owner.clone());
            }
        }
        let detail = match owner {
            Some(o) => detail!(self, "owner {o}"),
            None => Text::default(),
        };
        self.row(at, RowKind::Entered, Some(&stage.name), ticket.tier.as_deref(), detail);
        if stage.terminal {
            ticket.closed_at = Some(at);
            self.row(
                at,
                RowKind::Closed,
                Some(&stage.name),
                ticket.tier.as_deref(),
                detail!(self, "all clocks stopped"),
            );
            return;
        }
        let budget = stage
            .due
            .iter()
            .find(|d| d.when.as_ref().is_none_or(|w| self.holds(w, &ticket.fields)))
            .map(|d| d.value);
        if let Some(budget) = budget {
            let Some((clock, deadline)) = self.new_clock(budget, at) else { return };
            self.check_steps(stage.ladder, &clock);
            let provisional = clock.provisional;
            ticket.clock = Some(clock);
            let mut detail = detail!(self, "{budget} → due {}", self.human(deadline.at));
            if let Some(pr) = deadline.provisional.as_ref().filter(|_| self.engine.text) {
                let _ = write!(detail, " (provisional: {pr})");
            }
            self.push(TimelineRow {
                at,
                kind: RowKind::Deadline,
                stage: Some(Text::from(&stage.name)),
                tier: ticket.tier.as_deref().map(Text::from),
                detail,
                due: Some(deadline.at),
                previous_due: None,
                provisional,
            });
        }
        for g in &p.groups {
            if !g.stages.contains(&stage_id) {
                continue;
            }
            if !g.when.as_ref().is_none_or(|w| self.holds(w, &ticket.fields)) {
                continue;
            }
            let members: NameMap<Option<DateTime<Utc>>> = match ticket.fields.get(g.per.as_str()) {
                Some(Value::Array(items)) => {
                    items.iter().filter_map(Value::as_str).map(|m| (Text::from(m), None)).collect()
                }
                Some(Value::String(s)) if !s.is_empty() => {
                    [(Text::from(s.as_str()), None)].into_iter().collect()
                }
                _ => NameMap::new(),
            };
            let lead = p.tier(g.lead);
            let member_tier = p.tier(g.member_tier);
            let detail = detail!(
                self,
                "joint group `{}` formed: lead {lead}; {member_tier} of {}; completes when {}",
                g.name,
                members.keys().cloned().collect::<Vec<_>>().join(", "),
                match g.complete {
                    Completion::All => "all members are done",
                    Completion::Any => "any member is done",
                    Completion::Lead => "the lead decides",
                }
            );
            ticket.group =
                Some(GroupState { name: Text::from(g.name.as_str()), members, lead_done: None });
            self.row(at, RowKind::Group, Some(&stage.name), Some(lead), detail);
            break;
        }
        self.take_autos(ticket, at, depth);
    }

    /// Takes the first automatic transition of the current stage whose condition holds.
    pub(super) fn take_autos(&mut self, ticket: &mut Ticket, at: DateTime<Utc>, depth: usize) {
        if depth >= MAX_AUTO_CHAIN || ticket.is_closed() {
            return;
        }
        let p = self.policy();
        let stage = self.engine.stage(ticket);
        let missing = stage.requires.iter().any(|a| !ticket.artifacts.contains_key(a.as_str()));
        if missing {
            return;
        }
        let Some(auto) = stage.auto.iter().find(|a| self.holds(&a.when, &ticket.fields)) else {
            return;
        };
        let to = auto.to;
        let detail = detail!(self, "automatic: `{}` → {}", auto.when.source(), p.stage(to).name);
        self.row(at, RowKind::Event, Some(&stage.name), ticket.tier.as_deref(), detail);
        self.enter(ticket, to, at, depth + 1);
    }

    /// Starts every obligation whose condition now holds (those without `start_on`).
    pub(super) fn start_obligations(&mut self, ticket: &mut Ticket, at: DateTime<Utc>) {
        if ticket.is_closed() {
            return;
        }
        for ob in &self.policy().obligations {
            if ob.start_on.is_some() || ticket.obligations.contains_key(ob.name.as_str()) {
                continue;
            }
            if !ob.when.as_ref().is_none_or(|w| self.holds(w, &ticket.fields)) {
                continue;
            }
            self.start_obligation(ticket, ob, at);
        }
    }

    /// Starts every obligation that starts on event `name` and has not started yet.
    pub(super) fn start_obligations_on(
        &mut self,
        ticket: &mut Ticket,
        name: &str,
        at: DateTime<Utc>,
    ) {
        if ticket.is_closed() {
            return;
        }
        for ob in &self.policy().obligations {
            if ob.start_on.as_deref() == Some(name)
                && !ticket.obligations.contains_key(ob.name.as_str())
            {
                self.start_obligation(ticket, ob, at);
            }
        }
    }

    /// Starts obligation `ob` at `at`.
    fn start_obligation(&mut self, ticket: &mut Ticket, ob: &'e ObligationDef, at: DateTime<Utc>) {
        let Some((clock, d)) = self.new_clock(ob.due, at) else { return };
        self.check_steps(ob.ladder, &clock);
        ticket
            .obligations
            .insert(Text::from(ob.name.as_str()), ObligationState { clock, done: None });
        // The row carries the tier holding the ticket, as every row does; the obligation's owner
        // is the one its actions go to.
        self.push(TimelineRow {
            at,
            kind: RowKind::Obligation,
            stage: Some(Text::from(&ob.name)),
            tier: ticket.tier.clone(),
            detail: detail!(self, "`{}` started: {} → due {}", ob.name, ob.due, self.human(d.at)),
            due: Some(d.at),
            previous_due: None,
            provisional: d.provisional.is_some(),
        });
    }

    /// Discharges obligation `ob` by event `name`; `false` when it is not open.
    pub(super) fn discharge(
        &mut self,
        ticket: &mut Ticket,
        ob: &crate::compile::ObligationDef,
        name: &str,
        at: DateTime<Utc>,
    ) -> bool {
        let Some(st) = ticket.obligations.get_mut(ob.name.as_str()).filter(|s| s.done.is_none())
        else {
            return false;
        };
        st.done = Some(at);
        let late = if st.clock.breached { " (late)" } else { "" };
        let detail = detail!(self, "`{}` done by {name}{late}", ob.name);
        let tier = ticket.tier.clone();
        self.row(at, RowKind::Obligation, Some(&ob.name), tier.as_deref(), detail);
        true
    }
}

/// Makes `tier` responsible for the ticket. The assignee was the previous tier's person, so a
/// change of tier leaves the ticket unassigned until the host names someone.
pub(super) fn hand_over(ticket: &mut Ticket, tier: Option<Text>) {
    if ticket.tier != tier {
        ticket.assignee = None;
        ticket.tier = tier;
    }
}

pub(super) fn group_pending(g: &GroupState, how: Completion) -> Vec<String> {
    let pending: Vec<String> =
        g.members.iter().filter(|(_, d)| d.is_none()).map(|(m, _)| m.to_string()).collect();
    match how {
        Completion::All => pending,
        Completion::Any if pending.len() < g.members.len() || g.members.is_empty() => vec![],
        Completion::Any => pending,
        Completion::Lead if g.lead_done.is_some() => vec![],
        Completion::Lead => vec!["lead".to_string()],
    }
}
