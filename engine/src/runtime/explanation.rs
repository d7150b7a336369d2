//! Explanations of a ticket's clocks: how a deadline was reached (the calendar's derivation from
//! the clock's start), what pauses held, where the ladder steps fall and by which rule, whether
//! anything rests on days beyond the calendar's data, and, for a breached clock, what was still
//! missing and who held the ticket. Built by [`Engine::explain`](super::Engine::explain); data
//! for tools (`Serialize`, instants in the calendar's zone) and short text for a complaint
//! handler (`Display`).

use crate::calendar::{Derivation, Provisional, human_local, local_instant, local_instant_opt};
use crate::policy::Duration;
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;
use std::fmt;

/// Which kind of clock an explanation is about.
///
/// ```
/// use ombud_engine::runtime::ClockKind;
/// assert_eq!(serde_json::to_string(&ClockKind::Obligation).unwrap(), r#""obligation""#);
/// assert_eq!(ClockKind::Stage.to_string(), "stage");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// The clock of the current stage visit.
    Stage,
    /// An obligation's clock.
    Obligation,
}

impl fmt::Display for ClockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClockKind::Stage => "stage",
            ClockKind::Obligation => "obligation",
        })
    }
}

/// Where a clock stands.
///
/// ```
/// use ombud_engine::runtime::ClockState;
/// assert_eq!(serde_json::to_string(&ClockState::Breached).unwrap(), r#""breached""#);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Counting.
    Running,
    /// Stopped by a pause event.
    Paused,
    /// Its deadline passed unmet.
    Breached,
    /// Discharged (an obligation's `done_on`), or stopped when the ticket closed; `done` in the
    /// text form too, as the timeline row of a discharge says (`` `reply` done by reply_sent ``).
    Done,
}

/// How a clock's deadline was reached, and what it means for the ticket.
///
/// The Spring Festival showcase (`examples/scenarios/spring-festival-major-fee-complaint.yaml`):
/// `handle` entered on the make-up Saturday 14 Feb 2026 at 10:05, 7 working days.
///
/// ```
/// use ombud_engine::runtime::*;
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// # let engine = Engine::new(ombud_engine::load_policy_file(path.as_ref()).unwrap().0.into());
/// let open: OpenTicket = serde_json::from_str(r#"{"id":"SF-1","at":"2026-02-13T18:40:00+08:00",
///     "fields":{"text":"double billing","claim_amount":20000,"departments":["billing"]}}"#).unwrap();
/// let (mut ticket, _) = engine.open(&open).unwrap();
/// let at = |s: &str| s.parse().unwrap();
/// engine.apply(&mut ticket, &Event::named("registered", at("2026-02-13T19:10:00+08:00"))).unwrap();
/// let report = Event::attach("investigation_report", at("2026-02-14T10:00:00+08:00"));
/// engine.apply(&mut ticket, &report).unwrap();
/// engine.apply(&mut ticket, &Event::named("report_filed", at("2026-02-14T10:05:00+08:00"))).unwrap();
/// let why = engine.explain(&ticket, "handle").unwrap().unwrap();
/// assert_eq!((why.kind, why.state, why.tier.as_deref()), (ClockKind::Stage, ClockState::Running, Some("management")));
/// let text = why.to_string();
/// assert!(text.contains("Sun 15 – Mon 23 Feb  Spring Festival 春节, holiday"), "{text}");
/// assert!(text.contains("Sat 28 Feb           make-up working day for Spring Festival 春节, counted: day 5"), "{text}");
/// assert!(text.contains("Mon 2 Mar 2026 11:37  flag at 80%: 80 % of the working time"), "{text}");
/// let json = serde_json::to_value(&why).unwrap();
/// assert_eq!(json["deadline"], "2026-03-04T00:00:00+08:00");
/// assert_eq!(json["steps"][0]["rule"], "80 % of the working time");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClockExplanation {
    /// A stage clock or an obligation.
    pub kind: ClockKind,
    /// The stage's or obligation's name.
    pub name: String,
    /// Who answers for the clock: the tier holding the ticket (a stage clock), the obligation's
    /// owner.
    pub tier: Option<String>,
    /// Where the clock stands.
    pub state: ClockState,
    /// The limit.
    pub budget: Duration,
    /// When the clock started (entry into the stage, the obligation's start, or the resume that
    /// restarted it).
    #[serde(serialize_with = "local_instant")]
    pub start: DateTime<Tz>,
    /// How the calendar counts the limit from the start: the rule, the days in runs (each
    /// holiday, closure and make-up day by name), the deadline that gives.
    pub derivation: Derivation,
    /// The pauses since the start, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pauses: Vec<PauseSpan>,
    /// The extensions since the start, in order; with the pauses, in the order of their
    /// instants, they take the derivation's deadline to the one the clock holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<ClockExtension>,
    /// The deadline the clock holds: the derivation's, moved by the working time pauses held
    /// and by each extension.
    #[serde(serialize_with = "local_instant")]
    pub deadline: DateTime<Tz>,
    /// Set when the deadline rests on days beyond the calendar's data; names the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisional: Option<Provisional>,
    /// The ladder steps of the clock, with their instants and the rule that placed each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepPlacement>,
    /// For a breached clock: the deadline, what is still missing, who holds the ticket (an
    /// obligation discharged late keeps it, with nothing missing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breach: Option<BreachExplanation>,
}

