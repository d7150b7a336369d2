//! Explaining a ticket's clocks: the calendar's derivation from the clock's start, the pauses
//! read from the ticket's history, the ladder steps placed on the clock, the breach.

use super::stage::group_pending;
use super::{Engine, Run};
use crate::calendar::Provisional;
use crate::compile::{LadderAction, StepAt};
use crate::runtime::{
    BreachExplanation, Clock, ClockExplanation, ClockKind, ClockState, PauseSpan, Rejection,
    StepPlacement, Ticket,
};
use chrono::{DateTime, Days, Utc};

impl Engine {
    /// Explains clock `clock` of `ticket`: the clock of the current stage (named by the stage)
    /// or an obligation that has started (named by the obligation). `Ok(None)` when the ticket
    /// has no such clock (a stage without a time limit, a stage left, an obligation not started).
    ///
    /// Everything comes from the ticket, the policy and its calendar, so the same ticket gives
    /// the same explanation, byte for byte. Pauses are read from the ticket's history; an
    /// engine that keeps no history ([`Engine::without_history`]) explains a moved deadline
    /// without them.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (ticket, _) = engine.open(&input)?;
    /// let why = engine.explain(&ticket, "open")?.expect("the stage has a clock");
    /// assert_eq!(why.deadline.to_rfc3339(), "2026-03-02T13:00:00+00:00");
    /// assert!(why.to_string().starts_with("stage `open`, held by agent: running\n  4h from Mon 2 Mar 2026 09:00"));
    /// assert_eq!(engine.explain(&ticket, "nowhere")?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(
        &self,
        ticket: &Ticket,
        clock: &str,
    ) -> Result<Option<ClockExplanation>, Rejection> {
        self.check_pin(ticket)?;
        if ticket.stage.as_str() == clock
            && let Some(c) = &ticket.clock
        {
            return self.explain_stage(ticket, c).map(Some);
        }
        self.explain_obligation(ticket, clock)
    }

    /// The names of the clocks `ticket` has: the current stage's (if it has a time limit),
    /// then each started obligation's, in the policy's order.
    pub(crate) fn clock_names(&self, ticket: &Ticket) -> Vec<String> {
        let mut names = Vec::new();
        if ticket.clock.is_some() {
            names.push(ticket.stage.to_string());
        }
        for ob in &self.policy.obligations {
            if ticket.obligations.contains_key(ob.name.as_str()) {
                names.push(ob.name.clone());
            }
        }
        names
    }

    /// Refused (`out_of_range`) for a clock whose limit or ladder steps, counted from its
    /// start, end after 9999: a clock the engine never writes.
    fn explain_stage(&self, ticket: &Ticket, c: &Clock) -> Result<ClockExplanation, Rejection> {
        let p = &*self.policy;
        let cal = &p.calendar;
        let tz = cal.tz();
        let run = Run::new(self);
        let derivation =
            cal.explain(c.started, c.budget).map_err(|e| Rejection::out_of_range(&e))?;
        let pauses = self.pauses(ticket, c, &run);
        let steps = self.steps(c, self.stage(ticket).ladder, &run);
        if let Some(refusal) = run.range_refusal() {
            return Err(refusal);
        }
        let state = if ticket.is_closed() {
            ClockState::Done
        } else if c.breached {
            ClockState::Breached
        } else if c.paused.is_some() {
            ClockState::Paused
        } else {
            ClockState::Running
        };
        let breach = c.breached.then(|| self.breach_explanation(ticket, c.deadline));
        Ok(ClockExplanation {
            kind: ClockKind::Stage,
            name: ticket.stage.to_string(),
            tier: ticket.tier.as_deref().map(str::to_string),
            state,
            budget: c.budget,
            start: c.started.with_timezone(&tz),
            provisional: self.provisional(&derivation.provisional, c.deadline),
            derivation,
            pauses,
            deadline: c.deadline.with_timezone(&tz),
            steps,
            breach,
        })
    }

    fn explain_obligation(
        &self,
        ticket: &Ticket,
        name: &str,
    ) -> Result<Option<ClockExplanation>, Rejection> {
        let p = &*self.policy;
        let Some(ob) = p.obligations.iter().find(|o| o.name == name) else { return Ok(None) };
        let Some(st) = ticket.obligations.get(name) else { return Ok(None) };
        let tz = p.calendar.tz();
        let c = &st.clock;
        let derivation =
            p.calendar.explain(c.started, c.budget).map_err(|e| Rejection::out_of_range(&e))?;
        let run = Run::new(self);
        let steps = self.steps(c, ob.ladder, &run);
        if let Some(refusal) = run.range_refusal() {
            return Err(refusal);
        }
        let tier = Some(p.tier(ob.owner).to_string());
        let state = if st.done.is_some() || ticket.is_closed() {
            ClockState::Done
        } else if c.breached {
            ClockState::Breached
        } else {
            ClockState::Running
        };
        // A breach stays part of the explanation after a late discharge, with nothing missing.
        let breach = c.breached.then(|| BreachExplanation {
            deadline: c.deadline.with_timezone(&tz),
            tier: tier.clone(),
            assignee: None,
            waiting_for: if st.done.is_none() { vec![ob.done_on.clone()] } else { Vec::new() },
            missing_artifacts: Vec::new(),
            pending_members: Vec::new(),
        });
        Ok(Some(ClockExplanation {
            kind: ClockKind::Obligation,
            name: ob.name.clone(),
            tier,
            state,
            budget: c.budget,
            start: c.started.with_timezone(&tz),
            provisional: self.provisional(&derivation.provisional, c.deadline),
            derivation,
            pauses: Vec::new(),
            deadline: c.deadline.with_timezone(&tz),
            steps,
            breach,
        }))
    }

    /// Where the steps of `ladder` fall on clock `c`, and which have fired.
    fn steps(
        &self,
        c: &Clock,
        ladder: Option<crate::compile::LadderId>,
        run: &Run<'_>,
    ) -> Vec<StepPlacement> {
        let tz = self.policy.calendar.tz();
        let working = Run::is_working(&c.budget);
        let Some(ladder) = ladder.map(|l| self.policy.ladder(l)) else { return Vec::new() };
        ladder
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| StepPlacement {
                at_text: step.at_text.clone(),
                action: action_name(step.action).to_string(),
                at: run.step_time(c, &step.at).with_timezone(&tz),
                rule: step_rule(&step.at, working),
                fired: i < 64 && c.fired & (1u64 << i) != 0,
            })
            .collect()
    }

    /// The provisional mark of a clock: the derivation's, or, when pauses moved the deadline
    /// beyond the calendar's data, the first day beyond it.
    fn provisional(
        &self,
        counted: &Option<Provisional>,
        deadline: DateTime<Utc>,
    ) -> Option<Provisional> {
        if counted.is_some() {
            return counted.clone();
        }
        let cal = &self.policy.calendar;
        let covered_until = cal.covered_until()?;
        // A deadline at local midnight belongs to the day it ends.
        let local = deadline.with_timezone(&cal.tz()).naive_local();
        let day = if local.time() == chrono::NaiveTime::MIN {
            local.date().pred_opt().unwrap_or(local.date())
        } else {
            local.date()
        };
        let first = covered_until.checked_add_days(Days::new(1))?;
        (day > covered_until).then(|| Provisional {
            calendar: cal.id().to_string(),
            date: first,
            covered_from: cal.coverage().0,
            covered_until,
        })
    }

    /// What `ticket` waits for in its current stage, and who holds it: the breach of clock
    /// `deadline` explained as it stands now.
    pub(super) fn breach_explanation(
        &self,
        ticket: &Ticket,
        deadline: DateTime<Utc>,
    ) -> BreachExplanation {
        let stage = self.stage(ticket);
        let mut waiting_for: Vec<String> = Vec::new();
        for tr in &stage.on {
            if !waiting_for.contains(&tr.event) {
                waiting_for.push(tr.event.clone());
            }
        }
        let missing_artifacts = stage
            .requires
            .iter()
            .filter(|a| !ticket.artifacts.contains_key(a.as_str()))
            .cloned()
            .collect();
        let pending_members =
            ticket.group.as_ref().map(|g| group_pending(g, self.group_completion(g)));
        BreachExplanation {
            deadline: deadline.with_timezone(&self.policy.calendar.tz()),
            tier: ticket.tier.as_deref().map(str::to_string),
            assignee: ticket.assignee.as_deref().map(str::to_string),
            waiting_for,
            missing_artifacts,
            pending_members: pending_members.unwrap_or_default(),
        }
    }

    /// The pauses of clock `c` since its start, read from the ticket's history: each pause
    /// event of the policy, up to the event that resumes it. A clock paused now without a
    /// history to read shows its current pause alone.
    fn pauses(&self, ticket: &Ticket, c: &Clock, run: &Run<'_>) -> Vec<PauseSpan> {
        let p = &*self.policy;
        let tz = p.calendar.tz();
        let working = Run::is_working(&c.budget);
        let held = |from: DateTime<Utc>, to: DateTime<Utc>| {
            run.scale(working, to) - run.scale(working, from)
        };
        let (closed, open) = super::recalendar::pause_history(p, ticket, c);
        let mut spans: Vec<PauseSpan> = closed
            .into_iter()
            .map(|(since, to, rule)| PauseSpan {
                from: since.with_timezone(&tz),
                to: Some(to.with_timezone(&tz)),
                on: rule.on.clone(),
                resume_on: rule.resume_on.clone(),
                held_seconds: held(since, to),
                working,
            })
            .collect();
        if let Some(pz) = &c.paused {
            let on = open.map(|(_, r)| r.on.clone()).or_else(|| {
                p.pauses.iter().find(|r| r.resume_on == pz.resume_on).map(|r| r.on.clone())
            });
            spans.push(PauseSpan {
                from: pz.since.with_timezone(&tz),
                to: None,
                on: on.unwrap_or_default(),
                resume_on: pz.resume_on.clone(),
                held_seconds: 0,
                working,
            });
        }
        spans
    }
}

fn action_name(a: LadderAction) -> &'static str {
    match a {
        LadderAction::Flag => "flag",
        LadderAction::Notify => "notify",
        LadderAction::Escalate => "escalate",
        LadderAction::Reassign => "reassign",
    }
}

/// The rule that places a step: `80 % of the working time`, `2 working days after the deadline`.
fn step_rule(at: &StepAt, working: bool) -> String {
    match at {
        StepAt::Percent(p) => {
            let scale = if working { "the working time" } else { "the time" };
            let deadline = if *p == 100.0 { " (the deadline)" } else { "" };
            format!("{p} % of {scale}{deadline}")
        }
        StepAt::Offset { before, by } => {
            format!("{by} {} the deadline", if *before { "before" } else { "after" })
        }
    }
}
