//! # ombud-server
//!
//! A complaint desk on a database: the Ombud engine's tickets stored in SQLite (one embedded
//! file) or PostgreSQL (any number of instances), with durable timers, idempotent event intake,
//! signed webhooks and a JSON API under `/v1`. `ombud serve` runs it; `docs/server.md` describes
//! it for users.
//!
//! Where to find what:
//!
//! - `engine`: every use of the engine crate (re-exports and small adapters)
//! - `store`: connections, dialects, schema migrations (`migrations/`)
//! - `tickets`: opening, events, timers, migrations, reads: one transaction per change
//! - `scheduler`: the timers; `outbox`: webhook delivery; `export`: ledger, tickets, report
//! - `policies`: deployed versions and their compiled engines
//! - `auth`: tokens and roles; `login_limit`: the limit on wrong tokens; `api`: the routes;
//!   `metrics`: Prometheus
//! - `board`: the staff's web page (templates in `templates/`, CSS and JS in `static/`)
//! - [`load`]: the load and fault run (`ombud-load`)
//!
//! ```no_run
//! # async fn run() -> Result<(), ombud_server::Error> {
//! let config = ombud_server::Config { db: "ombud.db".into(), ..Default::default() };
//! let server = ombud_server::start(config).await?;
//! println!("board: http://{}/", server.addr());
//! if let Some(token) = server.admin_token() {
//!     println!("admin token: {token}");
//! }
//! server.shutdown().await;
//! # Ok(()) }
//! ```

mod api;
mod auth;
mod board;
mod calendars;
mod engine;
mod error;
mod export;
pub mod load;
mod login_limit;
mod metrics;
mod outbox;
mod policies;
mod scheduler;
mod store;
mod tickets;

pub use api::RouteInfo;
pub use auth::Role;
pub use error::{ApiError, Error};
pub use login_limit::LoginLimit;
pub use outbox::{Retry, sign};
pub use store::Dialect;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How to run the server.
///
/// ```
/// let config = ombud_server::Config::default();
/// assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
/// assert_eq!(config.db, "ombud.db");
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on (port 0: any free port; [`Server::addr`] tells which).
    pub listen: SocketAddr,
    /// `postgres://…` for PostgreSQL; otherwise a SQLite file (`PATH` or `sqlite:PATH`).
    pub db: String,
    /// A directory of policies to deploy at start; `None` deploys the bundled ones.
    pub policies: Option<PathBuf>,
    /// Issue a new admin token at start even when the database has one.
    pub new_admin_token: bool,
    /// Run the timers (advance due tickets).
    pub timers: bool,
    /// How often the timers look for due tickets.
    pub scheduler_tick: Duration,
    /// Deliver webhooks.
    pub deliveries: bool,
    /// How often the deliverer looks for due deliveries.
    pub outbox_tick: Duration,
    /// Webhook retries.
    pub retry: Retry,
    /// The largest request body, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// Database connections.
    pub pool_size: u32,
    /// Failed logins allowed per client address and in all (counted by each instance).
    pub login_limit: LoginLimit,
    /// The server is reached only through a reverse proxy that serves it over HTTPS and
    /// appends the client's address to `X-Forwarded-For`: the board's cookies carry `Secure`,
    /// and the login limit counts the address the proxy appended.
    pub behind_https_proxy: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db: "ombud.db".into(),
            policies: None,
            new_admin_token: false,
            timers: true,
            scheduler_tick: Duration::from_secs(1),
            deliveries: true,
            outbox_tick: Duration::from_secs(1),
            retry: Retry::default(),
            max_body_bytes: 1024 * 1024,
            pool_size: 16,
            login_limit: LoginLimit::default(),
            behind_https_proxy: false,
        }
    }
}

/// What every request handler and background task shares.
pub(crate) struct Shared {
    pub(crate) store: store::Store,
    pub(crate) policies: policies::Policies,
    pub(crate) metrics: metrics::Metrics,
    pub(crate) limiter: login_limit::Limiter,
    pub(crate) config: Config,
}

