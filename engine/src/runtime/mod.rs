//! The ticket runtime: open tickets, apply events, advance clocks, list next actions.
//!
//! Pure: `now`, the ticket and the event come in; a new ticket state, timeline rows, actions and
//! the next wake-up instant go out. Same input, byte-identical output.

mod actions;
mod audit;
mod digest;
mod engine;
mod error;
mod event;
mod explanation;
mod name_map;
mod ticket;
mod timeline;
mod update_summary;

pub use actions::{
    AcceptedEvent, Action, ActionKind, ClockView, ConditionError, NextActions, Outcome,
};
pub use audit::{AuditEntry, AuditRecord, CalendarRecord, ExtensionRecord, OpenRecord};
pub use digest::{Digest, record_hash, record_hash_with, state_digest};
pub use engine::{Engine, Migration, rejected_row};
pub(crate) use engine::{rejected_row_for, scale, step_instant};
pub use error::Rejection;
pub use event::{
    ATTACH, BUILTIN_EVENTS, Event, EventKind, MEMBER_DONE, OpenTicket, REASSIGN, RecordedEvent, SET,
};
pub use explanation::{
    BreachExplanation, ClockExplanation, ClockExtension, ClockKind, ClockState, ClockUpdate,
    PauseSpan, RolledOn, StepPlacement,
};
pub(crate) use name_map::Fields;
pub use name_map::{FieldMap, NameMap};
pub use ticket::{
    BreachRecord, Clock, GroupState, Mark, ObligationState, Pause, PinnedPolicy, PolicyPin,
    TICKET_FORMAT, Ticket, TicketStats,
};
pub use timeline::{RowKind, Text, TimelineRow};
pub use update_summary::{Moves, UpdateSummary};
