//! Durable timers. A ticket's next wake-up instant is a column beside its state, written in the
//! transaction that changed it; the scheduler advances every ticket whose instant has passed, in
//! the same transactional way as an event. Nothing is kept in memory, so a server that was down
//! catches up when it starts: each ladder step and breach fires at its own instant on the
//! timeline, however late the server is.
//!
//! With several instances on one PostgreSQL, each lists due tickets and takes each one with
//! `FOR UPDATE SKIP LOCKED`, re-checking under the lock that it is still due: every due ticket is
//! advanced by exactly one instance, and one ticket per transaction.

use crate::AppState;
use crate::store::{Dialect, millis};
use chrono::Utc;
use futures_util::StreamExt;

/// How many due tickets one pass lists.
const BATCH: i64 = 256;

/// Advances due tickets until `stop` is set; looks every `tick`, at once again after a full batch.
pub(crate) async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        let full = match pass(&state).await {
            Ok((listed, advanced)) => listed as i64 >= BATCH && advanced > 0,
            Err(e) => {
                eprintln!("error: timers: {}", e.body());
                false
            }
        };
        if *stop.borrow() {
            return;
        }
        if !full {
            tokio::select! {
                _ = tokio::time::sleep(state.config.scheduler_tick) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

/// One pass: advances the tickets due now; how many were listed and how many advanced.
pub(crate) async fn pass(state: &AppState) -> Result<(usize, usize), crate::ApiError> {
    // A calendar update another instance deployed: count on it from now on.
    crate::calendars::refresh(state).await?;
    let now = Utc::now();
    let due: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM tickets WHERE next_wakeup_ms <= $1 ORDER BY next_wakeup_ms LIMIT $2",
    )
    .bind(millis(now))
    .bind(BATCH)
    .fetch_all(&state.store.read)
    .await?;
    let n = due.len();
    // On SQLite, tickets advanced at once are committed together (one sync); on PostgreSQL
    // each takes a connection of the pool the requests use too.
    let parallel = match state.store.dialect {
        Dialect::Sqlite => 32,
        Dialect::Postgres => 4,
    };
    let advanced = futures_util::stream::iter(due)
        .map(|(id,)| async move {
            match crate::tickets::advance(state, &id, now).await {
                Ok(changed) => changed,
                Err(e) => {
                    eprintln!("error: advancing ticket `{id}`: {}", e.body());
                    false
                }
            }
        })
        .buffer_unordered(parallel)
        .filter(|changed| std::future::ready(*changed))
        .count()
        .await;
    Ok((n, advanced))
}
