//! The load and fault run (`ombud-load`): real `ombud serve` processes on 127.0.0.1, thousands
//! of tickets and tens of thousands of events sent concurrently, ladder steps and breaches
//! falling due throughout, one instance killed with SIGKILL in the middle and started again;
//! then every check of [`check`](self) on what the servers exported. Bounded in count and
//! time, it stops by itself.
//!
//! The phases of a run:
//!
//! 1. A database of its own (a SQLite file, or a PostgreSQL database created for the run and
//!    dropped after it), one or more `ombud serve` on it with the load policy
//!    ([`POLICY`]: wall-clock limits of minutes), a webhook sink, an agent token.
//! 2. Every ticket is opened, dated so that its deadline falls a little later (from a tenth
//!    of [`Options::spread`] to all of it): its ladder steps and breach fall due while the
//!    events are sent, some at once (the scheduler catches up), most later.
//! 3. The events, from [`Options::clients`] concurrent clients, each ticket's in order, dated
//!    by the client's clock. When [`Options::kill_after`] of them are answered, instance 0 is
//!    killed (SIGKILL) and started again a second later; clients send every request whose
//!    answer was lost again, with the same id, to any live instance.
//! 4. Once every deadline has passed and no ticket is due, the held-back last events of some
//!    tickets (so that the ledger ends after every ladder step), then the wait until every
//!    webhook delivery is done.
//! 5. The exports (`GET /v1/ledger`, `GET /v1/ledger/tickets`, every ticket's timeline), the
//!    servers stopped with SIGTERM, and the checks: the answers against the ledger, the engine
//!    alone against the stored tickets and timelines, the deliveries against the actions,
//!    `ombud replay` and `ombud audit verify` on the export.

mod check;
mod client;
mod instances;
mod script;
mod sink;

use check::{Evidence, SentEvent};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use client::{Answer, Api, Endpoints};
use futures_util::StreamExt;
use instances::{Database, Instance, Launch};
use reqwest::Method;
use script::{DUE, Shape, TicketScript};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The policy the load runs under: `open` (2 minutes; red flag at 90 %, the lead notified at
/// 95 %, escalation and breach at 100 %), `answered` (no limit), `closed`.
///
/// ```
/// assert!(ombud_server::load::POLICY.starts_with("# The policy of the load generator"));
/// ```
pub const POLICY: &str = include_str!("policy.yaml");

/// What a load run does.
///
/// ```
/// let options = ombud_server::load::Options::default();
/// assert_eq!((options.tickets, options.events, options.instances), (3000, 30_000, 1));
/// assert!(options.kill);
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    /// The `ombud` binary to run as `ombud serve`.
    pub ombud: PathBuf,
    /// A PostgreSQL server on this machine (`postgres://root@127.0.0.1:5432/test`) to create
    /// the run's database on; `None` runs on a SQLite file.
    pub postgres: Option<String>,
    /// Server instances on the database (more than one needs PostgreSQL).
    pub instances: usize,
    /// Tickets opened.
    pub tickets: usize,
    /// Events accepted (the script's refused events and repeats come on top).
    pub events: usize,
    /// Concurrent clients.
    pub clients: usize,
    /// Deadlines fall up to this long after their ticket's opening.
    pub spread: Duration,
    /// Kill instance 0 with SIGKILL mid-run and start it again.
    pub kill: bool,
    /// The share of the events answered when instance 0 is killed.
    pub kill_after: f64,
    /// The share of webhook deliveries whose first attempt the sink answers with 500.
    pub sink_failures: f64,
    /// The run gives up after this long.
    pub time_limit: Duration,
    /// Seed of the scripts.
    pub seed: u64,
    /// Keep the run's files (database, exports, server logs) in this directory; by default
    /// they go to a temporary directory, removed after a run that passed.
    pub keep: Option<PathBuf>,
    /// Print each phase's end on standard error.
    pub progress: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ombud: PathBuf::from("ombud"),
            postgres: None,
            instances: 1,
            tickets: 3000,
            events: 30_000,
            clients: 32,
            spread: Duration::from_secs(20),
            kill: true,
            kill_after: 0.4,
            sink_failures: 0.02,
            time_limit: Duration::from_secs(900),
            seed: 1,
            keep: None,
            progress: true,
        }
    }
}