/// A pause of a clock: from the pause event to the resume event (`None`: still paused) and the
/// time held, on the clock's scale (working time for a working-time limit, else wall time).
///
/// ```
/// use ombud_engine::runtime::PauseSpan;
/// # let tz = chrono_tz::Asia::Shanghai;
/// # let t = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap().with_timezone(&tz);
/// let held = PauseSpan { from: t("2026-03-02T10:00:00+08:00"), to: Some(t("2026-03-03T10:00:00+08:00")),
///     on: "awaiting".into(), resume_on: "answered".into(), held_seconds: 86_400, working: true,
///     rolled_on: None };
/// assert_eq!(held.to_string(), "paused Mon 2 Mar 2026 10:00 (`awaiting`) – Tue 3 Mar 2026 10:00 (`answered`): 24h of working time held");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PauseSpan {
    /// When the pause event stopped the clock.
    #[serde(serialize_with = "local_instant")]
    pub from: DateTime<Tz>,
    /// When the resume event started it again; `None` while it is paused.
    #[serde(serialize_with = "local_instant_opt")]
    pub to: Option<DateTime<Tz>>,
    /// The pause event.
    pub on: String,
    /// The event that resumes it.
    pub resume_on: String,
    /// Time held (up to `to`; `0` while still paused), in seconds of the clock's scale.
    pub held_seconds: i64,
    /// Whether the clock's scale is working time.
    pub working: bool,
    /// For a calendar-day limit whose new end, at the resume, fell on a rest day: that day and
    /// the deadline it rolled on to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rolled_on: Option<RolledOn>,
}

/// Where a calendar-day limit's end rolled on at a resume: its last day was a rest day, so it
/// ends at the end of the next working day.
///
/// ```
/// use ombud_engine::runtime::RolledOn;
/// # let t = "2026-02-24T16:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap();
/// let rolled = RolledOn { last_day: chrono::NaiveDate::from_ymd_opt(2026, 2, 19).unwrap(),
///     day: "Spring Festival 春节, holiday".into(), deadline: t.with_timezone(&chrono_tz::Asia::Shanghai) };
/// assert_eq!(rolled.to_string(), "last day Thu 19 Feb 2026 (Spring Festival 春节, holiday), rolled on to Tue 24 Feb 2026 24:00");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RolledOn {
    /// The limit's last day before roll-off.
    pub last_day: NaiveDate,
    /// What that day is: the calendar's note on it (`Spring Festival 春节, holiday`), else its
    /// kind (`weekend`).
    pub day: String,
    /// The deadline it rolled on to.
    #[serde(serialize_with = "local_instant")]
    pub deadline: DateTime<Tz>,
}

impl fmt::Display for RolledOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = self.last_day.format("%a %-d %b %Y");
        write!(f, "last day {last} ({}), rolled on to {}", self.day, human_local(&self.deadline))
    }
}

