//! Events: deciding what an event does (or why it is refused) before anything changes, then
//! carrying it out.

use super::Run;
use super::fields::neutral;
use super::stage::{group_pending, hand_over};
use crate::calendar::OutOfRange;
use crate::compile::{ResumeMode, StageId};
use crate::runtime::{ATTACH, MEMBER_DONE, REASSIGN, SET};
use crate::runtime::{
    AuditEntry, Event, EventKind, Pause, Rejection, RowKind, Text, Ticket, TimelineRow,
};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

impl<'e> Run<'e> {
    /// Decides what `event` does to `ticket`, or why it is refused, without changing anything.
    ///
    /// Firing due clock items never changes what an event is allowed to do: ladder steps,
    /// breaches and obligation deadlines touch tiers, flags, marks and counters, never the stage,
    /// fields, artifacts, joint group, pause state or discharged obligations that acceptance
    /// reads. So the event is checked first against the ticket as stored, and a refusal leaves it
    /// untouched without copying it.
    pub(super) fn plan<'x>(
        &self,
        ticket: &Ticket,
        event: &'x Event,
    ) -> Result<Plan<'e, 'x>, Rejection> {
        let p = self.policy();
        let stage = self.engine.stage(ticket);
        self.at_stage(&stage.name);
        let name = match &event.kind {
            EventKind::Named(name) => name.as_str(),
            EventKind::Attach { artifact } => {
                if !self.engine.artifacts.contains(artifact) {
                    let hint = crate::check::did_you_mean(artifact, self.engine.artifacts.iter())
                        .map(|h| format!("; did you mean `{h}`?"))
                        .unwrap_or_default();
                    return Err(Rejection::bad(format!(
                        "unknown artifact `{artifact}`: no stage requires it{hint}"
                    )));
                }
                return Ok(Plan::Attach(artifact));
            }
            EventKind::Set { data } => {
                if data.is_empty() {
                    return Err(Rejection::bad("`set` needs `data` with at least one field"));
                }
                let mut checked = Vec::with_capacity(data.len());
                for (k, v) in data {
                    let value = match p.field(k) {
                        Some(f) if v.is_null() && f.required => {
                            return Err(Rejection::MissingField { field: f.name.clone() });
                        }
                        Some(f) if v.is_null() => {
                            f.default.clone().unwrap_or_else(|| neutral(&f.ty))
                        }
                        _ => self.engine.check_field(k, v)?,
                    };
                    checked.push((k.as_str(), value));
                }
                return Ok(Plan::Set(checked));
            }
            EventKind::MemberDone { member } => {
                let Some(group) = ticket.group.as_ref() else {
                    return Err(Rejection::bad(format!(
                        "stage `{}` has no joint group",
                        ticket.stage
                    )));
                };
                let gname = &group.name;
                if member == "lead" {
                    if group.lead_done.is_some() {
                        return Err(Rejection::bad(format!(
                            "the lead of `{gname}` already reported done"
                        )));
                    }
                } else {
                    match group.members.get(member) {
                        Some(None) => {}
                        Some(Some(_)) => {
                            return Err(Rejection::bad(format!(
                                "member `{member}` already reported done"
                            )));
                        }
                        None => {
                            let known = group.members.keys().cloned().collect::<Vec<_>>();
                            return Err(Rejection::bad(format!(
                                "`{member}` is not a member of joint group `{gname}` (members: {})",
                                known.join(", ")
                            )));
                        }
                    }
                }
                return Ok(Plan::MemberDone(member));
            }
            EventKind::Reassign { to, assignee } => {
                let (to, assignee) = (to.as_deref(), assignee.as_deref());
                if assignee.is_some_and(|a| a.trim().is_empty()) {
                    return Err(Rejection::bad("`assignee` is empty"));
                }
                if let Some(to) = to.filter(|to| p.tier_id(to).is_none()) {
                    let hint = crate::check::did_you_mean(to, p.tiers.iter())
                        .map(|h| format!("; did you mean `{h}`?"))
                        .unwrap_or_default();
                    return Err(Rejection::bad(format!("unknown tier `{to}`{hint}")));
                }
                return Ok(Plan::Reassign { to, assignee });
            }
        };
        match name {
            // A built-in's name without what the built-in needs.
            ATTACH => Err(Rejection::bad("`attach` needs an `artifact`")),
            SET => Err(Rejection::bad("`set` needs `data` with at least one field")),
            MEMBER_DONE => Err(Rejection::bad("`member_done` needs a `member`")),
            REASSIGN => {
                Err(Rejection::bad("`reassign` needs `to` (a tier), `assignee` (a person) or both"))
            }
            _ if stage.on.iter().any(|t| t.event == name) => {
                let mut false_conditions = Vec::new();
                let mut chosen = None;
                for t in stage.on.iter().filter(|t| t.event == name) {
                    match &t.when {
                        Some(w) if !self.guard(w, &ticket.fields)? => {
                            false_conditions.push(format!("`{}` is false", w.source()));
                        }
                        _ => {
                            chosen = Some(t.to);
                            break;
                        }
                    }
                }
                let Some(to) = chosen else {
                    return Err(Rejection::GuardFalse {
                        event: name.to_string(),
                        stage: stage.name.clone(),
                        conditions: false_conditions,
                    });
                };
                let missing: Vec<String> = stage
                    .requires
                    .iter()
                    .filter(|a| !ticket.artifacts.contains_key(a.as_str()))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    return Err(Rejection::MissingArtifacts {
                        stage: stage.name.clone(),
                        missing,
                        extension: None,
                    });
                }
                if let Some(g) = &ticket.group {
                    let pending = group_pending(g, self.engine.group_completion(g));
                    if !pending.is_empty() {
                        return Err(Rejection::GroupPending { group: g.name.to_string(), pending });
                    }
                }
                Ok(Plan::Transition(to))
            }
            _ => {
                if let Some(extend) = self.plan_extension(ticket, name, event.at) {
                    return extend.map(Plan::Extend);
                }
                if let Some(rule) = p.pauses.iter().find(|r| r.on == name) {
                    if !rule.stages.is_empty()
                        && !rule.stages.iter().any(|&s| p.stage(s).name == stage.name)
                    {
                        return Err(Rejection::NotAccepted {
                            event: name.to_string(),
                            stage: stage.name.clone(),
                            accepted: accepted(stage),
                        });
                    }
                    let Some(c) = ticket.clock.as_ref() else {
                        return Err(Rejection::bad(format!(
                            "stage `{}` has no running clock to pause",
                            stage.name
                        )));
                    };
                    if c.paused.is_some() {
                        return Err(Rejection::bad(format!(
                            "the clock of `{}` is already paused",
                            stage.name
                        )));
                    }
                    return Ok(Plan::Pause(rule));
                }
                if let Some(rule) = p.pauses.iter().find(|r| r.resume_on == name) {
                    let paused = ticket.clock.as_ref().and_then(|c| c.paused.as_ref());
                    if paused.is_none_or(|pz| pz.resume_on != name) {
                        return Err(Rejection::bad(format!(
                            "the clock of `{}` is not paused",
                            stage.name
                        )));
                    }
                    return Ok(Plan::Resume(rule));
                }
                if let Some(ob) = p.obligations.iter().find(|o| o.done_on == name) {
                    let open =
                        ticket.obligations.get(ob.name.as_str()).is_some_and(|s| s.done.is_none());
                    if !open {
                        return Err(Rejection::bad(format!(
                            "obligation `{}` is not open",
                            ob.name
                        )));
                    }
                    return Ok(Plan::Discharge(ob));
                }
                let starts = p.obligations.iter().any(|o| {
                    o.start_on.as_deref() == Some(name)
                        && !ticket.obligations.contains_key(o.name.as_str())
                });
                if starts {
                    return Ok(Plan::StartOn);
                }
                Err(Rejection::NotAccepted {
                    event: name.to_string(),
                    stage: stage.name.clone(),
                    accepted: accepted(stage),
                })
            }
        }
    }

    /// A stage's `due` is chosen when the stage is entered; a `set` does not choose it again.
    /// When the entry that would apply to the changed fields gives another limit than the
    /// running clock's, the `set` row says so and names the way to give more time — the
    /// mistake of writing a conditional `due` on a field set later, which would otherwise
    /// only show as a breach.
    fn due_chosen_on_entry(&self, ticket: &Ticket) -> Option<String> {
        let stage = self.engine.stage(ticket);
        let clock = ticket.clock.as_ref()?;
        if stage.due.len() < 2 {
            return None;
        }
        let now = stage
            .due
            .iter()
            .find(|d| d.when.as_ref().is_none_or(|w| self.holds(w, &ticket.fields)))?
            .value;
        (now != clock.budget).then(|| {
            format!(
                "; `due` of `{}` is chosen on entry: its clock keeps {}, not {} (use \
                 `extensions` to give more time)",
                stage.name, clock.budget, now
            )
        })
    }

    /// Carries out a planned event on a ticket that has been brought to the event's time.
    #[expect(clippy::expect_used, reason = "the invariant below")]
    pub(super) fn commit(&mut self, ticket: &mut Ticket, event: &Event, plan: Plan<'e, '_>) {
        let p = self.policy();
        let at = event.at;
        let name = event.name();
        let stage_name: &'e str = &self.engine.stage(ticket).name;
        match plan {
            Plan::Attach(artifact) => {
                ticket.artifacts.insert(Text::from(artifact), at);
                self.row(
                    at,
                    RowKind::Attached,
                    Some(stage_name),
                    ticket.tier.as_deref(),
                    detail!(self, "{artifact}"),
                );
                self.take_autos(ticket, at, 0);
            }
            Plan::Set(checked) => {
                let mut changes = Vec::with_capacity(checked.len());
                // Given: a value the opening or a `set` wrote last, null meaning none (the rules
                // decide again).
                fn note<'a>(given: &mut BTreeSet<&'a str>, data: &'a Map<String, Value>) {
                    for (k, v) in data {
                        if v.is_null() {
                            given.remove(k.as_str());
                        } else {
                            given.insert(k);
                        }
                    }
                }
                let mut given = BTreeSet::new();
                for rec in &ticket.history {
                    match &rec.entry {
                        AuditEntry::Open(o) => note(&mut given, &o.fields),
                        // Only a `set` applies its data (a stored record may hold stray data).
                        AuditEntry::Event(e) if e.event == SET => {
                            if let Some(d) = &e.data {
                                note(&mut given, d);
                            }
                        }
                        AuditEntry::Event(_) | AuditEntry::Calendar(_) => {}
                    }
                }
                if let EventKind::Set { data: d } = &event.kind {
                    note(&mut given, d);
                }
                let fields = Arc::make_mut(&mut ticket.fields).map_mut();
                for (k, v) in checked {
                    changes.push(format!("{k}={}", compact(&v)));
                    fields.insert(Text::from(k), v);
                }
                let errors = self.engine.derive(fields, stage_name, &|name| given.contains(name));
                self.fields_changed();
                errors.into_iter().for_each(|e| self.condition_error(e));
                let mut detail = detail!(self, "set {}", changes.join(", "));
                if self.engine.text
                    && let Some(note) = self.due_chosen_on_entry(ticket)
                {
                    let _ = std::fmt::Write::write_str(&mut detail, &note);
                }
                self.row(at, RowKind::Event, Some(stage_name), ticket.tier.as_deref(), detail);
                self.start_obligations(ticket, at);
                self.take_autos(ticket, at, 0);
            }
            Plan::MemberDone(member) => {
                // INVARIANT (here and for pauses): `plan` found the group, or the running or
                // paused clock, on this ticket; bringing it to the event's time since only
                // breached, stepped (a ladder step moves tiers, never the stage) and fired
                // obligations, which leave the stage's group and clock in place.
                let group = ticket.group.as_mut().expect("`plan` found the joint group");
                if member == "lead" {
                    group.lead_done = Some(at);
                } else if let Some(slot) = group.members.get_mut(member) {
                    *slot = Some(at);
                }
                let how = self.engine.group_completion(group);
                let done = group.members.values().filter(|d| d.is_some()).count();
                let total = group.members.len();
                let pending = group_pending(group, how);
                let gname = &group.name;
                let detail = if pending.is_empty() {
                    detail!(self, "`{member}` done ({done}/{total}); group `{gname}` complete")
                } else {
                    detail!(
                        self,
                        "`{member}` done ({done}/{total}); waiting for {}",
                        pending.join(", ")
                    )
                };
                self.row(at, RowKind::Group, Some(stage_name), ticket.tier.as_deref(), detail);
            }
            Plan::Reassign { to, assignee } => {
                let from = ticket.tier.clone().unwrap_or_default();
                if let Some(to) = to {
                    hand_over(ticket, Some(Text::from(to)));
                }
                if let Some(a) = assignee {
                    ticket.assignee = Some(Text::from(a));
                }
                let tier = ticket.tier.clone();
                let detail = match (to, assignee, tier.as_deref()) {
                    (Some(to), Some(a), _) => detail!(self, "{from} → {to} ({a}) by event"),
                    (Some(to), None, _) => detail!(self, "{from} → {to} by event"),
                    (None, Some(a), Some(t)) => detail!(self, "assigned to {a} ({t}) by event"),
                    (None, Some(a), None) => detail!(self, "assigned to {a} by event"),
                    (None, None, _) => Text::default(),
                };
                self.row(at, RowKind::Reassign, Some(stage_name), tier.as_deref(), detail);
            }
            Plan::Transition(to) => {
                let target = p.stage(to).name.as_str();
                self.row(
                    at,
                    RowKind::Event,
                    Some(stage_name),
                    ticket.tier.as_deref(),
                    detail!(self, "{name} → {target}"),
                );
                // An event that is both a transition and an obligation's `done_on` (the bank's
                // `accepted` closes the ticket and answers the final reply) does both.
                for ob in p.obligations.iter().filter(|o| o.done_on == name) {
                    self.discharge(ticket, ob, name, at);
                }
                self.enter(ticket, to, at, 0);
            }
            Plan::Pause(rule) => {
                let c = ticket.clock.as_mut().expect("`plan` found a running clock");
                let working = Self::is_working(&c.budget);
                // A calendar-day limit holds the time to the end of its last day, before roll-off.
                let end = self.scale(working, c.deadline).saturating_sub(c.roll_off);
                let remaining = end.saturating_sub(self.scale(working, at)).max(0);
                c.paused = Some(Pause { since: at, remaining, resume_on: rule.resume_on.clone() });
                self.row(
                    at,
                    RowKind::Paused,
                    Some(stage_name),
                    ticket.tier.as_deref(),
                    detail!(self, "{name}: clock stopped, resumes on `{}`", rule.resume_on),
                );
            }
            Plan::Resume(rule) => {
                let entries = &self.engine.stage(ticket).extensions;
                let rolls = ticket.clock.as_ref().is_some_and(|c| {
                    super::clock::rolls_off(c.budget, entries, |i| c.extensions_used(i))
                });
                let c = ticket.clock.as_mut().expect("`plan` found a paused clock");
                let pause = c.paused.take().expect("`plan` found a paused clock");
                let working = Self::is_working(&c.budget);
                let (deadline, provisional) = match rule.resume {
                    ResumeMode::Remaining => {
                        let Some((d, roll_off)) = super::clock::resumed(
                            &p.calendar,
                            c.budget,
                            rolls,
                            at,
                            pause.remaining,
                        ) else {
                            let from = crate::timefmt::rfc3339(p.calendar.tz(), at);
                            let what = format!("the rest of `{}` from {from}", c.budget);
                            return self.beyond_range(OutOfRange { what });
                        };
                        // The limit on the clock's scale follows the roll-off of its new end.
                        c.total = c.total.saturating_sub(c.roll_off).saturating_add(roll_off);
                        c.roll_off = roll_off;
                        // Provisional when the new deadline lies beyond the calendar's data.
                        let beyond = d.with_timezone(&p.calendar.tz()).date_naive()
                            > p.calendar.coverage().1;
                        (d, c.provisional || beyond)
                    }
                    ResumeMode::Restart => {
                        let d = match p.calendar.add(at, c.budget) {
                            Ok(d) => d,
                            Err(e) => return self.beyond_range(e),
                        };
                        c.started = at;
                        c.roll_off = super::clock::roll_off(&p.calendar, c.budget, at, d.at);
                        c.total = if working {
                            p.calendar.working_clock(d.at) - p.calendar.working_clock(at)
                        } else {
                            (d.at - at).num_seconds()
                        };
                        c.fired = 0;
                        (d.at, d.provisional.is_some())
                    }
                };
                c.deadline = deadline;
                c.provisional = provisional;
                if let Some(clock) = ticket.clock.as_ref() {
                    self.check_steps(self.engine.stage(ticket).ladder, clock);
                }
                let paused_for = at - pause.since;
                let detail = detail!(
                    self,
                    "{name}: clock runs again after {}h{:02}m ({}) → due {}",
                    paused_for.num_hours(),
                    paused_for.num_minutes() % 60,
                    match rule.resume {
                        ResumeMode::Remaining => "remaining time kept",
                        ResumeMode::Restart => "full budget again",
                    },
                    self.human(deadline)
                );
                self.push(TimelineRow {
                    at,
                    kind: RowKind::Resumed,
                    stage: Some(Text::from(stage_name)),
                    tier: ticket.tier.as_deref().map(Text::from),
                    detail,
                    due: Some(deadline),
                    previous_due: None,
                    provisional,
                });
            }
            Plan::Discharge(ob) => {
                self.discharge(ticket, ob, name, at);
            }
            Plan::Extend(x) => self.commit_extension(ticket, x, name, at),
            Plan::StartOn => {
                self.row(
                    at,
                    RowKind::Event,
                    Some(stage_name),
                    ticket.tier.as_deref(),
                    detail!(self, "{name}"),
                );
            }
        }
        if let EventKind::Named(_) = event.kind {
            self.start_obligations_on(ticket, name, at);
        }
    }
}

