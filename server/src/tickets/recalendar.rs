//! Calendar updates reaching stored tickets: each open ticket brought onto a deployed calendar
//! in its own transaction, with the ledger's `calendar` line.

use super::{Change, Fail, STORED_COLUMNS, read_stored, write};
use crate::AppState;
use crate::engine::{self, Action, Engine, columns};
use crate::error::ApiError;
use chrono::Utc;
use serde_json::Value;
use sqlx::AnyConnection;
use std::sync::Arc;

/// What a calendar update did to one ticket.
pub(crate) enum Recalendared {
    /// Its clocks are already counted on the update's calendar.
    Already,
    /// Its clocks the update confirmed or moved (none: nothing rested on the changed days).
    Updated(Vec<engine::ClockUpdate>),
    /// The engine refused it (its refusal as JSON).
    Refused(Value),
}

/// Brings open ticket `id` onto `target`'s calendar (the policy on a calendar update), in one
/// transaction under the ticket's lock: each provisional deadline confirmed or moved
/// ([`engine::recalendar`]), with its timeline rows, its new wake-up and the actions of what the
/// moved deadlines made due; with `dry_run`, only what it would do.
pub(crate) async fn recalendar(
    state: &AppState,
    id: &str,
    target: &Arc<Engine>,
    dry_run: bool,
) -> Result<Recalendared, ApiError> {
    let (done, actions) = with_retries!(recalendar_once(state, id, target, dry_run).await)?;
    state.metrics.actions(&actions);
    Ok(done)
}

async fn recalendar_once(
    state: &AppState,
    id: &str,
    target: &Arc<Engine>,
    dry_run: bool,
) -> Result<(Recalendared, Vec<Action>), Fail> {
    let (state, id, target) = (state.clone(), id.to_string(), target.clone());
    let store = state.store.clone();
    store
        .change(move |conn| {
            Box::pin(async move { recalendar_in(conn, &state, &id, &target, dry_run).await })
        })
        .await
}

async fn recalendar_in(
    tx: &mut AnyConnection,
    state: &AppState,
    id: &str,
    target: &Engine,
    dry_run: bool,
) -> Result<(Recalendared, Vec<Action>), Fail> {
    let store = &state.store;
    let Some(mut stored) =
        read_stored(tx, &store.lock_ticket(STORED_COLUMNS, ""), id, None).await?
    else {
        return Ok((Recalendared::Already, Vec::new()));
    };
    let c = columns(&stored.ticket);
    let calendar = &stored.calendar;
    if c.closed || calendar == engine::calendar_id(target) {
        return Ok((Recalendared::Already, Vec::new()));
    }
    let previous = state.policies.engine_on(&mut *tx, &c.policy, &c.version, calendar).await?;
    let now = Utc::now();
    let at = now.max(engine::clock_at(&stored.ticket));
    let (outcome, updates) = match engine::recalendar(target, &previous, &mut stored.ticket, at) {
        Ok(done) => done,
        Err(r) => return Ok((Recalendared::Refused(engine::rejection_json(&r)), Vec::new())),
    };
    if dry_run {
        return Ok((Recalendared::Updated(updates), Vec::new()));
    }
    // The ticket runs on the update from now on, whether or not a clock of it moved: the ledger
    // says so, so that a reader brings it onto the update at the same instant.
    let line = engine::calendar_line(id, at, engine::calendar_id(target));
    write(
        tx,
        Some(stored.counters),
        "",
        Change {
            ticket: &stored.ticket,
            engine: target,
            rows: &outcome.rows,
            actions: &outcome.actions,
            line: Some((at, line)),
            restart_timeline: false,
            recounted: true,
            now,
        },
    )
    .await?;
    Ok((Recalendared::Updated(updates), outcome.actions))
}