impl fmt::Display for PauseSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "paused {} (`{}`)", human_local(&self.from), self.on)?;
        match &self.to {
            Some(to) => {
                let held = Duration::Wall { seconds: self.held_seconds };
                let scale = if self.working { " of working time" } else { "" };
                write!(f, " – {} (`{}`): {held}{scale} held", human_local(to), self.resume_on)?;
                match &self.rolled_on {
                    Some(r) => write!(f, "; {r}"),
                    None => Ok(()),
                }
            }
            None => write!(f, ", still paused until `{}`", self.resume_on),
        }
    }
}

/// A ladder step of a clock: when it falls, the rule that placed it there, whether it has
/// fired.
///
/// ```
/// # use ombud_engine::runtime::StepPlacement;
/// # let t = "2026-03-02T11:37:00+08:00".parse::<chrono::DateTime<chrono::Utc>>().unwrap();
/// let step = StepPlacement { at_text: "80%".into(), action: "flag".into(),
///     at: t.with_timezone(&chrono_tz::Asia::Shanghai), rule: "80 % of the working time".into(), fired: false };
/// assert_eq!(step.to_string(), "Mon 2 Mar 2026 11:37  flag at 80%: 80 % of the working time");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepPlacement {
    /// The step's `at:` as the policy writes it.
    pub at_text: String,
    /// What it does: `flag`, `notify`, `escalate` or `reassign`.
    pub action: String,
    /// When it falls (never before the clock's start).
    #[serde(serialize_with = "local_instant")]
    pub at: DateTime<Tz>,
    /// The rule that placed it: `80 % of the working time`, `2 working days after the deadline`.
    pub rule: String,
    /// Whether it has fired (or was skipped because its `when` was false).
    pub fired: bool,
}

impl fmt::Display for StepPlacement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}  {} at {}: {}", human_local(&self.at), self.action, self.at_text, self.rule)?;
        if self.fired { f.write_str(" (fired)") } else { Ok(()) }
    }
}

/// An extension of a clock: the event and its instant, the change (`by` or `to`), how the
/// extended limit was counted, and the deadline it gave.
///
/// `by: D` is counted on from the deadline it extended (`from`), the day that deadline ends not
/// counted, so its derivation numbers the added days from 1; `to: D` is the whole limit counted
/// from the clock's start, and the deadline moves by what it adds to the limit (so time a pause
/// held still does not count).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClockExtension {
    /// When the extension event came.
    #[serde(serialize_with = "local_instant")]
    pub at: DateTime<Tz>,
    /// The extension event.
    pub event: String,
    /// The change as the policy writes it: `by 15 working days`, `to 30 calendar days`.
    pub change: String,
    /// Whether the change is a `to:` (the whole limit from the start) rather than a `by:`.
    pub whole_limit: bool,
    /// The deadline it extended.
    #[serde(serialize_with = "local_instant")]
    pub from: DateTime<Tz>,
    /// How the calendar counts the change: `by` from `from`, `to` from the clock's start.
    pub derivation: Derivation,
    /// What it added to the limit, in seconds of the clock's scale.
    pub added_seconds: i64,
    /// Whether the clock's scale is working time.
    pub working: bool,
    /// The deadline after it.
    #[serde(serialize_with = "local_instant")]
    pub deadline: DateTime<Tz>,
}

impl ClockExtension {
    /// Writes the text form, each line starting with `indent`: the event and the change, then
    /// the counted days (indented) ending at the new deadline.
    pub fn write_text(&self, out: &mut impl fmt::Write, indent: &str) -> fmt::Result {
        let inner = format!("{indent}  ");
        if self.whole_limit {
            writeln!(
                out,
                "{indent}extended {} (`{}`): {}, the whole limit counted from the start",
                human_local(&self.at),
                self.event,
                self.change
            )?;
            self.derivation.write_text(out, &inner)?;
            if self.deadline != self.derivation.deadline {
                let added = Duration::Wall { seconds: self.added_seconds };
                let scale = if self.working { " of working time" } else { "" };
                writeln!(
                    out,
                    "{inner}{added}{scale} added to the limit, counted on from the deadline {}",
                    human_local(&self.from),
                )?;
                writeln!(out, "{inner}deadline {}", human_local(&self.deadline))?;
            }
            return Ok(());
        }
        // A calendar-day `by:` counts on from the end of the limit's last day before roll-off.
        let from = match self.derivation.start != self.from {
            true => format!(
                "{}, the end of the limit's last day before its deadline rolled on to {}",
                human_local(&self.derivation.start),
                human_local(&self.from)
            ),
            false => format!("the deadline {}", human_local(&self.from)),
        };
        writeln!(
            out,
            "{indent}extended {} (`{}`): {}, counted on from {from}",
            human_local(&self.at),
            self.event,
            self.change,
        )?;
        self.derivation.write_counted_on(out, &inner)
    }
}