/// When an instance was killed.
///
/// ```
/// let kill = ombud_server::load::Kill { after_seconds: 8.0, down_seconds: 1.0 };
/// assert!(kill.after_seconds > kill.down_seconds);
/// ```
#[derive(Clone, Debug)]
pub struct Kill {
    /// Seconds into the events when the SIGKILL was sent.
    pub after_seconds: f64,
    /// Seconds until the instance listened again.
    pub down_seconds: f64,
}

/// What a run measured and found.
///
/// ```no_run
/// let report = ombud_server::load::run(&ombud_server::load::Options::default()).unwrap();
/// println!("{report}");
/// assert!(report.passed(), "{:?}", report.problems);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// `SQLite` or `PostgreSQL`.
    pub database: String,
    /// Server instances.
    pub instances: usize,
    /// Tickets opened.
    pub tickets: usize,
    /// Events accepted (answered 200, each once).
    pub accepted: u64,
    /// Events refused as the script expects (422).
    pub refused: u64,
    /// Events refused `out_of_order` because a ladder step fired between the client dating them
    /// and the server taking them, sent again with a new id and date.
    pub out_of_order: u64,
    /// Requests sent again after a lost answer (a killed instance, a timeout, a 5xx).
    pub resent: u64,
    /// Seconds from the first event to the last one before the tail.
    pub load_seconds: f64,
    /// Accepted events per second over `load_seconds`.
    pub accepted_per_second: f64,
    /// Latency of accepted events, from the first attempt to the answer: median, 99th
    /// percentile, largest (milliseconds).
    pub latency_ms: [f64; 3],
    /// The kill, if there was one.
    pub killed: Option<Kill>,
    /// Ladder steps and breaches fired, by kind.
    pub fired: BTreeMap<String, u64>,
    /// Actions the engine produced.
    pub actions: u64,
    /// Distinct delivery ids the webhook sink received, and its requests in all.
    pub deliveries: (u64, u64),
    /// Ledger lines exported, and how fast `ombud replay` replayed them (lines per second).
    pub replay: (u64, f64),
    /// `uptime` before the run (the machine's load).
    pub uptime: String,
    /// Where the run's files are (kept after a failed run).
    pub dir: PathBuf,
    /// Every problem the checks found; empty when the run passed.
    pub problems: Vec<String>,
}

impl Report {
    /// Whether every check passed.
    ///
    /// ```
    /// assert!(ombud_server::load::Report::default().passed());
    /// ```
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [p50, p99, max] = self.latency_ms;
        writeln!(
            f,
            "{} with {} instance{}: {} tickets, {} events accepted in {:.1} s: {:.0} events/s; \
             latency p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.0} ms",
            self.database,
            self.instances,
            if self.instances == 1 { "" } else { "s" },
            self.tickets,
            self.accepted,
            self.load_seconds,
            self.accepted_per_second,
        )?;
        writeln!(
            f,
            "refused as expected {}, refused out of order and sent again {}, requests sent \
             again after a lost answer {}",
            self.refused, self.out_of_order, self.resent
        )?;
        if let Some(k) = &self.killed {
            writeln!(
                f,
                "instance 0 killed (SIGKILL) {:.1} s into the events, listening again {:.1} s later",
                k.after_seconds, k.down_seconds
            )?;
        }
        let fired: Vec<String> = self.fired.iter().map(|(k, n)| format!("{k} {n}")).collect();
        writeln!(
            f,
            "fired: {}; actions {}, delivered under {} ids in {} requests",
            fired.join(", "),
            self.actions,
            self.deliveries.0,
            self.deliveries.1
        )?;
        let (lines, rate) = self.replay;
        let ratio =
            if self.accepted_per_second > 0.0 { rate / self.accepted_per_second } else { 0.0 };
        writeln!(
            f,
            "ombud replay of the export: {lines} lines at {rate:.0} lines/s ({ratio:.0} × the \
             server's accepted events/s)"
        )?;
        writeln!(f, "machine load before the run: {}", self.uptime)?;
        if self.problems.is_empty() {
            writeln!(f, "every check passed")
        } else {
            for problem in &self.problems {
                writeln!(f, "problem: {problem}")?;
            }
            writeln!(
                f,
                "{} problems; the run's files are in {}",
                self.problems.len(),
                self.dir.display()
            )
        }
    }
}

