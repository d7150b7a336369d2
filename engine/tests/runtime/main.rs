//! The ticket runtime, rule by rule, with exact instants across Spring Festival and National Day.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code: a failure is the test failing")]

mod audit;
mod common;
mod deadlines;
mod events;
mod explain;
mod extensions;
mod groups_obligations_pauses;
mod history;
mod ladders;
mod language;
mod migration;
mod opening;
mod range;
mod recalendar;
mod reference;
