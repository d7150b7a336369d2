//! The database: SQLite (embedded, one file) or PostgreSQL, through sqlx's `Any` driver so every
//! query is written once. The few statements that differ (row locks) ask [`Dialect`].
//!
//! Schema migrations (`server/migrations/{sqlite,postgres}/`) run at start; on PostgreSQL sqlx
//! takes an advisory lock for them, so instances starting together migrate once.

use crate::Error;
use chrono::{DateTime, Utc};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor};
use std::borrow::Cow;
use std::time::Duration;

/// Which database the server runs on.
///
/// ```
/// assert_ne!(ombud_server::Dialect::Sqlite, ombud_server::Dialect::Postgres);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// An embedded SQLite file: one server process.
    Sqlite,
    /// PostgreSQL: any number of server processes.
    Postgres,
}

/// The connection pools. On SQLite every change goes through one connection (`write`), so
/// changes never wait on each other's locks; reads use a few more. On PostgreSQL both are the
/// same pool and row locks serialise changes to one ticket.
#[derive(Clone, Debug)]
pub struct Store {
    /// Pool for reads.
    pub read: AnyPool,
    /// Pool for changes.
    pub write: AnyPool,
    /// The database kind.
    pub dialect: Dialect,
}

impl Store {
    /// Connects to `url` (`postgres://…`, `sqlite:PATH`, or a bare file path for SQLite) and
    /// migrates the schema.
    pub async fn open(url: &str, pool_size: u32) -> Result<Store, Error> {
        install_default_drivers();
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = AnyPoolOptions::new()
                .max_connections(pool_size.max(2))
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            Store { read: pool.clone(), write: pool, dialect: Dialect::Postgres }
        } else {
            let url = sqlite_url(url);
            let options = || {
                AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30)).after_connect(
                    |conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            Ok(())
                        })
                    },
                )
            };
            let write = options().max_connections(1).connect(&url).await?;
            let read = options().max_connections(pool_size.clamp(1, 8)).connect(&url).await?;
            Store { read, write, dialect: Dialect::Sqlite }
        };
        store.migrator().run(&store.write).await?;
        Ok(store)
    }

    fn migrator(&self) -> Migrator {
        let steps: &[(i64, &str, &str, &str)] = &[
            (
                1,
                "init",
                include_str!("../migrations/sqlite/0001_init.sql"),
                include_str!("../migrations/postgres/0001_init.sql"),
            ),
            (
                2,
                "board sessions",
                include_str!("../migrations/sqlite/0002_board_sessions.sql"),
                include_str!("../migrations/postgres/0002_board_sessions.sql"),
            ),
        ];
        let migrations = steps
            .iter()
            .map(|&(version, description, sqlite, postgres)| {
                let sql = match self.dialect {
                    Dialect::Sqlite => sqlite,
                    Dialect::Postgres => postgres,
                };
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    false,
                )
            })
            .collect::<Vec<_>>();
        Migrator { migrations: Cow::Owned(migrations), ..Migrator::DEFAULT }
    }

    /// `SELECT … FROM tickets WHERE id = $1` that locks the row until the transaction ends
    /// (PostgreSQL), or the same without a lock (SQLite, where the one writing connection
    /// already serialises changes). `columns` is the select list.
    pub fn lock_ticket(&self, columns: &str, extra_condition: &str) -> String {
        let lock = match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        };
        format!("SELECT {columns} FROM tickets WHERE id = $1{extra_condition}{lock}")
    }

    /// As [`Store::lock_ticket`], but a row another transaction holds is skipped (PostgreSQL's
    /// `SKIP LOCKED`): for the timers, so each due ticket is advanced by one instance.
    pub fn lock_ticket_skip_locked(&self, columns: &str, extra_condition: &str) -> String {
        let lock = match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        format!("SELECT {columns} FROM tickets WHERE id = $1{extra_condition}{lock}")
    }
}

/// The sqlx URL of a SQLite database given as `sqlite:PATH`, `sqlite://PATH` or a bare path;
/// the file is created when missing.
fn sqlite_url(given: &str) -> String {
    let path = given.strip_prefix("sqlite://").or_else(|| given.strip_prefix("sqlite:"));
    let path = path.unwrap_or(given);
    if path.contains('?') { format!("sqlite:{path}") } else { format!("sqlite:{path}?mode=rwc") }
}

/// An instant as stored: milliseconds since 1970-01-01 UTC.
pub fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// A wake-up instant as stored: rounded up to the millisecond, so a timer never fires before
/// its instant.
pub fn wakeup_millis(at: DateTime<Utc>) -> i64 {
    let ms = at.timestamp_millis();
    if at.timestamp_subsec_nanos().is_multiple_of(1_000_000) { ms } else { ms + 1 }
}

/// A stored instant read back.
pub fn instant(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

/// Whether an error is a unique-key violation (a concurrent insert of the same key won).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}
