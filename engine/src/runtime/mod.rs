//! The ticket runtime: open tickets, apply events, advance clocks, list next actions.
//!
//! Pure: `now`, the ticket and the event come in; a new ticket state, timeline rows, actions and
//! the next wake-up instant go out. Same input, byte-identical output.

mod actions;
mod engine;
mod error;
mod event;
mod ticket;
mod timeline;

pub use actions::{AcceptedEvent, Action, ActionKind, ClockView, NextActions, Outcome};
pub use engine::{Engine, Migration, record_hash, rejected_row, state_digest};
pub use error::Rejection;
pub use event::{ATTACH, BUILTIN_EVENTS, Event, MEMBER_DONE, OpenTicket, REASSIGN, SET};
pub use ticket::{
    AuditEntry, AuditRecord, GroupState, Mark, ObligationState, OpenRecord, Pause, PolicyPin,
    StageClock, TICKET_FORMAT, Ticket, TicketStats,
};
pub use timeline::{RowKind, TimelineRow};
