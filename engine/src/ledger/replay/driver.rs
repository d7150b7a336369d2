//! Reading the ledger and handing its lines to the workers: on the calling thread, or in
//! batches partitioned by ticket id over worker threads.

use super::figures::merge;
use super::worker::{Worker, WorkerOutput};
use super::{ReplayError, ReplayOptions, ReplayResult};
use crate::ledger::reader::{RawLines, TextLine, ticket_of};
use crate::ledger::report::{Report, ReportOptions};
use crate::ledger::tally::Tally;
use crate::ledger::{LineError, OnError};
use crate::runtime::Engine;
use std::io::BufRead;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

/// Lines sent to a worker at a time.
const BATCH: usize = 512;

/// Replays `input` under `engines` (one, or two to compare).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ombud_engine::ledger::{ReplayOptions, replay};
/// # let policy = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// # let engine = ombud_engine::runtime::Engine::new(
/// #     ombud_engine::load_policy_file(policy.as_ref()).unwrap().0.into());
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// let ledger = std::io::BufReader::new(std::fs::File::open(path)?);
/// let result = replay(&[engine], ledger, &ReplayOptions { threads: 2, ..Default::default() })?;
/// assert_eq!((result.figures[0].tickets, result.figures[0].closed), (11, 8));
/// # Ok(()) }
/// ```
pub fn replay<R: BufRead>(
    engines: &[Engine],
    input: R,
    options: &ReplayOptions,
) -> Result<ReplayResult, ReplayError> {
    run(engines, input, options, None).map(|(result, _)| result)
}

/// Replays `input` under `engine` and reports on it: the report
/// [`build_report`](crate::ledger::build_report) makes of the records a replay with
/// `keep_tickets` keeps, made without keeping them. Each ticket is folded into the report as it
/// finishes (and each one still open at the ledger's end then), so memory follows the open
/// tickets, not the ledger. The result keeps no records.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ombud_engine::ledger::{ReplayOptions, ReportOptions, build_report, replay, replay_report};
/// # let engine = ombud_engine::doc_support::reference();
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ledger/small.jsonl");
/// let ledger = std::fs::read(path)?;
/// let q3 = ReportOptions {
///     period: "2026-Q3".parse().unwrap(),
///     seed: 1,
///     repeat_window_secs: 30 * 86_400,
///     repeat_window: "30d".into(),
/// };
/// let options = ReplayOptions { threads: 2, ..ReplayOptions::default() };
/// let (result, report) = replay_report(&engine, &ledger[..], &options, &q3)?;
/// assert!(result.tickets.is_empty());
/// assert_eq!(report.repeats.repeats, 3);
/// let keep = ReplayOptions { keep_tickets: true, ..options };
/// let kept = replay(std::slice::from_ref(&engine), &ledger[..], &keep)?;
/// assert_eq!(report, build_report(engine.policy(), &kept.tickets, &q3));
/// # Ok(()) }
/// ```
pub fn replay_report<R: BufRead>(
    engine: &Engine,
    input: R,
    options: &ReplayOptions,
    report: &ReportOptions,
) -> Result<(ReplayResult, Report), ReplayError> {
    let (result, made) = run(std::slice::from_ref(engine), input, options, Some(report))?;
    let made = made.unwrap_or_else(|| Tally::new(engine.policy(), report).finish());
    Ok((result, made))
}

