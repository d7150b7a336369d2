//! Extensions: an event that moves a running clock's deadline later, on the current stage's
//! clock or on an open obligation's.

use super::Run;
use super::clock::ClockRef;
use super::history::extended;
use crate::compile::{ExtendTo, Extension};
use crate::runtime::{Clock, ExtensionRecord, Rejection, RowKind, Text, Ticket, TimelineRow};
use chrono::{DateTime, Utc};

/// An extension decided by [`Run::plan_extension`]: which clock, which entry, the new deadline.
pub(super) struct Extend<'p> {
    /// The clock it extends.
    pub(super) clock: ClockRef,
    /// The entry's place in the clock's `extensions`.
    pub(super) entry: usize,
    /// The entry.
    pub(super) ext: &'p Extension,
    /// The new deadline.
    pub(super) deadline: DateTime<Utc>,
    /// What the extension adds, on the clock's scale (working or wall seconds).
    pub(super) added: i64,
    /// Whether the new deadline rests on days beyond the calendar's data.
    pub(super) provisional: bool,
    /// The new deadline's roll-off ([`Clock::roll_off`]).
    pub(super) roll_off: i64,
}

impl<'e> Run<'e> {
    /// Whether event `name`, at `at`, extends one of the ticket's clocks: `None` when it is no
    /// extension event here, else the extension or why it is refused. The current stage's
    /// extensions come first, then those of the policy's obligations, in order.
    pub(super) fn plan_extension(
        &self,
        ticket: &Ticket,
        name: &str,
        at: DateTime<Utc>,
    ) -> Option<Result<Extend<'e>, Rejection>> {
        let p = self.policy();
        let stage = self.engine.stage(ticket);
        if stage.extensions.iter().any(|e| e.on == name) {
            return Some(self.extend(ticket, ClockRef::Stage, &stage.extensions, name, at));
        }
        let mut closed = None;
        for (i, ob) in p.obligations.iter().enumerate() {
            if !ob.extensions.iter().any(|e| e.on == name) {
                continue;
            }
            let open = ticket.obligations.get(ob.name.as_str()).is_some_and(|s| s.done.is_none());
            if open {
                return Some(self.extend(
                    ticket,
                    ClockRef::Obligation(i),
                    &ob.extensions,
                    name,
                    at,
                ));
            }
            closed.get_or_insert(&ob.name);
        }
        closed.map(|ob| Err(Rejection::bad(format!("obligation `{ob}` is not open"))))
    }

    /// Extension of clock `r` by the first of `entries` on `name` whose condition holds.
    fn extend(
        &self,
        ticket: &Ticket,
        r: ClockRef,
        entries: &'e [Extension],
        name: &str,
        at: DateTime<Utc>,
    ) -> Result<Extend<'e>, Rejection> {
        let clock_name = self.clock_name(ticket, r);
        let Some(c) = self.clock_of(ticket, r) else {
            return Err(Rejection::bad(format!("`{clock_name}` has no running clock to extend")));
        };
        let mut false_conditions = Vec::new();
        let mut chosen = None;
        for (i, e) in entries.iter().enumerate().filter(|(_, e)| e.on == name) {
            match &e.when {
                Some(w) if !self.guard(w, &ticket.fields)? => {
                    false_conditions.push(format!("`{}` is false", w.source()));
                }
                _ => {
                    chosen = Some((i, e));
                    break;
                }
            }
        }
        let Some((entry, ext)) = chosen else {
            return Err(Rejection::GuardFalse {
                event: name.to_string(),
                stage: clock_name.to_string(),
                conditions: false_conditions,
            });
        };
        let zone = self.policy().calendar.tz();
        if c.paused.is_none() && (c.breached || at >= c.deadline) {
            return Err(Rejection::ExtensionLate {
                event: name.to_string(),
                clock: clock_name.to_string(),
                deadline: c.deadline,
                zone,
            });
        }
        if c.extensions_used(entry) >= ext.max {
            return Err(Rejection::ExtensionLimit {
                event: name.to_string(),
                clock: clock_name.to_string(),
                max: ext.max,
            });
        }
        let missing: Vec<String> = ext
            .requires
            .iter()
            .filter(|a| !ticket.artifacts.contains_key(a.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(Rejection::MissingArtifacts {
                stage: clock_name.to_string(),
                missing,
                extension: Some(name.to_string()),
            });
        }
        let (deadline, added, provisional, roll_off) = self.extended_deadline(c, ext.change)?;
        if deadline <= c.deadline {
            return Err(Rejection::ExtensionNotLater {
                event: name.to_string(),
                clock: clock_name.to_string(),
                deadline: c.deadline,
                proposed: deadline,
                zone,
            });
        }
        Ok(Extend { clock: r, entry, ext, deadline, added, provisional, roll_off })
    }

    /// The deadline of clock `c` after `change`, what it adds on the clock's scale, whether
    /// it rests on days beyond the calendar's data, and its roll-off ([`extended`]). A deadline
    /// after the last instant the engine keeps refuses the extension (`out_of_range`).
    fn extended_deadline(
        &self,
        c: &Clock,
        change: ExtendTo,
    ) -> Result<(DateTime<Utc>, i64, bool, i64), Rejection> {
        let cal = &self.policy().calendar;
        let working = Self::is_working(&c.budget);
        let now = (c.started, c.deadline, c.total, c.roll_off);
        let x =
            extended(cal, working, now, change, false).map_err(|e| Rejection::out_of_range(&e))?;
        let provisional = c.provisional || x.counted.provisional.is_some();
        Ok((x.deadline, x.added, provisional, x.roll_off))
    }

    /// What the audit record of the event keeps of extension `x` of `ticket`: the clock, by
    /// name, the entry that applied and its `by` or `to`.
    pub(super) fn extension_record(&self, ticket: &Ticket, x: &Extend<'e>) -> ExtensionRecord {
        let name = self.clock_name(ticket, x.clock).to_string();
        let (stage, obligation) = match x.clock {
            ClockRef::Stage => (Some(name), None),
            ClockRef::Obligation(_) => (None, Some(name)),
        };
        let (by, to) = match x.ext.change {
            ExtendTo::By(d) => (Some(d), None),
            ExtendTo::To(d) => (None, Some(d)),
        };
        let entry = u32::try_from(x.entry).unwrap_or(u32::MAX);
        ExtensionRecord { stage, obligation, entry, by, to }
    }

    /// Carries out an extension [`Run::plan_extension`] decided, at `at`.
    pub(super) fn commit_extension(
        &mut self,
        ticket: &mut Ticket,
        x: Extend<'e>,
        name: &str,
        at: DateTime<Utc>,
    ) {
        let clock_name = self.clock_name(ticket, x.clock);
        let tier = ticket.tier.clone();
        let Some(c) = self.clock_mut(ticket, x.clock) else { return };
        let previous = c.deadline;
        c.deadline = x.deadline;
        c.total = c.total.saturating_add(x.added);
        c.provisional = x.provisional;
        if let Some(pz) = c.paused.as_mut() {
            // What it adds to the limit before roll-off.
            let more = x.added.saturating_sub(x.roll_off.saturating_sub(c.roll_off));
            pz.remaining = pz.remaining.saturating_add(more);
        }
        c.roll_off = x.roll_off;
        if c.extended.len() <= x.entry {
            c.extended.resize(x.entry + 1, 0);
        }
        c.extended[x.entry] += 1;
        // Steps re-base on the extended limit: one that would fall after the last instant kept
        // refuses this extension, not a later call that reaches it.
        let clock = c.clone();
        let ladder = match x.clock {
            ClockRef::Stage => self.engine.stage(ticket).ladder,
            ClockRef::Obligation(i) => self.policy().obligations.get(i).and_then(|o| o.ladder),
        };
        self.check_steps(ladder, &clock);
        let detail = detail!(
            self,
            "{name}: `{clock_name}` extended {} → due {} (was {})",
            x.ext.change,
            self.human(x.deadline),
            self.human(previous)
        );
        self.push(TimelineRow {
            at,
            kind: RowKind::Extended,
            stage: Some(Text::from(clock_name)),
            tier: tier.as_deref().map(Text::from),
            detail,
            due: Some(x.deadline),
            previous_due: Some(previous),
            provisional: x.provisional,
        });
    }
}