/// Runs a load and fault run on a runtime of its own and checks it. `Err` when it could not
/// run (a server that did not start, the time limit); the checks' findings are in
/// [`Report::problems`].
///
/// ```no_run
/// use ombud_server::load::{Options, run};
/// let options = Options {
///     ombud: "target/release/ombud".into(),
///     postgres: Some("postgres://root@127.0.0.1:5432/test".into()),
///     instances: 2,
///     ..Options::default()
/// };
/// let report = run(&options)?;
/// assert!(report.passed());
/// # Ok::<(), String>(())
/// ```
pub fn run(options: &Options) -> Result<Report, String> {
    if options.instances == 0 || options.tickets == 0 || options.clients == 0 {
        return Err("a run needs at least one instance, one ticket and one client".into());
    }
    if options.instances > 1 && options.postgres.is_none() {
        return Err("several instances need PostgreSQL (SQLite runs one server per file)".into());
    }
    if options.spread > Duration::from_secs(100) {
        return Err(
            "the spread of deadlines is at most 100 s (the policy's limit is 2 minutes)".into()
        );
    }
    // Runs in one process (tests) get names of their own.
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let run_id =
        format!("{}_{}", Utc::now().timestamp_micros(), RUNS.fetch_add(1, Ordering::Relaxed));
    let (dir, temporary) = match &options.keep {
        Some(dir) => (dir.clone(), false),
        None => {
            let name = format!("ombud-load-{}-{run_id}", std::process::id());
            (std::env::temp_dir().join(name), true)
        }
    };
    std::fs::create_dir_all(dir.join("policies")).map_err(|e| format!("{}: {e}", dir.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + options.time_limit;
    let name = format!("ombud_load_{}_{run_id}", std::process::id());
    let result = runtime.block_on(async {
        match tokio::time::timeout(options.time_limit, run_async(options, &dir, &name, deadline))
            .await
        {
            Ok(result) => result,
            Err(_) => Err(format!("the run did not finish within {:?}", options.time_limit)),
        }
    });
    drop(runtime);
    match result {
        Ok(mut report) => {
            report.dir = dir.clone();
            if report.passed() && temporary {
                let _ = std::fs::remove_dir_all(&dir);
            }
            Ok(report)
        }
        Err(e) => Err(format!("{e} (the run's files are in {})", dir.display())),
    }
}

/// A client's tickets as it runs them.
struct Own {
    script: TicketScript,
    /// The instant of the last request dated for it.
    last_at: DateTime<Utc>,
    /// Event ids used.
    ids: u64,
}

/// What a client saw.
#[derive(Default)]
struct Seen {
    openings: Vec<(String, u16)>,
    events: Vec<SentEvent>,
    latencies: Vec<Duration>,
    out_of_order: u64,
    /// The latest deadline of its tickets.
    last_deadline: Option<DateTime<Utc>>,
}

/// What every client shares.
struct Shared {
    api: Api,
    /// Events answered so far (for the kill).
    answered: AtomicU64,
    /// Set once the events before the tail are all answered.
    done: AtomicBool,
    /// When the events began.
    events_from: OnceLock<Instant>,
}

async fn run_async(
    o: &Options,
    dir: &Path,
    db_name: &str,
    deadline: Instant,
) -> Result<Report, String> {
    let started = Instant::now();
    let note = |what: &str| {
        if o.progress {
            eprintln!("ombud-load: {:6.1} s  {what}", started.elapsed().as_secs_f64());
        }
    };
    let uptime = Command::new("uptime")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_default();
    let policies = dir.join("policies");
    std::fs::write(policies.join("load.yaml"), POLICY).map_err(|e| e.to_string())?;
    let mut db = match &o.postgres {
        None => Database::sqlite(dir),
        Some(url) => Database::postgres(url, db_name).await?,
    };
    let secret = crate::auth::random_hex(16).map_err(|e| e.body().to_string())?;
    let sink = sink::Sink::start(&secret, o.sink_failures).await?;
    let launch = |i: usize| Launch {
        ombud: o.ombud.clone(),
        db: db.url.clone(),
        policies: policies.clone(),
        log: dir.join(format!("server-{i}.log")),
    };
    let mut servers = vec![Instance::start(launch(0)).await?];
    let admin = servers[0].admin_token.clone().ok_or("the first start printed no admin token")?;
    for i in 1..o.instances {
        servers.push(Instance::start(launch(i)).await?);
    }
    let endpoints = Arc::new(Endpoints::new(servers.iter().map(|s| s.url.clone()).collect()));
    note(&format!(
        "{} × ombud serve on {}",
        servers.len(),
        if o.postgres.is_some() { "PostgreSQL" } else { "SQLite" }
    ));
    let admin_api = Api::new(&admin, endpoints.clone(), deadline)?;
    let hook = json!({"url": sink.url, "secret": secret}).to_string();
    expect(admin_api.send(Method::POST, "/v1/webhooks", Some(&hook), 0).await?, 201, "webhook")?;
    let token = json!({"role": "agent", "name": "load"}).to_string();
    let made =
        expect(admin_api.send(Method::POST, "/v1/tokens", Some(&token), 0).await?, 201, "token")?;
    let agent = made["token"].as_str().ok_or("no token in the answer")?.to_string();

    let shape = Shape { tickets: o.tickets, events: o.events, spread: o.spread, seed: o.seed };
    let mut owned: Vec<Vec<Own>> = (0..o.clients).map(|_| Vec::new()).collect();
    let before = Utc::now() - TimeDelta::hours(1);
    for (i, script) in script::scripts(shape).into_iter().enumerate() {
        owned[i % o.clients].push(Own { script, last_at: before, ids: 0 });
    }
    let planned: u64 = owned.iter().flatten().map(|t| t.script.tail_from as u64).sum();
    let shared = Arc::new(Shared {
        api: admin_api.with_token(&agent),
        answered: AtomicU64::new(0),
        done: AtomicBool::new(false),
        events_from: OnceLock::new(),
    });

    // The kill, watched from beside the clients.
    let victim = servers.remove(0);
    let killer = {
        let shared = shared.clone();
        let endpoints = endpoints.clone();
        let launch0 = launch(0);
        let threshold = (planned as f64 * o.kill_after.clamp(0.0, 1.0)) as u64;
        let (kill, progress) = (o.kill, o.progress);
        tokio::spawn(async move {
            let mut victim = victim;
            loop {
                if shared.done.load(Ordering::Acquire) || !kill {
                    return Ok::<_, String>((victim, None));
                }
                if shared.answered.load(Ordering::Relaxed) >= threshold {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let after = shared.events_from.get().map_or(0.0, |t| t.elapsed().as_secs_f64());
            victim.kill()?;
            if progress {
                eprintln!("ombud-load: instance 0 killed (SIGKILL) {after:.1} s into the events");
            }
            endpoints.set(0, None);
            let down = Instant::now();
            tokio::time::sleep(Duration::from_secs(1)).await;
            let again = Instance::start(launch0).await?;
            endpoints.set(0, Some(again.url.clone()));
            let kill = Kill { after_seconds: after, down_seconds: down.elapsed().as_secs_f64() };
            Ok((again, Some(kill)))
        })
    };

    // Openings, then events.
    let barrier = Arc::new(tokio::sync::Barrier::new(o.clients));
    let mut tasks = Vec::new();
    for (c, mine) in owned.into_iter().enumerate() {
        let (shared, barrier) = (shared.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = mine;
            let mut seen = Seen::default();
            let opened = open_all(&shared, c, &mut mine, &mut seen).await;
            if barrier.wait().await.is_leader() {
                let _ = shared.events_from.set(Instant::now());
            }
            opened?;
            send_rounds(&shared, c, &mut mine, &mut seen, false).await?;
            Ok::<_, String>((mine, seen))
        }));
    }
    let mut clients = Vec::new();
    for task in tasks {
        clients.push(task.await.map_err(|e| e.to_string())??);
    }
    let load_seconds = shared.events_from.get().map_or(0.0, |t| t.elapsed().as_secs_f64());
    shared.done.store(true, Ordering::Release);
    let (restarted, killed) = killer.await.map_err(|e| e.to_string())??;
    servers.insert(0, restarted);
    if o.kill && killed.is_none() {
        return Err("the events were all answered before the kill".into());
    }
    let accepted_in_load: u64 =
        clients.iter().flat_map(|(_, seen)| &seen.events).filter(|e| e.status == 200).count()
            as u64;

    note(&format!("{accepted_in_load} events accepted in {load_seconds:.1} s"));

    // Every deadline passed and nothing due: then the tail.
    let last_deadline = clients.iter().filter_map(|(_, s)| s.last_deadline).max();
    if let Some(last) = last_deadline {
        let wait = (last - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(1500);
        tokio::time::sleep(wait).await;
    }
    wait_for(&shared.api, "ombud_due_tickets", deadline).await?;
    note("every deadline passed, no ticket due");
    let mut tail = Vec::new();
    for (c, (mine, seen)) in clients.into_iter().enumerate() {
        let shared = shared.clone();
        tail.push(tokio::spawn(async move {
            let (mut mine, mut seen) = (mine, seen);
            send_rounds(&shared, c, &mut mine, &mut seen, true).await?;
            Ok::<_, String>(seen)
        }));
    }
    let mut seen = Seen::default();
    for task in tail {
        let s = task.await.map_err(|e| e.to_string())??;
        seen.openings.extend(s.openings);
        seen.events.extend(s.events);
        seen.latencies.extend(s.latencies);
        seen.out_of_order += s.out_of_order;
    }
    note("the held-back events sent");
    wait_for(&shared.api, "ombud_pending_deliveries", deadline).await?;
    note("every webhook delivery done");

    // The exports.
    let viewer = &shared.api;
    let source = viewer.text("/v1/policies/load/versions/1").await?;
    let ledger = viewer.text("/v1/ledger?policy=load").await?;
    let store = viewer.text("/v1/ledger/tickets?policy=load").await?;
    let metrics = viewer.text("/metrics").await?;
    let ids: Vec<String> = seen.openings.iter().map(|(id, _)| id.clone()).collect();
    let timelines: HashMap<String, Vec<Value>> = futures_util::stream::iter(ids)
        .map(|id| async {
            let answer = viewer.send(Method::GET, &format!("/v1/tickets/{id}"), None, 0).await;
            (id, answer)
        })
        .buffer_unordered(8)
        .filter_map(|(id, answer)| async move {
            let rows = answer.ok()?.body.get("timeline")?.as_array()?.clone();
            Some((id, rows))
        })
        .collect()
        .await;
    let (policy_file, ledger_file, store_file) =
        (dir.join("policy.yaml"), dir.join("ledger.jsonl"), dir.join("store.jsonl"));
    for (path, text) in [(&policy_file, &source), (&ledger_file, &ledger), (&store_file, &store)] {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let mut problems = Vec::new();
    if metric(&metrics, "ombud_dead_deliveries").unwrap_or(0.0) > 0.0 {
        problems.push("webhook deliveries ended as dead letters".to_string());
    }
    for (i, server) in servers.into_iter().enumerate() {
        if !server.stop().await? {
            problems.push(format!("instance {i} did not stop cleanly on SIGTERM"));
        }
    }
    let received_log = sink.received.clone();
    sink.stop();
    db.drop_now().await?;

    note("exported and stopped");

    // The checks.
    let compiled = crate::engine::compile_policy("load.yaml", &source, None)
        .map_err(|d| format!("the exported policy does not compile: {} diagnostics", d.len()))?;
    let received = std::mem::take(&mut *received_log.lock().map_err(|e| e.to_string())?);
    let verdict = tokio::task::block_in_place(|| {
        check::check(&Evidence {
            engine: &compiled.engine,
            ledger: &ledger,
            store: &store,
            timelines: &timelines,
            openings: &seen.openings,
            events: &seen.events,
            received: &received,
        })
    });
    problems.extend(verdict.problems.iter().cloned());
    note("checked");
    let replay = cli_checks(o, &policy_file, &ledger_file, &store_file, &verdict, &mut problems);

    let mut latencies = seen.latencies;
    latencies.sort();
    let pick = |q: f64| {
        let i = ((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let refused = seen.events.iter().filter(|e| e.status == 422).count() as u64;
    Ok(Report {
        database: if o.postgres.is_some() { "PostgreSQL" } else { "SQLite" }.to_string(),
        instances: o.instances,
        tickets: seen.openings.len(),
        accepted: seen.events.iter().filter(|e| e.status == 200).count() as u64,
        refused,
        out_of_order: seen.out_of_order,
        resent: shared.api.resent.load(Ordering::Relaxed),
        load_seconds,
        accepted_per_second: accepted_in_load as f64 / load_seconds.max(1e-9),
        latency_ms: [
            pick(0.5),
            pick(0.99),
            latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
        ],
        killed,
        fired: verdict.fired.clone(),
        actions: verdict.actions,
        deliveries: (
            received.deliveries.len() as u64,
            received.deliveries.values().map(|d| u64::from(d.attempts)).sum(),
        ),
        replay,
        uptime,
        dir: dir.to_path_buf(),
        problems,
    })
}

/// The body of an answer with the expected status, or why not.
fn expect(answer: Answer, status: u16, what: &str) -> Result<Value, String> {
    if answer.status == status {
        Ok(answer.body)
    } else {
        Err(format!("{what}: answered {} {}", answer.status, answer.body))
    }
}

/// An instant as the clients send it: RFC 3339 in UTC, to the millisecond.
fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The next instant to date a ticket's request with: now, and after the ticket's last one.
fn next_instant(own: &mut Own) -> DateTime<Utc> {
    let now = Utc::now();
    let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
    let at = now.max(own.last_at + TimeDelta::milliseconds(1));
    own.last_at = at;
    at
}

/// Opens the client's tickets, each dated so that its deadline falls `lead` from now.
async fn open_all(
    shared: &Shared,
    c: usize,
    mine: &mut [Own],
    seen: &mut Seen,
) -> Result<(), String> {
    let due = TimeDelta::from_std(DUE).map_err(|e| e.to_string())?;
    for own in mine.iter_mut() {
        let lead = TimeDelta::from_std(own.script.lead).map_err(|e| e.to_string())?;
        let at = next_instant(own) - due + lead;
        let body = json!({
            "policy": "load",
            "id": own.script.id,
            "at": stamp(at),
            "fields": own.script.fields,
        })
        .to_string();
        let answer = shared.api.send(Method::POST, "/v1/tickets", Some(&body), c).await?;
        seen.openings.push((own.script.id.clone(), answer.status));
        seen.last_deadline = seen.last_deadline.max(Some(at + due));
    }
    Ok(())
}

/// Sends the client's events round by round (one event of each ticket per round), before the
/// tail or (`tail`) the tail.
async fn send_rounds(
    shared: &Shared,
    c: usize,
    mine: &mut [Own],
    seen: &mut Seen,
    tail: bool,
) -> Result<(), String> {
    let rounds = mine.iter().map(|t| t.script.steps.len()).max().unwrap_or(0);
    for round in 0..rounds {
        for own in mine.iter_mut() {
            let in_tail = round >= own.script.tail_from;
            if round >= own.script.steps.len() || in_tail != tail {
                continue;
            }
            send_event(shared, c, own, round, seen).await?;
            shared.answered.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(())
}

/// Sends one event of a script (and, for a step sent twice, its repeat); one refused
/// `out_of_order` goes again with a new id and date.
async fn send_event(
    shared: &Shared,
    c: usize,
    own: &mut Own,
    round: usize,
    seen: &mut Seen,
) -> Result<(), String> {
    let step = own.script.steps[round].clone();
    let path = format!("/v1/tickets/{}/events", own.script.id);
    loop {
        let at = next_instant(own);
        own.ids += 1;
        let mut event = step.event.clone();
        event["at"] = stamp(at).into();
        event["by"] = format!("client-{c}").into();
        let mut body = event.clone();
        body["id"] = own.ids.to_string().into();
        let body = body.to_string();
        let answer = shared.api.send(Method::POST, &path, Some(&body), c).await?;
        if answer.status == 422 && answer.body["code"] == "out_of_order" && step.refused.is_none() {
            seen.out_of_order += 1;
            continue;
        }
        let again = if step.twice {
            let a = shared.api.send(Method::POST, &path, Some(&body), c + 1).await?;
            Some((a.status, a.body))
        } else {
            None
        };
        if answer.status == 200 {
            seen.latencies.push(answer.latency);
        }
        seen.events.push(SentEvent {
            ticket: own.script.id.clone(),
            event,
            status: answer.status,
            answer: answer.body,
            refused: step.refused,
            again,
        });
        return Ok(());
    }
}

/// A metric's value in OpenMetrics text.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Waits until the database-wide gauge `name` reads 0.
async fn wait_for(api: &Api, name: &str, deadline: Instant) -> Result<(), String> {
    loop {
        let text = api.text("/metrics").await?;
        match metric(&text, name) {
            Some(0.0) => return Ok(()),
            Some(_) => {}
            None => return Err(format!("the metrics have no `{name}`")),
        }
        if Instant::now() > deadline {
            return Err(format!("`{name}` did not come down to 0 before the run's time was up"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `ombud replay` and `ombud audit verify` on the export; the replayed lines and lines/s.
fn cli_checks(
    o: &Options,
    policy: &Path,
    ledger: &Path,
    store: &Path,
    verdict: &check::Verdict,
    problems: &mut Vec<String>,
) -> (u64, f64) {
    let (p, l, s) = (policy.as_os_str(), ledger.as_os_str(), store.as_os_str());
    let replay = Command::new(&o.ombud)
        .args(["replay", "--format", "json", "--on-error", "fail", "--policy"])
        .arg(p)
        .arg("--ledger")
        .arg(l)
        .output();
    let mut measured = (0, 0.0);
    match replay {
        Err(e) => problems.push(format!("ombud replay: {e}")),
        Ok(out) if !out.status.success() => problems
            .push(format!("ombud replay failed: {}", String::from_utf8_lossy(&out.stderr).trim())),
        Ok(out) => {
            let figures: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
            let f = &figures["figures"][0];
            let want = [
                ("tickets", o.tickets as u64),
                ("applied", verdict.lines),
                ("rejected", 0),
                ("closed", verdict.closed),
                ("breaches", verdict.breaches),
                ("escalations", verdict.escalations),
                ("flags", verdict.flags),
            ];
            for (name, value) in want {
                if f[name].as_u64() != Some(value) {
                    problems.push(format!(
                        "ombud replay of the export: `{name}` is {}, the database holds {value}",
                        f[name]
                    ));
                }
            }
            // "replayed N lines in X s: Y lines/s on …"
            let stderr = String::from_utf8_lossy(&out.stderr);
            let rate = stderr
                .split(" lines/s")
                .next()
                .and_then(|head| head.rsplit(' ').next())
                .and_then(|n| n.parse::<f64>().ok());
            measured = (figures["lines"].as_u64().unwrap_or(0), rate.unwrap_or(0.0));
        }
    }
    let verify = Command::new(&o.ombud)
        .args(["audit", "verify", "--policy"])
        .arg(p)
        .arg(l)
        .arg("--tickets")
        .arg(s)
        .output();
    match verify {
        Err(e) => problems.push(format!("ombud audit verify: {e}")),
        Ok(out) if !out.status.success() => problems.push(format!(
            "ombud audit verify failed: {}{}",
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => {}
    }
    measured
}