/// The replay, and with `report` the report.
fn run<R: BufRead>(
    engines: &[Engine],
    input: R,
    options: &ReplayOptions,
    report: Option<&ReportOptions>,
) -> Result<(ReplayResult, Option<Report>), ReplayError> {
    let first_error = AtomicU64::new(u64::MAX);
    let threads = options.threads.max(1);
    let mut lines = 0u64;
    let mut io_error = None;
    let mut reader = RawLines::new(input);
    let workers: Vec<Worker<'_>> = if threads == 1 {
        let mut w = Worker::new(engines, options, &first_error, report);
        while let Some(item) = reader.next_text() {
            match item {
                Err(e) => {
                    io_error = Some(e);
                    break;
                }
                Ok(Err(e)) => {
                    lines += 1;
                    w.error(e);
                }
                Ok(Ok((number, text))) => {
                    lines += 1;
                    if number > first_error.load(Ordering::Relaxed) {
                        break;
                    }
                    w.line(number, text);
                }
            }
        }
        vec![w]
    } else {
        std::thread::scope(|s| {
            let mut senders = Vec::with_capacity(threads);
            let mut handles = Vec::with_capacity(threads);
            for _ in 0..threads {
                let (tx, rx) = mpsc::sync_channel::<Batch>(4);
                senders.push(tx);
                let first_error = &first_error;
                handles.push(s.spawn(move || {
                    let mut w = Worker::new(engines, options, first_error, report);
                    for batch in rx {
                        batch.run(&mut w);
                    }
                    w
                }));
            }
            let mut batches: Vec<Batch> = (0..threads).map(|_| Batch::new()).collect();
            while let Some(item) = reader.next_text() {
                let item = match item {
                    Err(e) => {
                        io_error = Some(e);
                        break;
                    }
                    Ok(item) => item,
                };
                lines += 1;
                let slot = match &item {
                    Ok((number, text)) => {
                        if *number > first_error.load(Ordering::Relaxed) {
                            break;
                        }
                        ticket_of(text).map_or(0, |t| partition(&t, threads))
                    }
                    Err(_) => 0,
                };
                // INVARIANT: `partition` picks one of the `threads` batches.
                let batch = &mut batches[slot];
                batch.push(item);
                if batch.items.len() >= BATCH {
                    let full = std::mem::replace(batch, Batch::new());
                    // A worker that is gone has failed: reading on is of no use.
                    if senders.get(slot).is_none_or(|tx| tx.send(full).is_err()) {
                        break;
                    }
                }
            }
            for (tx, batch) in senders.iter().zip(batches) {
                if !batch.items.is_empty() {
                    let _ = tx.send(batch);
                }
            }
            drop(senders);
            join_all(handles)
        })?
    };
    if let Some(e) = io_error {
        return Err(ReplayError::Io(e));
    }
    let first = first_error.load(Ordering::Relaxed);
    if options.on_error == OnError::Fail && first != u64::MAX {
        let err = workers
            .iter()
            .flat_map(|w| w.errors.iter())
            .find(|e| e.line == first)
            .cloned()
            .unwrap_or(LineError { line: first, message: "malformed line".into() });
        return Err(ReplayError::Malformed(err));
    }
    let end = workers.iter().filter_map(|w| w.last_at).max();
    let mut outputs: Vec<WorkerOutput<'_>> = if workers.len() == 1 {
        workers.into_iter().map(|w| w.finish(end)).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> =
                workers.into_iter().map(|w| s.spawn(move || w.finish(end))).collect();
            join_all(handles)
        })?
    };
    let tally = outputs.iter_mut().filter_map(|o| o.tally.take()).reduce(|mut all, part| {
        all.merge(part);
        all
    });
    Ok((merge(engines, outputs, lines, end), tally.map(Tally::finish)))
}

/// What every worker thread returned; a thread that panicked fails the whole replay, since
/// figures without its tickets would be wrong.
fn join_all<T>(handles: Vec<std::thread::ScopedJoinHandle<'_, T>>) -> Result<Vec<T>, ReplayError> {
    let mut out = Vec::with_capacity(handles.len());
    let mut failure = None;
    for h in handles {
        match h.join() {
            Ok(t) => out.push(t),
            Err(panic) => {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "it panicked".to_string());
                failure.get_or_insert(why);
            }
        }
    }
    match failure {
        Some(why) => Err(ReplayError::Worker(why)),
        None => Ok(out),
    }
}

/// Lines on their way to one worker: their text in one buffer, so that a line costs no
/// allocation of its own (and no free on another thread).
struct Batch {
    text: String,
    items: Vec<BatchItem>,
}

enum BatchItem {
    /// Line `number` is `text[start..end]`.
    Line { number: u64, start: usize, end: usize },
    /// A line that could not be read.
    Error(LineError),
}

impl Batch {
    fn new() -> Self {
        // An event line is about a hundred bytes; an opening's longer lines grow the buffer once.
        Batch { text: String::with_capacity(BATCH * 128), items: Vec::with_capacity(BATCH) }
    }

    fn push(&mut self, item: TextLine<'_>) {
        self.items.push(match item {
            Ok((number, text)) => {
                let start = self.text.len();
                self.text.push_str(text);
                BatchItem::Line { number, start, end: self.text.len() }
            }
            Err(e) => BatchItem::Error(e),
        });
    }

    /// Hands every line, in order, to `worker`.
    fn run(self, worker: &mut Worker<'_>) {
        for item in self.items {
            match item {
                BatchItem::Line { number, start, end } => {
                    // INVARIANT: `push` recorded where it put the line in `text`.
                    worker.line(number, &self.text[start..end]);
                }
                BatchItem::Error(e) => worker.error(e),
            }
        }
    }
}

/// Which worker handles ticket `id` (FNV-1a of the id).
fn partition(id: &str, threads: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % threads as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A worker thread that fails makes the replay an error, whatever the others returned: no
    /// figures are made from part of the tickets.
    #[test]
    fn a_failed_worker_fails_the_replay() {
        let joined = std::thread::scope(|s| {
            let fine = s.spawn(|| 1);
            let failed = s.spawn(|| -> i32 { std::panic::panic_any("worker 2 gave up") });
            join_all(vec![fine, failed])
        });
        let Err(ReplayError::Worker(why)) = joined else { panic!("a worker failed: {joined:?}") };
        assert_eq!(why, "worker 2 gave up");
        let joined = std::thread::scope(|s| join_all(vec![s.spawn(|| 1), s.spawn(|| 2)]));
        assert_eq!(joined.ok(), Some(vec![1, 2]));
    }
}
