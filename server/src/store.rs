//! The database: SQLite (embedded, one file) or PostgreSQL, through sqlx's `Any` driver so every
//! query is written once. The few statements that differ (row locks) ask [`Dialect`].
//!
//! Schema migrations (`server/migrations/{sqlite,postgres}/`) run at start; on PostgreSQL sqlx
//! takes an advisory lock for them, so instances starting together migrate once.
//!
//! A change (an opening, an event, a timer firing) runs through [`Store::change`]. On
//! PostgreSQL it is a transaction of its own: concurrent transactions on their own connections,
//! whose commits PostgreSQL flushes to disk together. On SQLite, which has one writer and
//! syncs the disk at every commit, changes are committed in groups: the changes waiting when
//! the writer is free run one after another in one transaction, each inside a savepoint of its
//! own (a change that fails is rolled back alone, the others stand), and one commit — one sync
//! — makes them all durable. Each change is answered only after that commit.

use crate::Error;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};
use std::borrow::Cow;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The most changes one SQLite transaction commits together.
const GROUP: usize = 256;

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
    /// Where changes queue for group commit (SQLite).
    group: Option<mpsc::UnboundedSender<Job>>,
}

/// A change queued for group commit: it runs on the writing connection inside the group's
/// transaction and says whether its writes stand.
type Job = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Ran> + Send>;

/// A queued change that ran: whether its writes stand, and its answer, given once the group's
/// transaction committed (`Ok`) or failed (`Err`, why).
struct Ran {
    keep: bool,
    answer: Answer,
}

/// Answers a queued change once its group's commit succeeded (`Ok`) or failed (`Err`, why).
type Answer = Box<dyn FnOnce(Result<(), &str>) + Send>;

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
            Store { read: pool.clone(), write: pool, dialect: Dialect::Postgres, group: None }
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
            let (group, jobs) = mpsc::unbounded_channel();
            tokio::spawn(commit_in_groups(write.clone(), jobs));
            Store { read, write, dialect: Dialect::Sqlite, group: Some(group) }
        };
        store.migrator().run(&store.write).await?;
        Ok(store)
    }

    /// Runs `change` in a transaction and commits it: an `Err` from it rolls back what it
    /// wrote. On SQLite it is committed together with the changes queued beside it (see the
    /// module's description); either way the answer comes after the commit.
    pub(crate) async fn change<T, E, F>(&self, change: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
    {
        let Some(group) = &self.group else {
            let mut tx = self.write.begin().await?;
            let value = change(&mut tx).await?;
            tx.commit().await?;
            return Ok(value);
        };
        let (answer, answered) = oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                let result = change(conn).await;
                let keep = result.is_ok();
                let answer: Answer = Box::new(move |committed: Result<(), &str>| {
                    let result = match (committed, result) {
                        (Ok(()), result) => result,
                        (Err(why), Ok(_)) => Err(E::from(not_committed(why))),
                        (Err(_), Err(e)) => Err(e),
                    };
                    let _ = answer.send(result);
                });
                Ran { keep, answer }
            })
        });
        group.send(job).map_err(|_| E::from(not_committed("the writer has stopped")))?;
        answered.await.map_err(|_| E::from(not_committed("the transaction did not run")))?
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
            (
                3,
                "calendars",
                include_str!("../migrations/sqlite/0003_calendars.sql"),
                include_str!("../migrations/postgres/0003_calendars.sql"),
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

fn not_committed(why: &str) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(format!("the change was not committed: {why}")))
}

/// The SQLite writer: takes the changes queued while it was busy and commits them together.
async fn commit_in_groups(pool: AnyPool, mut jobs: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&pool, group).await;
    }
}

/// Runs a group of changes in one transaction, each in a savepoint, commits, and answers each.
/// A change that cannot run (the transaction failed before it) is dropped, which answers it
/// with an error.
async fn commit_group(pool: &AnyPool, group: Vec<Job>) {
    let mut answers = Vec::with_capacity(group.len());
    let failed = match pool.begin().await {
        Err(e) => Some(e.to_string()),
        Ok(mut tx) => {
            let mut failed = None;
            for job in group {
                if failed.is_some() {
                    continue;
                }
                let mut savepoint = match tx.begin().await {
                    Ok(s) => s,
                    Err(e) => {
                        failed = Some(e.to_string());
                        continue;
                    }
                };
                let ran = job(&mut savepoint).await;
                let ended =
                    if ran.keep { savepoint.commit().await } else { savepoint.rollback().await };
                answers.push(ran.answer);
                if let Err(e) = ended {
                    failed = Some(e.to_string());
                }
            }
            match failed {
                None => tx.commit().await.err().map(|e| e.to_string()),
                // Dropping the transaction rolls it back.
                Some(why) => Some(why),
            }
        }
    };
    for answer in answers {
        answer(failed.as_deref().map_or(Ok(()), Err));
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

/// The most rows one `INSERT` of [`values`] writes.
pub(crate) const ROWS_PER_INSERT: usize = 16;

/// The `VALUES` list of a multi-row `INSERT`: `rows` rows of `width` placeholders each,
/// numbered from `$1`. Rows go to the database in statements of at most [`ROWS_PER_INSERT`], so
/// a change costs one round trip per table rather than one per row.
pub(crate) fn values(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether an error is a unique-key violation (a concurrent insert of the same key won).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_number_the_placeholders_row_by_row() {
        assert_eq!(super::values(1, 3), "($1, $2, $3)");
        assert_eq!(super::values(2, 2), "($1, $2), ($3, $4)");
    }
}
