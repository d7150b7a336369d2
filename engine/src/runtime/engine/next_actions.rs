//! What a ticket accepts now, what it waits for, and its running clocks.

use super::stage::group_pending;
use super::{Engine, Run};
use crate::runtime::{
    ATTACH, AcceptedEvent, ClockView, MEMBER_DONE, NextActions, Rejection, Ticket,
};
use chrono::{DateTime, Utc};

impl Engine {
    /// What the ticket accepts now, what it is waiting for, and its running clocks.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (ticket, _) = engine.open(&input)?;
    /// let next = engine.next_actions(&ticket, "2026-03-02T10:00:00Z".parse()?)?;
    /// let done = &next.events[0];
    /// assert_eq!((done.event.as_str(), done.by.as_deref()), ("done", Some("agent")));
    /// let clock = &next.clocks[0];
    /// assert_eq!((clock.name.as_str(), clock.budget.as_str(), clock.used), ("open", "4h", 0.25));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_actions(
        &self,
        ticket: &Ticket,
        now: DateTime<Utc>,
    ) -> Result<NextActions, Rejection> {
        self.check_pin(ticket)?;
        let p = &*self.policy;
        let run = Run::new(self);
        run.at_stage(&ticket.stage);
        let mut events = Vec::new();
        let mut missing = Vec::new();
        let mut pending = Vec::new();
        let mut clocks = Vec::new();
        // Views carry plain strings.
        let tier = || ticket.tier.as_deref().map(str::to_string);
        if !ticket.is_closed() {
            let stage = self.stage(ticket);
            missing = stage
                .requires
                .iter()
                .filter(|a| !ticket.artifacts.contains_key(a.as_str()))
                .cloned()
                .collect::<Vec<_>>();
            let mut member_events = Vec::new();
            if let Some(g) = &ticket.group {
                pending = group_pending(g, self.group_completion(g));
                let def = p.groups.iter().find(|d| d.name == g.name);
                for m in &pending {
                    let tier = def.map(|d| if m == "lead" { d.lead } else { d.member_tier });
                    member_events.push(AcceptedEvent {
                        event: MEMBER_DONE.to_string(),
                        to: None,
                        by: tier.map(|t| p.tier(t).to_string()),
                        member: Some(m.clone()),
                        blocked_by: vec![],
                    });
                }
            }
            let mut blockers = Vec::new();
            if !missing.is_empty() {
                blockers.push(format!("missing {}", missing.join(", ")));
            }
            if !pending.is_empty() {
                blockers.push(format!("waiting for {}", pending.join(", ")));
            }
            for tr in &stage.on {
                let mut blocked_by = blockers.clone();
                if let Some(w) = &tr.when {
                    match run.eval(w, &ticket.fields) {
                        Ok(true) => {}
                        Ok(false) => {
                            blocked_by.push(format!("condition `{}` is false", w.source()))
                        }
                        Err(e) => blocked_by.push(format!(
                            "condition `{}` cannot be evaluated: {}",
                            w.source(),
                            e.message
                        )),
                    }
                }
                events.push(AcceptedEvent {
                    event: tr.event.clone(),
                    to: Some(p.stage(tr.to).name.clone()),
                    by: tier(),
                    member: None,
                    blocked_by,
                });
            }
            for e in &stage.extensions {
                let Some(c) = ticket.clock.as_ref() else { break };
                let i = stage.extensions.iter().position(|x| std::ptr::eq(x, e)).unwrap_or(0);
                let mut blocked_by: Vec<String> = e
                    .requires
                    .iter()
                    .filter(|a| !ticket.artifacts.contains_key(a.as_str()))
                    .map(|a| format!("missing {a}"))
                    .collect();
                if c.paused.is_none() && now >= c.deadline {
                    blocked_by.push("the deadline has passed".to_string());
                }
                if c.extensions_used(i) >= e.max {
                    blocked_by.push(format!("used {} of {} time(s)", c.extensions_used(i), e.max));
                }
                if events.iter().any(|x: &AcceptedEvent| x.event == e.on) {
                    continue;
                }
                events.push(AcceptedEvent {
                    event: e.on.clone(),
                    to: None,
                    by: tier(),
                    member: None,
                    blocked_by,
                });
            }
            let stage_id = p.stage_id(&stage.name);
            for rule in &p.pauses {
                if !rule.stages.is_empty() && !stage_id.is_some_and(|s| rule.stages.contains(&s)) {
                    continue;
                }
                let paused = ticket.clock.as_ref().and_then(|c| c.paused.as_ref());
                match paused {
                    Some(pz) if pz.resume_on == rule.resume_on => events.push(AcceptedEvent {
                        event: rule.resume_on.clone(),
                        to: None,
                        by: None,
                        member: None,
                        blocked_by: vec![],
                    }),
                    None if ticket.clock.is_some() => events.push(AcceptedEvent {
                        event: rule.on.clone(),
                        to: None,
                        by: tier(),
                        member: None,
                        blocked_by: vec![],
                    }),
                    _ => {}
                }
            }
            for a in &missing {
                events.push(AcceptedEvent {
                    event: ATTACH.to_string(),
                    to: None,
                    by: tier(),
                    member: None,
                    blocked_by: vec![format!("artifact `{a}`")],
                });
            }
            events.append(&mut member_events);
            if let Some(c) = &ticket.clock {
                clocks.push(ClockView {
                    kind: "stage".into(),
                    name: ticket.stage.to_string(),
                    tier: tier(),
                    budget: c.budget.to_string(),
                    deadline: c.deadline,
                    used: run.used_share(c, now),
                    provisional: c.provisional,
                    paused: c.paused.is_some(),
                    overdue: c.paused.is_none() && now >= c.deadline,
                });
            }
            for ob in &p.obligations {
                let Some(st) = ticket.obligations.get(ob.name.as_str()) else { continue };
                if st.done.is_some() {
                    continue;
                }
                events.push(AcceptedEvent {
                    event: ob.done_on.clone(),
                    to: None,
                    by: Some(p.tier(ob.owner).to_string()),
                    member: None,
                    blocked_by: vec![],
                });
                clocks.push(ClockView {
                    kind: "obligation".into(),
                    name: ob.name.clone(),
                    tier: Some(p.tier(ob.owner).to_string()),
                    budget: st.clock.budget.to_string(),
                    deadline: st.clock.deadline,
                    used: run.used_share(&st.clock, now),
                    provisional: st.clock.provisional,
                    paused: st.clock.paused.is_some(),
                    overdue: st.clock.paused.is_none() && now >= st.clock.deadline,
                });
            }
        }
        Ok(NextActions {
            stage: ticket.stage.to_string(),
            tier: tier(),
            assignee: ticket.assignee.as_deref().map(str::to_string),
            closed: ticket.is_closed(),
            events,
            missing_artifacts: missing,
            pending_members: pending,
            clocks,
            next_wakeup: self.wakeup(ticket)?,
        })
    }
}