/// Why a clock breached: its deadline, what the ticket still waits for, who holds it.
///
/// ```
/// # use ombud_engine::runtime::BreachExplanation;
/// # let t = "2026-03-04T00:00:00+08:00".parse::<chrono::DateTime<chrono::Utc>>().unwrap();
/// let why = BreachExplanation { deadline: t.with_timezone(&chrono_tz::Asia::Shanghai),
///     tier: Some("management".into()), assignee: None, waiting_for: vec!["resolved".into()],
///     missing_artifacts: vec![], pending_members: vec!["billing".into()] };
/// assert_eq!(why.to_string(),
///     "breached at Tue 3 Mar 2026 24:00: waiting for `resolved`; pending members billing; held by management");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BreachExplanation {
    /// The deadline that passed.
    #[serde(serialize_with = "local_instant")]
    pub deadline: DateTime<Tz>,
    /// The tier holding the ticket (a stage clock) or owning the obligation.
    pub tier: Option<String>,
    /// The person handling it for that tier, if the host named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// Events that would have met the clock: the stage's transitions, the obligation's `done_on`.
    pub waiting_for: Vec<String>,
    /// Artifacts the stage requires that are not attached.
    pub missing_artifacts: Vec<String>,
    /// Joint-group members that have not reported.
    pub pending_members: Vec<String>,
}

impl fmt::Display for BreachExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "breached at {}", human_local(&self.deadline))?;
        f.write_str(&self.what_was_missing())
    }
}

impl BreachExplanation {
    /// `: waiting for `resolved`; missing x; pending members y; held by management` — the part
    /// after the deadline, which breach rows of a timeline carry too.
    pub(crate) fn what_was_missing(&self) -> String {
        let quoted = |v: &[String]| v.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>();
        let mut parts = Vec::new();
        if !self.waiting_for.is_empty() {
            parts.push(format!("waiting for {}", quoted(&self.waiting_for).join(" or ")));
        }
        if !self.missing_artifacts.is_empty() {
            parts.push(format!("missing {}", self.missing_artifacts.join(", ")));
        }
        if !self.pending_members.is_empty() {
            parts.push(format!("pending members {}", self.pending_members.join(", ")));
        }
        if let Some(t) = &self.tier {
            match &self.assignee {
                Some(a) => parts.push(format!("held by {t} ({a})")),
                None => parts.push(format!("held by {t}")),
            }
        }
        if parts.is_empty() { String::new() } else { format!(": {}", parts.join("; ")) }
    }
}