/// A handle on [`Shared`].
#[derive(Clone)]
pub(crate) struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// A running server.
///
/// ```no_run
/// # async fn run() -> Result<(), ombud_server::Error> {
/// let config = ombud_server::Config { listen: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
/// let server = ombud_server::start(config).await?;
/// let port = server.addr().port(); // the port it found free
/// assert!(server.routes().iter().any(|r| r.path == "/v1/tickets"));
/// server.shutdown().await;
/// # Ok(()) }
/// ```
pub struct Server {
    addr: SocketAddr,
    admin_token: Option<String>,
    notes: Vec<String>,
    dialect: Dialect,
    routes: Vec<RouteInfo>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Server {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The admin token issued at this start (the first start of a database, or with
    /// [`Config::new_admin_token`]); shown once, stored only as a hash.
    pub fn admin_token(&self) -> Option<&str> {
        self.admin_token.as_deref()
    }

    /// What the start did (policies deployed, kept, warnings), one line each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The database it runs on.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Every route with the role it needs.
    pub fn routes(&self) -> &[RouteInfo] {
        &self.routes
    }

    /// Stops taking requests, lets those under way finish, stops the timers and the deliverer.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Connects to the database (migrating its schema), deploys the policies, issues the first
/// admin token, binds the address and starts serving, with the timers and the deliverer.
///
/// ```no_run
/// # async fn run() -> Result<(), ombud_server::Error> {
/// let config = ombud_server::Config {
///     db: "postgres://ombud@db.internal/ombud".into(),
///     ..Default::default()
/// };
/// let server = ombud_server::start(config).await?;
/// assert_eq!(server.dialect(), ombud_server::Dialect::Postgres);
/// # Ok(()) }
/// ```
pub async fn start(config: Config) -> Result<Server, Error> {
    let store = store::Store::open(&config.db, config.pool_size).await?;
    let policies = policies::Policies::default();
    policies.set_calendars(calendars::load(&store).await?);
    let notes = policies.deploy_at_start(&store, config.policies.as_deref()).await?;
    let admin = auth::bootstrap(&store, config.new_admin_token)
        .await
        .map_err(|e| Error::Other(format!("issuing the admin token: {}", e.body())))?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let dialect = store.dialect;
    let state = AppState(Arc::new(Shared {
        store,
        policies,
        metrics: metrics::Metrics::default(),
        limiter: login_limit::Limiter::new(config.login_limit),
        config: config.clone(),
    }));
    let (stop, stopped) = watch::channel(false);
    let (router, routes) = api::routes(state.clone());
    let mut tasks = Vec::new();
    let mut until_stopped = stopped.clone();
    tasks.push(tokio::spawn(async move {
        let app = router.into_make_service_with_connect_info::<SocketAddr>();
        let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = until_stopped.wait_for(|s| *s).await;
        });
        if let Err(e) = serving.await {
            eprintln!("error: serving: {e}");
        }
    }));
    if config.timers {
        tasks.push(tokio::spawn(scheduler::run(state.clone(), stopped.clone())));
    }
    if config.deliveries {
        tasks.push(tokio::spawn(outbox::run(state.clone(), stopped)));
    }
    Ok(Server { addr, admin_token: admin.map(|t| t.token), notes, dialect, routes, stop, tasks })
}

/// Runs the server until Ctrl-C or SIGTERM, on a runtime of its own; `ready` is called once it
/// listens (to print its address and admin token).
///
/// ```no_run
/// ombud_server::run(ombud_server::Config::default(), |server| {
///     println!("board: http://{}/", server.addr());
/// })?;
/// # Ok::<(), ombud_server::Error>(())
/// ```
pub fn run(config: Config, ready: impl FnOnce(&Server)) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let server = start(config).await?;
        ready(&server);
        shutdown_signal().await;
        server.shutdown().await;
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
