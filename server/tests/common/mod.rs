//! What the server tests share: a database of their own (a SQLite file in a temporary directory,
//! or a PostgreSQL database created for the test and dropped after it), a server on a random
//! port of 127.0.0.1, an HTTP client, and a webhook receiver.
#![allow(dead_code, reason = "each test file uses part of the helpers")]

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use ombud_server::{Config, Server};
use serde_json::Value;
use sqlx::Executor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The environment variable naming the PostgreSQL server the tests may use.
pub const POSTGRES_VAR: &str = "OMBUD_TEST_POSTGRES";

/// A test database, removed when dropped.
pub struct Db {
    pub url: String,
    kind: Kind,
}

enum Kind {
    Sqlite(#[allow(dead_code, reason = "kept for its Drop")] tempfile::TempDir),
    Postgres { admin: String, name: String },
}

impl Db {
    /// A fresh SQLite file.
    pub fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("ombud.db").display().to_string();
        Db { url, kind: Kind::Sqlite(dir) }
    }

    /// A fresh PostgreSQL database on the server `OMBUD_TEST_POSTGRES` names, or `None` (and a
    /// note that the test was skipped) when the variable is not set. A server that cannot be
    /// reached fails the test.
    pub async fn postgres(test: &str) -> Option<Db> {
        let Some(admin) = std::env::var(POSTGRES_VAR).ok().filter(|v| !v.is_empty()) else {
            // Straight to stderr, past the test harness's capture: a skip must be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped {test} on PostgreSQL: {POSTGRES_VAR} is not set"
            );
            return None;
        };
        sqlx::any::install_default_drivers();
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let name = format!(
            "ombud_test_{}_{}_{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let pool = sqlx::AnyPool::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_VAR}={admin}: cannot connect: {e}"));
        pool.execute(format!("CREATE DATABASE \"{name}\"").as_str()).await.unwrap();
        pool.close().await;
        let url = with_database(&admin, &name);
        Some(Db { url, kind: Kind::Postgres { admin, name } })
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Kind::Postgres { admin, name } = &self.kind {
            let (admin, name) = (admin.clone(), name.clone());
            // Its own thread and runtime: drop may run inside the test's runtime.
            let _ = std::thread::spawn(move || {
                let rt =
                    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(pool) = sqlx::AnyPool::connect(&admin).await {
                        let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                        let _ = pool.execute(sql.as_str()).await;
                        pool.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// Runs an async test body on SQLite and, when `OMBUD_TEST_POSTGRES` is set, on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::common::Db::sqlite()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = super::common::Db::postgres(stringify!($name)).await {
                    super::$name(db).await;
                }
            }
        }
    )*};
}

/// A config for tests: any free port, quick timers and retries.
pub fn config(db: &Db) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        db: db.url.clone(),
        scheduler_tick: Duration::from_millis(50),
        outbox_tick: Duration::from_millis(50),
        retry: ombud_server::Retry {
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            max_attempts: 4,
            timeout: Duration::from_secs(5),
            lease: Duration::from_secs(30),
        },
        pool_size: 4,
        // The tests of the limit set their own; others present many wrong tokens on purpose.
        login_limit: ombud_server::LoginLimit {
            per_address: 10_000,
            global: 10_000,
            window: Duration::from_secs(3600),
        },
        ..Config::default()
    }
}

/// A config whose login limit allows `per_address` wrong tokens per client address and
/// `global` in all, in an hour (longer than any test).
pub fn limited(db: &Db, per_address: u32, global: u32) -> Config {
    Config {
        login_limit: ombud_server::LoginLimit {
            per_address,
            global,
            window: Duration::from_secs(3600),
        },
        ..config(db)
    }
}

/// An HTTP client whose connections come from `ip` (any 127.x.y.z address reaches the
/// server on 127.0.0.1), following no redirects.
pub fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A running server and a client for it.
pub struct Running {
    pub server: Server,
    pub base: String,
    pub client: reqwest::Client,
}

impl Running {
    pub async fn start(config: Config) -> Running {
        let server = ombud_server::start(config).await.unwrap();
        let base = format!("http://{}", server.addr());
        Running { server, base, client: reqwest::Client::new() }
    }

    /// The admin token issued at this start.
    pub fn admin(&self) -> String {
        self.server.admin_token().expect("an admin token on a new database").to_string()
    }

    /// Sends a request; the status and the body (JSON, or a string when it is not JSON).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, _, bytes) =
            self.raw(method, path, token, body.map(|b| b.to_string().into_bytes())).await;
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    /// Sends a request with a raw body; status, headers and body bytes.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> (StatusCode, HeaderMap, Bytes) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = req.send().await.unwrap();
        let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
        let mut headers = HeaderMap::new();
        for (k, v) in resp.headers() {
            headers.insert(
                axum::http::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
                axum::http::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
            );
        }
        (status, headers, resp.bytes().await.unwrap())
    }

    /// A token of `role` made by the admin.
    pub async fn token(&self, admin: &str, role: &str, name: &str) -> String {
        let (status, body) = self
            .call(
                "POST",
                "/v1/tokens",
                Some(admin),
                Some(serde_json::json!({"role": role, "name": name})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// Deploys a policy's YAML.
    pub async fn deploy(&self, admin: &str, yaml: &str) -> (StatusCode, Value) {
        let (status, _, bytes) = self
            .raw("POST", "/v1/policies?name=desk.yaml", Some(admin), Some(yaml.as_bytes().to_vec()))
            .await;
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    /// The ledger as text.
    pub async fn text(&self, path: &str, token: &str) -> String {
        let (status, _, bytes) = self.raw("GET", path, Some(token), None).await;
        assert_eq!(status, StatusCode::OK);
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}

/// A small policy on the plain weekday calendar with wall-clock limits, so timings do not
/// depend on the day: `open` (agent, 4 h; red flag at 50 %, escalation at 100 %), `closed`.
pub const DESK: &str = "\
policy: desk
version: '1'
calendar: weekdays
tiers: [agent, lead, head]
fields:
  channel: { type: enum, values: [phone, web] }
ladders:
  l:
    - { at: 50%, do: flag }
    - { at: 100%, do: escalate, to: next, mark: performance }
ladder: l
start: open
stages:
  open: { owner: agent, due: 4h, requires: [reply], on: { done: closed } }
  closed: { terminal: true }
";

/// Polls `check` every 50 ms until it holds or `secs` pass.
pub async fn eventually<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < until {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check().await
}

/// One request a webhook receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A webhook receiver on 127.0.0.1: answers 500 to its first `failures` requests, then 200.
pub struct Sink {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub failures: Arc<AtomicUsize>,
}

impl Sink {
    pub async fn start(failures: usize) -> Sink {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let failures = Arc::new(AtomicUsize::new(failures));
        let (r, f) = (received.clone(), failures.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (r, f) = (r.clone(), f.clone());
                async move {
                    r.lock().unwrap().push(Received { headers, body });
                    let failing = f
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if failing { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Sink { url, received, failures }
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}
