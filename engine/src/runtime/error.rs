//! Why the engine refused an input. A refused input never changes the ticket.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A refused open, event or migration. Messages are lowercase, user input in backticks. It
/// serialises with its `code` beside its details, for a host that returns it to a client.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#).unwrap();
/// let (mut ticket, _) = engine.open(&input).unwrap();
/// let early = Event::named("done", "2026-03-02T08:00:00Z".parse().unwrap());
/// let err = engine.apply(&mut ticket, &early).unwrap_err();
/// assert!(matches!(err, Rejection::OutOfOrder { .. }));
/// assert_eq!(err.to_string(), "event at 2026-03-02T08:00:00+00:00 is earlier than the \
///     ticket's clock (2026-03-02T09:00:00+00:00)");
/// let json = serde_json::to_value(&err).unwrap();
/// assert_eq!(json["code"], "out_of_order");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Rejection {
    /// The ticket already reached a terminal stage.
    #[error("ticket `{ticket}` is closed")]
    Closed {
        /// Ticket id.
        ticket: String,
    },
    /// The event is older than what the ticket has already seen.
    #[error(
        "event at {} is earlier than the ticket's clock ({})",
        crate::timefmt::rfc3339(*.zone, *.at),
        crate::timefmt::rfc3339(*.zone, *.clock_at)
    )]
    OutOfOrder {
        /// The event's time.
        at: DateTime<Utc>,
        /// The ticket's clock.
        clock_at: DateTime<Utc>,
        /// The policy calendar's zone, which the message shows both instants in.
        #[serde(skip)]
        zone: chrono_tz::Tz,
    },
    /// The current stage does not take this event.
    #[error("stage `{stage}` does not accept event `{event}`{}", accepted_list(.accepted))]
    NotAccepted {
        /// Event name.
        event: String,
        /// Current stage.
        stage: String,
        /// Events it does accept.
        accepted: Vec<String>,
    },
    /// Every guard on the event's transitions is false.
    #[error("event `{event}` is not allowed in stage `{stage}`: {}", .conditions.join(", "))]
    GuardFalse {
        /// Event name.
        event: String,
        /// Current stage.
        stage: String,
        /// The conditions that were false.
        conditions: Vec<String>,
    },
    /// Leaving the stage, or extending a clock, needs artifacts that are not attached.
    #[error("{}", missing_artifacts(.stage, .missing, .extension.as_deref()))]
    MissingArtifacts {
        /// Current stage (or, for an extension, the clock's stage or obligation).
        stage: String,
        /// What is missing.
        missing: Vec<String>,
        /// The extension's event, when an extension needs them.
        #[serde(skip_serializing_if = "Option::is_none")]
        extension: Option<String>,
    },
    /// An extension that comes when its clock's deadline has already passed.
    #[error(
        "`{event}` comes too late: the deadline of `{clock}` passed at {}",
        crate::timefmt::human(*.zone, *.deadline)
    )]
    ExtensionLate {
        /// The extension's event.
        event: String,
        /// The stage or obligation whose clock it would extend.
        clock: String,
        /// The deadline that passed.
        deadline: DateTime<Utc>,
        /// The policy calendar's zone, which the message shows the instant in.
        #[serde(skip)]
        zone: chrono_tz::Tz,
    },
    /// An extension entry that has extended this clock `max` times already.
    #[error("`{event}` may extend `{clock}` {max} time(s), and it already has")]
    ExtensionLimit {
        /// The extension's event.
        event: String,
        /// The stage or obligation whose clock it would extend.
        clock: String,
        /// The entry's `max`.
        max: u32,
    },
    /// A `to:` extension whose new deadline is not later than the current one.
    #[error(
        "`{event}` would move the deadline of `{clock}` to {}, which is not later than {}",
        crate::timefmt::rfc3339(*.zone, *.proposed),
        crate::timefmt::rfc3339(*.zone, *.deadline)
    )]
    ExtensionNotLater {
        /// The extension's event.
        event: String,
        /// The stage or obligation whose clock it would extend.
        clock: String,
        /// The current deadline.
        deadline: DateTime<Utc>,
        /// The deadline the extension gives.
        proposed: DateTime<Utc>,
        /// The policy calendar's zone, which the message shows the instants in.
        #[serde(skip)]
        zone: chrono_tz::Tz,
    },
    /// A required field that the ticket does not give.
    #[error("field `{field}` is required")]
    MissingField {
        /// Field name.
        field: String,
    },
    /// The joint group has not completed.
    #[error("joint group `{group}` has not completed: waiting for {}", .pending.join(", "))]
    GroupPending {
        /// Group name.
        group: String,
        /// Members still pending.
        pending: Vec<String>,
    },
    /// A field the policy does not declare.
    #[error("unknown field `{field}`{}", hint_suffix(.hint))]
    UnknownField {
        /// Field name.
        field: String,
        /// "did you mean" candidate.
        hint: Option<String>,
    },
    /// A field value of the wrong type.
    #[error("field `{field}` must be {expected}, got {got}")]
    WrongType {
        /// Field name.
        field: String,
        /// Expected type.
        expected: String,
        /// What was given.
        got: String,
    },
    /// An enum field value that is not one of its values.
    #[error("field `{field}` has no value `{value}`; expected one of {}", .allowed.join(", "))]
    NotInEnum {
        /// Field name.
        field: String,
        /// Given value.
        value: String,
        /// Allowed values.
        allowed: Vec<String>,
    },
    /// The ticket is pinned to another policy (id, version or content).
    #[error(
        "ticket is pinned to policy `{ticket_policy}`, but the engine runs `{engine_policy}`; migrate it explicitly"
    )]
    PolicyMismatch {
        /// `id@version#digest` of the ticket.
        ticket_policy: String,
        /// `id@version#digest` of the engine.
        engine_policy: String,
    },
    /// The ticket is pinned to the engine's policy but stands in a stage the policy does not
    /// have: it was edited after the engine last wrote it.
    #[error("ticket `{ticket}` is at stage `{stage}`, which its policy does not have")]
    UnknownStage {
        /// Ticket id.
        ticket: String,
        /// The stage the ticket names.
        stage: String,
    },
    /// A built-in event without the data it needs, or with data that does not fit; or an event
    /// carrying a key that belongs to another one, refused as it is read (see
    /// [`RecordedEvent`](crate::runtime::RecordedEvent)).
    #[error("{message}")]
    BadEvent {
        /// What is wrong.
        message: String,
    },
    /// A deadline or ladder step the input would set falls after 9999-12-31T23:59:59Z, the last
    /// instant the engine keeps (see [`OutOfRange`](crate::calendar::OutOfRange)).
    #[error("{message}")]
    OutOfRange {
        /// What was counted from where, and that it ends too late.
        message: String,
    },
    /// A calendar update that cannot stand in for the calendar the ticket's clocks were counted
    /// on ([`Calendar::shortfalls`](crate::calendar::Calendar::shortfalls)): it leaves out
    /// dates that calendar covers, or counts in another time zone, workweek, business hours or
    /// cutoff.
    #[error("calendar `{calendar}` cannot replace `{previous}`: {}", .shortfalls.join("; "))]
    CalendarMismatch {
        /// The update's id.
        calendar: String,
        /// The id of the calendar it would replace.
        previous: String,
        /// What it lacks, one sentence each.
        shortfalls: Vec<String>,
        /// How to write an update that replaces it.
        hint: String,
    },
    /// A condition could not be evaluated.
    #[error("condition `{condition}` failed: {message}")]
    Evaluation {
        /// The condition's source.
        condition: String,
        /// rhai's message.
        message: String,
    },
}

