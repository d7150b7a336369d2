//! Calendar updates reaching open tickets: each running clock recomputed on a calendar with more
//! (or corrected) data, confirmed or moved, as a timeline row and an audit record.

use super::clock::ClockRef;
use super::history::Walked;
use super::{Engine, Run, append_audit};
use crate::calendar::Calendar;
use crate::runtime::{
    AuditEntry, CalendarRecord, ClockKind, ClockUpdate, Outcome, Rejection, RowKind, Text, Ticket,
    TimelineRow,
};
use chrono::{DateTime, Utc};

/// A clock's deadline, total and remaining paused time as a calendar gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counted {
    deadline: DateTime<Utc>,
    total: i64,
    remaining: Option<i64>,
    provisional: bool,
    roll_off: i64,
}

impl From<Walked<'_>> for Counted {
    fn from(w: Walked<'_>) -> Self {
        Counted {
            deadline: w.deadline,
            total: w.total,
            remaining: w.remaining,
            provisional: w.provisional,
            roll_off: w.roll_off,
        }
    }
}

impl Engine {
    /// Brings `ticket`'s clocks onto this engine's calendar, which holds more (or corrected)
    /// data than `previous`, the calendar they were counted on: the engine's policy loaded with
    /// the new calendar standing in ([`load_policy_on_calendar`](crate::policy::load_policy_on_calendar)).
    ///
    /// Each running clock (the stage clock, open obligations) is counted again on both
    /// calendars from its start through its history — pauses, resumes and extensions, in the
    /// order they came — as [`Engine::explain`] walks it. A clock the previous calendar does not
    /// reproduce is left as it is (its history is not all there); a
    /// clock whose result is the same on both is left as it is and, if it was provisional,
    /// reported `confirmed`; one whose result differs gets the new deadline (its ladder steps
    /// re-place with it) and is reported `moved`. Each reported clock is a `recalendared` row
    /// with its new deadline; steps and breaches that already fired stay fired, and nothing else
    /// in the ticket changes. When anything is reported, the update is an audit record
    /// ([`CalendarRecord`]) at `at`, and everything due by `at` on the new deadlines fires in
    /// the outcome, as [`Engine::advance`] would.
    ///
    /// A closed ticket has no running clocks: nothing to report. Refused like an event: another
    /// policy (`policy_mismatch`), `at` before the ticket's clock (`out_of_order`); and a
    /// calendar that cannot stand in for `previous` (`calendar_mismatch`,
    /// [`check_calendar_update`](Self::check_calendar_update)). A deadline the update leaves
    /// the same is reported `confirmed` when it no longer rests on days beyond the data, and
    /// unchanged (still provisional) when it still does.
    ///
    /// ```
    /// use ombud_engine::{Calendar, Engine, OpenTicket, load_policy};
    /// use ombud_engine::policy::load_policy_on_calendar;
    /// let text = "policy: p\ncalendar: cn-mainland\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 7 working days, on: { done: closed } }\n  closed: { terminal: true }\n";
    /// let old = Engine::new(load_policy("p.yaml", text, None)?.0.into());
    /// let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-12-28T10:00:00+08:00"}"#)?;
    /// let (mut ticket, _) = old.open(&input)?;
    /// // 7 working days from Mon 28 Dec run into 2027, beyond cn-mainland's data: provisional.
    /// assert!(ticket.clock().unwrap().provisional);
    /// let year = "id: cn-2027\nextends: cn-mainland\ncovers: {from: 2024-01-01, to: 2027-12-31}\nholidays:\n  - {name: New Year's Day, from: 2027-01-01, to: 2027-01-03}\n";
    /// let cal = Calendar::from_yaml("cn-2027.yaml", year, None).unwrap();
    /// let new = Engine::new(load_policy_on_calendar("p.yaml", text, None, cal.into())?.0.into());
    /// let at = "2026-12-28T12:00:00+08:00".parse()?;
    /// let (outcome, updates) = new.recalendar(&mut ticket, old.policy().calendar(), at)?;
    /// // New Year's Day on Friday 1 Jan 2027 moves the deadline by one working day.
    /// assert_eq!(updates[0].moved_working_days, 1);
    /// assert_eq!(updates[0].new.to_rfc3339(), "2027-01-08T00:00:00+08:00");
    /// assert!(!ticket.clock().unwrap().provisional);
    /// assert_eq!(outcome.rows[0].kind.as_str(), "recalendared");
    /// assert!(ombud_engine::verify_ticket(&ticket).problem.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recalendar(
        &self,
        ticket: &mut Ticket,
        previous: &Calendar,
        at: DateTime<Utc>,
    ) -> Result<(Outcome, Vec<ClockUpdate>), Rejection> {
        self.check_pin(ticket)?;
        self.check_calendar_update(previous)?;
        let mut run = Run::new(self);
        if ticket.is_closed() {
            return Ok((run.finish_with(None), Vec::new()));
        }
        if at < ticket.clock_at {
            return Err(Rejection::OutOfOrder {
                at,
                clock_at: ticket.clock_at,
                zone: self.policy.calendar.tz(),
            });
        }
        let p = &*self.policy;
        let cal = &*p.calendar;
        let mut changes: Vec<(ClockKind, String, Counted, Counted)> = Vec::new();
        run.at_stage(&ticket.stage);
        let mut clocks: Vec<(ClockRef, ClockKind, String)> = Vec::new();
        if ticket.clock.is_some() {
            clocks.push((ClockRef::Stage, ClockKind::Stage, ticket.stage.to_string()));
        }
        for (i, ob) in p.obligations.iter().enumerate() {
            if ticket.obligations.get(ob.name.as_str()).is_some_and(|st| st.done.is_none()) {
                clocks.push((ClockRef::Obligation(i), ClockKind::Obligation, ob.name.clone()));
            }
        }
        for (r, kind, name) in clocks {
            let Some(c) = run.clock_of(ticket, r) else { continue };
            let now = Counted {
                deadline: c.deadline,
                total: c.total,
                remaining: c.paused.as_ref().map(|pz| pz.remaining),
                provisional: c.provisional,
                roll_off: c.roll_off,
            };
            let count = |on: &Calendar| run.walk_clock(on, ticket, r, c, false).map(Counted::from);
            if count(previous).ok().as_ref() == Some(&now) {
                // A clock the new calendar carries past 9999 refuses the update, before any
                // change.
                let after = count(cal).map_err(|e| Rejection::out_of_range(&e))?;
                if after != now || now.provisional {
                    changes.push((kind, name, now, after));
                }
            }
        }
        // Only an update that could pass the last instant kept needs the ticket to put back.
        let backup = (self.horizon.at_risk(ticket, at)
            || changes.iter().any(|(_, _, _, new)| self.horizon.late(new.deadline)))
        .then(|| ticket.clone());
        // What fell due before `at` on the old deadlines fires first, as it would have.
        run.fire_due(ticket, at);
        ticket.clock_at = at;
        let mut updates = Vec::new();
        for (kind, name, old, new) in changes {
            match kind {
                ClockKind::Stage => {
                    if let Some(c) = ticket.clock.as_mut() {
                        c.deadline = new.deadline;
                        c.total = new.total;
                        c.provisional = new.provisional;
                        c.roll_off = new.roll_off;
                        if let (Some(pz), Some(r)) = (c.paused.as_mut(), new.remaining) {
                            pz.remaining = r;
                        }
                    }
                }
                ClockKind::Obligation => {
                    if let Some(st) = ticket.obligations.get_mut(name.as_str()) {
                        st.clock.deadline = new.deadline;
                        st.clock.total = new.total;
                        st.clock.provisional = new.provisional;
                        st.clock.roll_off = new.roll_off;
                    }
                }
            }
            let moved = moved_working_days(cal, old.deadline, new.deadline);
            let verdict = if old.deadline == new.deadline && new.provisional {
                detail!(run, "`{name}` unchanged: due {}", run.human(new.deadline))
            } else if old.deadline == new.deadline {
                detail!(run, "`{name}` confirmed: due {}", run.human(new.deadline))
            } else {
                detail!(
                    run,
                    "`{name}` moved: {} → {} ({moved:+} working day{})",
                    run.human(old.deadline),
                    run.human(new.deadline),
                    if moved.abs() == 1 { "" } else { "s" }
                )
            };
            let mut detail = verdict;
            if self.text {
                let covered =
                    cal.covered_until().map(|d| format!(", data to {d}")).unwrap_or_default();
                detail = Text::from(format!("{detail} on calendar {}{covered}", cal.id()));
                if new.provisional {
                    detail = Text::from(format!("{detail} (still provisional)"));
                }
            }
            let tier = match kind {
                ClockKind::Stage => ticket.tier.clone(),
                ClockKind::Obligation => p
                    .obligations
                    .iter()
                    .find(|o| o.name == name)
                    .map(|o| Text::from(p.tier(o.owner))),
            };
            run.push(TimelineRow {
                at,
                kind: RowKind::Recalendared,
                stage: Some(Text::from(name.as_str())),
                tier,
                detail,
                due: Some(new.deadline),
                previous_due: None,
                provisional: new.provisional,
            });
            updates.push(ClockUpdate {
                ticket: ticket.id.to_string(),
                kind,
                name,
                old: old.deadline.with_timezone(&cal.tz()),
                new: new.deadline.with_timezone(&cal.tz()),
                was_provisional: old.provisional,
                provisional: new.provisional,
                moved_working_days: moved,
                explanation: None,
            });
        }
        if !updates.is_empty() {
            ticket.last_event_at = at;
            let record = CalendarRecord {
                at,
                calendar: cal.id().to_string(),
                covered_until: cal.covered_until(),
                clocks: updates.iter().map(|u| u.name.clone()).collect(),
            };
            append_audit(ticket, AuditEntry::Calendar(Box::new(record)), None, self.seal);
        }
        for u in &mut updates {
            u.explanation = self.explain(ticket, &u.name).ok().flatten();
        }
        // The moved deadlines' steps (and a breach) that fall due by `at` fire now.
        let wakeup = run.fire_due(ticket, at);
        if let Some(refusal) = run.range_refusal() {
            if let Some(backup) = backup {
                *ticket = backup;
            }
            return Err(refusal);
        }
        Ok((run.finish_with(wakeup), updates))
    }

    /// Refuses, as `calendar_mismatch`, this engine's calendar standing in for `previous` when
    /// it lacks what `previous` has ([`Calendar::shortfalls`]): covered dates (a file written
    /// without `extends`), the time zone, the workweek, the business hours, the cutoff. [`Engine::recalendar`] checks it first;
    /// a host checks it once before bringing any ticket over.
    ///
    /// ```
    /// use ombud_engine::{Calendar, Engine, load_policy};
    /// use ombud_engine::policy::load_policy_on_calendar;
    /// let text = "policy: p\ncalendar: cn-mainland\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 7 working days, on: { done: closed } }\n  closed: { terminal: true }\n";
    /// let old = Engine::new(load_policy("p.yaml", text, None)?.0.into());
    /// let alone = "id: cn-2027\ntimezone: Asia/Shanghai\nworkweek: [mon, tue, wed, thu, fri]\ncovers: {from: 2027-01-01, to: 2027-12-31}\n";
    /// let cal = Calendar::from_yaml("cn-2027.yaml", alone, None).unwrap();
    /// let new = Engine::new(load_policy_on_calendar("p.yaml", text, None, cal.into())?.0.into());
    /// let err = new.check_calendar_update(old.policy().calendar()).unwrap_err();
    /// assert_eq!(err.code(), "calendar_mismatch");
    /// assert_eq!(err.to_string(), "calendar `cn-2027` cannot replace `cn-mainland`: it covers \
    ///     2027-01-01 to 2027-12-31 and leaves out 2024-01-01 to 2026-12-31, which `cn-mainland` covers");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_calendar_update(&self, previous: &Calendar) -> Result<(), Rejection> {
        match Rejection::calendar_mismatch(&self.policy.calendar, previous) {
            Some(refusal) => Err(refusal),
            None => Ok(()),
        }
    }
}

/// How far a deadline moved, in working days of `cal` (positive: later).
fn moved_working_days(cal: &Calendar, old: DateTime<Utc>, new: DateTime<Utc>) -> i64 {
    let day = |t: DateTime<Utc>| {
        // A deadline at local midnight belongs to the day it ends.
        let local = t.with_timezone(&cal.tz()).naive_local();
        if local.time() == chrono::NaiveTime::MIN {
            local.date().pred_opt().unwrap_or(local.date())
        } else {
            local.date()
        }
    };
    let (a, b) = (day(old), day(new));
    match a.cmp(&b) {
        std::cmp::Ordering::Less => cal.working_days_between(a.succ_opt().unwrap_or(a), b),
        std::cmp::Ordering::Greater => -cal.working_days_between(b.succ_opt().unwrap_or(b), a),
        std::cmp::Ordering::Equal => 0,
    }
}
