//! Calendar updates reaching open tickets: each running clock recomputed on a calendar with more
//! (or corrected) data, confirmed or moved, as a timeline row and an audit record.

use super::{Engine, Run, append_audit};
use crate::calendar::{Calendar, OutOfRange, kept};
use crate::compile::ResumeMode;
use crate::runtime::{
    AuditEntry, CalendarRecord, Clock, ClockKind, ClockUpdate, Outcome, Rejection, RowKind, Text,
    Ticket, TimelineRow,
};
use chrono::{DateTime, Utc};

/// A pause of a clock: from, to (`None`: paused now), how it resumed.
type PauseSpan = (DateTime<Utc>, Option<DateTime<Utc>>, ResumeMode);

/// A clock's deadline, total and remaining paused time as a calendar gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counted {
    deadline: DateTime<Utc>,
    total: i64,
    remaining: Option<i64>,
    provisional: bool,
}

impl Engine {
    /// Brings `ticket`'s clocks onto this engine's calendar, which holds more (or corrected)
    /// data than `previous`, the calendar they were counted on: the engine's policy loaded with
    /// the new calendar standing in ([`load_policy_on_calendar`](crate::policy::load_policy_on_calendar)).
    ///
    /// Each running clock (the stage clock, open obligations) is counted again on both
    /// calendars from its start and its pauses (read from the ticket's history). A clock the
    /// previous calendar does not reproduce is left as it is (its history is not all there); a
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
        if let Some(c) = &ticket.clock {
            let pauses = self.pause_spans(ticket, c);
            let before = count_stage(previous, c, &pauses).ok();
            let now = Counted {
                deadline: c.deadline,
                total: c.total,
                remaining: c.paused.as_ref().map(|pz| pz.remaining),
                provisional: c.provisional,
            };
            if before.as_ref() == Some(&now) {
                // A clock the new calendar carries past 9999 refuses the update, before any
                // change.
                let after =
                    count_stage(cal, c, &pauses).map_err(|e| Rejection::out_of_range(&e))?;
                if after != now || now.provisional {
                    changes.push((ClockKind::Stage, ticket.stage.to_string(), now, after));
                }
            }
        }
        for ob in &p.obligations {
            let Some(st) = ticket.obligations.get(ob.name.as_str()) else { continue };
            if st.done.is_some() {
                continue;
            }
            let (started, budget) = (st.clock.started, st.clock.budget);
            let count = |c: &Calendar| {
                c.add(started, budget).map(|d| {
                    let total = if Run::is_working(&budget) {
                        c.working_clock(d.at) - c.working_clock(started)
                    } else {
                        (d.at - started).num_seconds()
                    };
                    Counted {
                        deadline: d.at,
                        total,
                        remaining: None,
                        provisional: d.provisional.is_some(),
                    }
                })
            };
            let now = Counted {
                deadline: st.clock.deadline,
                total: st.clock.total,
                remaining: None,
                provisional: st.clock.provisional,
            };
            if count(previous).ok().as_ref() == Some(&now) {
                let after = count(cal).map_err(|e| Rejection::out_of_range(&e))?;
                if after != now || now.provisional {
                    changes.push((ClockKind::Obligation, ob.name.clone(), now, after));
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
            append_audit(ticket, AuditEntry::Calendar(Box::new(record)), self.seal);
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
    /// without `extends`), the time zone, the workweek. [`Engine::recalendar`] checks it first;
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

    /// The pauses of clock `c` since its start, as (from, to, how it resumed); `to` is `None`
    /// for the pause it is in now.
    fn pause_spans(&self, ticket: &Ticket, c: &Clock) -> Vec<PauseSpan> {
        let (closed, _) = pause_history(&self.policy, ticket, c);
        let mut spans: Vec<PauseSpan> =
            closed.into_iter().map(|(from, to, rule)| (from, Some(to), rule.resume)).collect();
        if let Some(pz) = &c.paused {
            spans.push((pz.since, None, ResumeMode::Remaining));
        }
        spans
    }
}

/// The pauses in `ticket`'s history since clock `c` started: each pause event of the policy up
/// to the event that resumes it (from, to, rule), and the pause still open, if any.
#[expect(clippy::type_complexity, reason = "a span list and the open span, read once")]
pub(super) fn pause_history<'p>(
    p: &'p crate::compile::CompiledPolicy,
    ticket: &Ticket,
    c: &Clock,
) -> (
    Vec<(DateTime<Utc>, DateTime<Utc>, &'p crate::compile::PauseRule)>,
    Option<(DateTime<Utc>, &'p crate::compile::PauseRule)>,
) {
    let mut closed = Vec::new();
    let mut open: Option<(DateTime<Utc>, &crate::compile::PauseRule)> = None;
    for rec in &ticket.history {
        let AuditEntry::Event(e) = &rec.entry else { continue };
        if e.at < c.started {
            continue;
        }
        match open {
            None => open = p.pauses.iter().find(|r| r.on == e.event.as_str()).map(|r| (e.at, r)),
            Some((since, rule)) if rule.resume_on == e.event.as_str() => {
                closed.push((since, e.at, rule));
                open = None;
            }
            Some(_) => {}
        }
    }
    (closed, open)
}

/// Counts stage clock `c` on `cal`: its budget from its start, moved by each pause that kept
/// the remaining time.
/// An instant after 9999 is an `OutOfRange`.
fn count_stage(cal: &Calendar, c: &Clock, pauses: &[PauseSpan]) -> Result<Counted, OutOfRange> {
    let working = Run::is_working(&c.budget);
    let scale = |t: DateTime<Utc>| if working { cal.working_clock(t) } else { t.timestamp() };
    let at_scale = |v: i64, from: DateTime<Utc>| {
        let t = if working { cal.at_working_clock(v) } else { kept(v) };
        t.ok_or_else(|| OutOfRange {
            what: format!(
                "the rest of `{}` from {}",
                c.budget,
                crate::timefmt::rfc3339(cal.tz(), from)
            ),
        })
    };
    let d = cal.add(c.started, c.budget)?;
    let total = scale(d.at) - scale(c.started);
    let covered = cal.covered_until();
    let beyond = |t: DateTime<Utc>| {
        covered.is_some_and(|last| t.with_timezone(&cal.tz()).date_naive() > last)
    };
    let (mut deadline, mut provisional, mut remaining) = (d.at, d.provisional.is_some(), None);
    for (since, until, mode) in pauses {
        let left = (scale(deadline) - scale(*since)).max(0);
        match (until, mode) {
            (Some(resume), ResumeMode::Remaining) => {
                deadline = at_scale(scale(*resume).saturating_add(left), *resume)?;
                provisional = provisional || beyond(deadline);
            }
            (Some(_), ResumeMode::Restart) => {}
            (None, _) => remaining = Some(left),
        }
    }
    Ok(Counted { deadline, total, remaining, provisional })
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