impl Rejection {
    /// A stable snake_case code for hosts and timelines (`not_accepted`, `missing_artifacts`, …).
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#).unwrap();
    /// let (mut ticket, _) = engine.open(&input).unwrap();
    /// let unknown = Event::named("approve", "2026-03-02T10:00:00Z".parse().unwrap());
    /// assert_eq!(engine.apply(&mut ticket, &unknown).unwrap_err().code(), "not_accepted");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Closed { .. } => "closed",
            Rejection::OutOfOrder { .. } => "out_of_order",
            Rejection::NotAccepted { .. } => "not_accepted",
            Rejection::GuardFalse { .. } => "guard_false",
            Rejection::MissingArtifacts { .. } => "missing_artifacts",
            Rejection::ExtensionLate { .. } => "extension_late",
            Rejection::ExtensionLimit { .. } => "extension_limit",
            Rejection::ExtensionNotLater { .. } => "extension_not_later",
            Rejection::MissingField { .. } => "missing_field",
            Rejection::GroupPending { .. } => "group_pending",
            Rejection::UnknownField { .. } => "unknown_field",
            Rejection::WrongType { .. } => "wrong_type",
            Rejection::NotInEnum { .. } => "not_in_enum",
            Rejection::PolicyMismatch { .. } => "policy_mismatch",
            Rejection::UnknownStage { .. } => "unknown_stage",
            Rejection::BadEvent { .. } => "bad_event",
            Rejection::OutOfRange { .. } => "out_of_range",
            Rejection::CalendarMismatch { .. } => "calendar_mismatch",
            Rejection::Evaluation { .. } => "evaluation",
        }
    }

    pub(crate) fn out_of_range(e: &crate::calendar::OutOfRange) -> Self {
        Rejection::OutOfRange { message: e.to_string() }
    }

    /// The refusal of `update` standing in for `previous`, if it lacks anything
    /// ([`Calendar::shortfalls`](crate::calendar::Calendar::shortfalls)).
    pub(crate) fn calendar_mismatch(
        update: &crate::calendar::Calendar,
        previous: &crate::calendar::Calendar,
    ) -> Option<Self> {
        let shortfalls = update.shortfalls(previous);
        let id = previous.id();
        (!shortfalls.is_empty()).then(|| Rejection::CalendarMismatch {
            calendar: update.id().to_string(),
            previous: id.to_string(),
            shortfalls,
            hint: format!(
                "an update extends the calendar it replaces and adds to it: `extends: {id}` in \
                 the file (`ombud calendar from-notice NOTICE --extends {id}`){}",
                if update.other_hours_or_cutoff(previous) {
                    ", and keeps its business hours and cutoff: no `hours` or `cutoff` in the file"
                } else {
                    ""
                }
            ),
        })
    }

    pub(crate) fn bad(message: impl Into<String>) -> Self {
        Rejection::BadEvent { message: message.into() }
    }
}

fn accepted_list(accepted: &[String]) -> String {
    if accepted.is_empty() {
        String::new()
    } else {
        format!(
            " (it accepts {})",
            accepted.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ")
        )
    }
}

fn missing_artifacts(stage: &str, missing: &[String], extension: Option<&str>) -> String {
    let list = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(" and ");
    let verb = if missing.len() == 1 { "is" } else { "are" };
    match extension {
        None => format!("stage `{stage}` cannot be left before {list} {verb} attached"),
        Some(e) => format!("`{e}` cannot extend `{stage}` before {list} {verb} attached"),
    }
}

fn hint_suffix(hint: &Option<String>) -> String {
    hint.as_ref().map(|h| format!("; did you mean `{h}`?")).unwrap_or_default()
}
