//! The servers of a load run: real `ombud serve` processes on free ports of 127.0.0.1, on a
//! database the run creates (a SQLite file in the run's directory, or a PostgreSQL database
//! created on the given server and dropped at the end).

use sqlx::Executor;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a server may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `ombud serve`, killed when dropped.
pub(crate) struct Instance {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    /// The admin token it printed (its first start on a new database only).
    pub(crate) admin_token: Option<String>,
}

/// How to start one instance.
#[derive(Clone, Debug)]
pub(crate) struct Launch {
    pub(crate) ombud: PathBuf,
    pub(crate) db: String,
    pub(crate) policies: PathBuf,
    pub(crate) log: PathBuf,
}

impl Instance {
    /// Starts `ombud serve` and waits until it listens.
    pub(crate) async fn start(launch: Launch) -> Result<Instance, String> {
        tokio::task::spawn_blocking(move || start_blocking(&launch))
            .await
            .map_err(|e| format!("starting a server: {e}"))?
    }

    /// SIGKILL: the process dies at once, in the middle of whatever it does.
    pub(crate) fn kill(&mut self) -> Result<(), String> {
        if let Some(mut child) = self.child.take() {
            child.kill().map_err(|e| format!("killing server {}: {e}", child.id()))?;
            let _ = child.wait();
        }
        Ok(())
    }

    /// SIGTERM, and waits for it to exit: true when it exited with status 0.
    pub(crate) async fn stop(mut self) -> Result<bool, String> {
        let Some(mut child) = self.child.take() else { return Ok(false) };
        tokio::task::spawn_blocking(move || {
            let pid = child.id().to_string();
            let sent = Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .map_err(|e| format!("kill -TERM {pid}: {e}"))?;
            if !sent.success() {
                return Err(format!("kill -TERM {pid} failed"));
            }
            child.wait().map(|s| s.success()).map_err(|e| format!("waiting for {pid}: {e}"))
        })
        .await
        .map_err(|e| e.to_string())?
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

fn start_blocking(launch: &Launch) -> Result<Instance, String> {
    let log = File::options()
        .create(true)
        .append(true)
        .open(&launch.log)
        .map_err(|e| format!("{}: {e}", launch.log.display()))?;
    let stderr = log.try_clone().map_err(|e| e.to_string())?;
    let mut child = Command::new(&launch.ombud)
        .args(["serve", "--listen", "127.0.0.1:0", "--db", &launch.db, "--policies"])
        .arg(&launch.policies)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", launch.ombud.display()))?;
    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        return Err("no standard output from the server".into());
    };
    // A thread reads what the server prints: the start lines come back through the channel,
    // everything goes to the log, and the pipe never fills.
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        let mut log = log;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = writeln!(log, "{line}");
            let _ = tx.send(line);
        }
    });
    let mut instance = Instance { child: Some(child), url: String::new(), admin_token: None };
    loop {
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => {
                if let Some(board) = line.strip_prefix("board: ") {
                    instance.url = board.trim_end_matches('/').to_string();
                } else if let Some(token) = line.strip_prefix("admin token: ") {
                    instance.admin_token = Some(token.to_string());
                    break;
                } else if line.starts_with("an admin token was issued") {
                    break;
                }
            }
            Err(_) => {
                return Err(format!("the server did not start (see {})", launch.log.display()));
            }
        }
    }
    if !instance.url.starts_with("http://127.0.0.1:") {
        return Err(format!("the server listens at `{}`, not on 127.0.0.1", instance.url));
    }
    Ok(instance)
}

/// The run's database, removed when dropped (a PostgreSQL database is dropped).
pub(crate) struct Database {
    /// What `ombud serve --db` takes.
    pub(crate) url: String,
    postgres: Option<(String, String)>,
}

impl Database {
    /// A SQLite file in `dir`.
    pub(crate) fn sqlite(dir: &Path) -> Database {
        Database { url: dir.join("ombud.db").display().to_string(), postgres: None }
    }

    /// A new database on the PostgreSQL server of `admin_url`, which must be on this machine.
    pub(crate) async fn postgres(admin_url: &str, name: &str) -> Result<Database, String> {
        let host = host_of(admin_url);
        if !matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
            return Err(format!(
                "the load generator talks only to this machine: `{host}` is not 127.0.0.1"
            ));
        }
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(admin_url)
            .await
            .map_err(|e| format!("cannot connect to `{admin_url}`: {e}"))?;
        pool.execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .map_err(|e| format!("creating database `{name}`: {e}"))?;
        pool.close().await;
        Ok(Database {
            url: with_database(admin_url, name),
            postgres: Some((admin_url.to_string(), name.to_string())),
        })
    }

    /// Drops a PostgreSQL database (sessions still open on it are ended).
    pub(crate) async fn drop_now(&mut self) -> Result<(), String> {
        let Some((admin, name)) = self.postgres.take() else { return Ok(()) };
        let pool = sqlx::AnyPool::connect(&admin).await.map_err(|e| e.to_string())?;
        pool.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
            .await
            .map_err(|e| format!("dropping database `{name}`: {e}"))?;
        pool.close().await;
        Ok(())
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if self.postgres.is_none() {
            return;
        }
        let mut this = Database { url: String::new(), postgres: self.postgres.take() };
        // Its own thread and runtime: this may run inside the run's runtime.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                let _ = rt.block_on(this.drop_now());
            }
        })
        .join();
    }
}

/// The host of a `postgres://user@host:port/db?…` URL.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        host_port.split_inclusive(']').next().unwrap_or("").to_string()
    } else {
        host_port.split(':').next().unwrap_or("").to_string()
    }
}

/// `url` with its database name replaced by `name`.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_urls_name_their_host_and_take_another_database() {
        assert_eq!(host_of("postgres://root@127.0.0.1:5432/test"), "127.0.0.1");
        assert_eq!(host_of("postgresql://localhost/db?sslmode=disable"), "localhost");
        assert_eq!(host_of("postgres://u:p@db.example.org/x"), "db.example.org");
        assert_eq!(host_of("postgres://[::1]:5432/x"), "[::1]");
        assert_eq!(
            with_database("postgres://root@127.0.0.1:5432/test?sslmode=disable", "run_1"),
            "postgres://root@127.0.0.1:5432/run_1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://root@127.0.0.1", "run_2"),
            "postgres://root@127.0.0.1/run_2"
        );
    }
}
