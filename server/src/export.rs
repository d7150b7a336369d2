//! Exports read from the database as one consistent snapshot and streamed: the ledger (JSON
//! Lines that `ombud replay`, `report` and `audit verify` read), the stored tickets (the store
//! `ombud audit verify --tickets` checks) and the period report, which the engine's own report
//! code builds from the streamed ledger.

use crate::AppState;
use crate::api::{LedgerFilter, ReportParams};
use crate::engine::{self, Period, Report};
use crate::error::ApiError;
use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::Value;
use std::io::{self, BufReader, Read};
use tokio::sync::mpsc;

/// Lines are sent in chunks of about this many bytes.
const CHUNK: usize = 64 * 1024;

type Chunks = mpsc::Receiver<Result<Bytes, io::Error>>;

/// Runs `sql` (one text column; `$1` policy and `$2` version, empty for any) and sends its rows
/// as lines, in chunks.
fn lines(state: &AppState, sql: &'static str, policy: String, version: String) -> Chunks {
    let (tx, rx) = mpsc::channel(8);
    let state = state.clone();
    tokio::spawn(async move {
        let mut rows =
            sqlx::query_as::<_, (String,)>(sql).bind(policy).bind(version).fetch(&state.store.read);
        let mut chunk = Vec::with_capacity(CHUNK + 1024);
        while let Some(row) = rows.next().await {
            match row {
                Ok((line,)) => {
                    chunk.extend_from_slice(line.as_bytes());
                    chunk.push(b'\n');
                    if chunk.len() >= CHUNK
                        && tx.send(Ok(Bytes::from(std::mem::take(&mut chunk)))).await.is_err()
                    {
                        return; // the client went away
                    }
                }
                Err(e) => {
                    eprintln!("error: export: {e}");
                    let _ = tx.send(Err(io::Error::other(e))).await;
                    return;
                }
            }
        }
        if !chunk.is_empty() {
            let _ = tx.send(Ok(Bytes::from(chunk))).await;
        }
    });
    rx
}

fn stream(rx: Chunks) -> impl Stream<Item = Result<Bytes, io::Error>> + use<> {
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
}

const LEDGER: &str = "SELECT l.line FROM ledger l JOIN tickets t ON t.id = l.ticket_id \
     WHERE ($1 = '' OR t.policy_id = $1) AND ($2 = '' OR t.policy_version = $2) \
     ORDER BY l.at_ms, l.ticket_id, l.seq";

const TICKETS: &str = "SELECT state FROM tickets \
     WHERE ($1 = '' OR policy_id = $1) AND ($2 = '' OR policy_version = $2) ORDER BY id";

/// The ledger: every opening and accepted event, in time order (a ticket's lines in the order
/// they were accepted).
pub fn ledger_lines(
    state: &AppState,
    f: LedgerFilter,
) -> impl Stream<Item = Result<Bytes, io::Error>> + use<> {
    stream(lines(state, LEDGER, f.policy.unwrap_or_default(), f.version.unwrap_or_default()))
}

/// The stored tickets (the engine's ticket JSON, one per line, by id).
pub fn stored_tickets(
    state: &AppState,
    f: LedgerFilter,
) -> impl Stream<Item = Result<Bytes, io::Error>> + use<> {
    stream(lines(state, TICKETS, f.policy.unwrap_or_default(), f.version.unwrap_or_default()))
}

/// Reads the chunks of an export from a blocking thread.
struct ChunkReader {
    rx: Chunks,
    current: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// The period report of every ticket of a policy (whatever version it is on), replayed under one
/// version's rules (default: the latest), as `ombud report --format json` writes it.
pub async fn report(state: &AppState, p: ReportParams, period: Period) -> Result<Value, ApiError> {
    Ok(serde_json::to_value(build_report(state, p, period).await?)?)
}

/// The period report as the engine builds it (what [`report`] answers as JSON).
pub async fn build_report(
    state: &AppState,
    p: ReportParams,
    period: Period,
) -> Result<Report, ApiError> {
    let version = match p.version {
        Some(v) => v,
        None => state.policies.current(&state.store, &p.policy).await?,
    };
    // On the calendar the policy names, as the ledger's openings without a `calendar` were;
    // its `calendar` lines bring each ticket onto the deployed update they name.
    let engine = state.policies.engine_on(&state.store.read, &p.policy, &version, "").await?;
    let mut updates = Vec::new();
    let mut ids: Vec<String> = state.policies.calendars().by_id.into_keys().collect();
    ids.sort();
    for id in ids {
        let on = state.policies.engine_on(&state.store.read, &p.policy, &version, &id).await?;
        // Only the updates that stand in for the calendar this policy names.
        if engine::calendar_id(&on) == id {
            updates.push(on);
        }
    }
    let rx = lines(state, LEDGER, p.policy.clone(), String::new());
    let (seed, window) = (p.seed.unwrap_or(1), p.repeat_window_days.unwrap_or(30));
    let report = tokio::task::spawn_blocking(move || {
        let reader = BufReader::new(ChunkReader { rx, current: Bytes::new() });
        engine::report(&engine, &updates, reader, period, seed, window)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(report)
}