impl ClockExplanation {
    /// Writes the text form, each line starting with `indent`: the clock and who holds it, the
    /// derivation (indented), the pauses and extensions in the order they came, the deadline
    /// if pauses moved it since, the ladder steps, the breach, the provisional mark.
    pub fn write_text(&self, out: &mut impl fmt::Write, indent: &str) -> fmt::Result {
        let state = match self.state {
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::Breached => "breached",
            ClockState::Done => "done",
        };
        let held = self.tier.as_deref().map(|t| format!(", held by {t}")).unwrap_or_default();
        writeln!(out, "{indent}{} `{}`{held}: {state}", self.kind, self.name)?;
        let inner = format!("{indent}  ");
        self.derivation.write_text(out, &inner)?;
        // Pauses and extensions in the order of their instants (a pause first at a tie: an
        // extension at the instant a pause begins finds the clock paused).
        let (mut pauses, mut extensions) =
            (self.pauses.iter().peekable(), self.extensions.iter().peekable());
        let mut shown = self.derivation.deadline;
        let mut last_paused = false;
        loop {
            let pause_first = match (pauses.peek(), extensions.peek()) {
                (Some(p), Some(x)) => p.from <= x.at,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if pause_first {
                if let Some(p) = pauses.next() {
                    writeln!(out, "{inner}{p}")?;
                    last_paused = true;
                }
            } else if let Some(x) = extensions.next() {
                x.write_text(out, &inner)?;
                shown = x.deadline;
                last_paused = false;
            }
        }
        // A pause that ended after the last extension (one granted while held) moved it too.
        let last_extension = self.extensions.last().map(|x| x.at);
        let resumed_after =
            self.pauses.iter().any(|p| p.to.is_some_and(|t| Some(t) > last_extension));
        if self.deadline != shown {
            let what =
                if last_paused || resumed_after { "after the pauses" } else { "the clock holds" };
            writeln!(out, "{inner}deadline {what}: {}", human_local(&self.deadline))?;
        }
        if !self.steps.is_empty() {
            writeln!(out, "{inner}ladder:")?;
            let whens: Vec<String> = self.steps.iter().map(|s| human_local(&s.at)).collect();
            let width = whens.iter().map(|w| w.chars().count()).max().unwrap_or(0);
            for (s, when) in self.steps.iter().zip(whens) {
                let fired = if s.fired { " (fired)" } else { "" };
                writeln!(
                    out,
                    "{inner}  {when:width$}  {} at {}: {}{fired}",
                    s.action, s.at_text, s.rule
                )?;
            }
        }
        if let Some(b) = &self.breach {
            writeln!(out, "{inner}{b}")?;
        }
        let marked = self.derivation.provisional.is_some()
            || self.extensions.iter().any(|x| x.derivation.provisional.is_some());
        if let Some(p) = self.provisional.as_ref().filter(|_| !marked) {
            writeln!(out, "{inner}provisional: {p}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ClockExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_text(f, "")
    }
}

/// A clock a calendar update confirmed, left unchanged or moved
/// ([`Engine::recalendar`](super::Engine::recalendar)). Instants are in the calendar's zone
/// (RFC 3339 with its offset in JSON).
///
/// ```
/// # use ombud_engine::runtime::{ClockKind, ClockUpdate};
/// let t = |s: &str| s.parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap()
///     .with_timezone(&chrono_tz::Asia::Shanghai);
/// let u = ClockUpdate { ticket: "T-1".into(), kind: ClockKind::Stage, name: "handle".into(),
///     old: t("2027-01-07T00:00:00+08:00"), new: t("2027-01-08T00:00:00+08:00"),
///     was_provisional: true, provisional: false, moved_working_days: 1, explanation: None };
/// assert!(u.moved() && !u.confirmed() && !u.unchanged_provisional());
/// assert_eq!(serde_json::to_value(&u).unwrap()["new"], "2027-01-08T00:00:00+08:00");
/// // The same deadline, still resting on days beyond the data: not confirmed.
/// let same = ClockUpdate { new: u.old, provisional: true, moved_working_days: 0, ..u };
/// assert!(!same.moved() && !same.confirmed() && same.unchanged_provisional());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClockUpdate {
    /// The ticket's id.
    pub ticket: String,
    /// A stage clock or an obligation.
    pub kind: ClockKind,
    /// The stage's or obligation's name.
    pub name: String,
    /// The deadline before the update.
    #[serde(serialize_with = "local_instant")]
    pub old: DateTime<Tz>,
    /// The deadline after it.
    #[serde(serialize_with = "local_instant")]
    pub new: DateTime<Tz>,
    /// Whether the old deadline rested on days beyond the previous calendar's data.
    pub was_provisional: bool,
    /// Whether the new one still rests on days beyond the new calendar's data.
    pub provisional: bool,
    /// How far the deadline moved, in working days of the new calendar (positive: later).
    pub moved_working_days: i64,
    /// The clock explained after the update.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<ClockExplanation>,
}

impl ClockUpdate {
    /// Whether the deadline moved.
    pub fn moved(&self) -> bool {
        self.old != self.new
    }

    /// Whether a provisional deadline was confirmed: the same, and no longer provisional.
    pub fn confirmed(&self) -> bool {
        self.was_provisional && !self.moved() && !self.provisional
    }

    /// Whether a provisional deadline stayed the same but still rests on days beyond the data.
    pub fn unchanged_provisional(&self) -> bool {
        self.was_provisional && !self.moved() && self.provisional
    }
}