/// The events `stage` takes: its transitions' and its extensions', each once, in order.
fn accepted(stage: &crate::compile::StageDef) -> Vec<String> {
    let mut accepted: Vec<String> = Vec::new();
    let names = stage.on.iter().map(|t| &t.event).chain(stage.extensions.iter().map(|e| &e.on));
    for n in names {
        if !accepted.contains(n) {
            accepted.push(n.clone());
        }
    }
    accepted
}

/// What an accepted event does, decided by [`Run::plan`] before anything changes.
pub(super) enum Plan<'p, 'x> {
    /// Attach an artifact the policy knows.
    Attach(&'x str),
    /// Update fields with these checked values.
    Set(Vec<(&'x str, Value)>),
    /// A joint-group member (or `lead`) reports done.
    MemberDone(&'x str),
    /// Hand the stage to a tier, name the person handling it, or both.
    Reassign { to: Option<&'x str>, assignee: Option<&'x str> },
    /// Take a transition to this stage.
    Transition(StageId),
    /// Stop the stage clock under this rule.
    Pause(&'p crate::compile::PauseRule),
    /// Restart the stage clock under this rule.
    Resume(&'p crate::compile::PauseRule),
    /// Discharge this obligation.
    Discharge(&'p crate::compile::ObligationDef),
    /// Extend a clock.
    Extend(super::extend::Extend<'p>),
    /// Start the obligations that start on this event, and nothing else.
    StartOn,
}

pub(super) fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
