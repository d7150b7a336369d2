//! `ombud serve`: run the complaint desk as a service (HTTP API, timers, webhooks) on an embedded
//! SQLite file or on PostgreSQL. Prints the board's URL and, on the first start of a database,
//! one line `admin token: <TOKEN>` (shown once; the database keeps only its hash).
//!
//! Exit status: 0 after Ctrl-C or SIGTERM, 2 when it cannot start (a policy with errors, a
//! database it cannot open, an address in use).

use crate::render::{render_text, use_colour};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `ombud serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The database: a SQLite file (`PATH` or `sqlite:PATH`) or `postgres://…`.
    #[arg(long, default_value = "ombud.db")]
    db: String,
    /// Deploy the policies of this directory at start instead of the bundled ones.
    #[arg(long, value_name = "DIR")]
    policies: Option<PathBuf>,
    /// Issue another admin token at start (when the first one is lost).
    #[arg(long)]
    new_admin_token: bool,
    /// Reached only through a reverse proxy serving HTTPS that appends the client's address to
    /// X-Forwarded-For: the board's cookies carry Secure and the login limit counts that address.
    #[arg(long)]
    behind_https_proxy: bool,
}

/// Runs `ombud serve`.
pub fn run(args: Args) -> ExitCode {
    let config = ombud_server::Config {
        listen: args.listen,
        db: args.db,
        policies: args.policies,
        new_admin_token: args.new_admin_token,
        behind_https_proxy: args.behind_https_proxy,
        ..ombud_server::Config::default()
    };
    let result = ombud_server::run(config, |server| {
        let mut out = std::io::stdout().lock();
        for note in server.notes() {
            let _ = writeln!(out, "{note}");
        }
        let _ = writeln!(out, "board: http://{}/", server.addr());
        match server.admin_token() {
            Some(token) => {
                let _ = writeln!(out, "admin token: {token}");
            }
            None => {
                let _ = writeln!(
                    out,
                    "an admin token was issued on the first start; `--new-admin-token` issues another"
                );
            }
        }
        let _ = out.flush();
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(ombud_server::Error::Policy { file, diagnostics }) => {
            let colour = use_colour();
            for d in &diagnostics {
                errln!("{}", render_text(d, colour));
            }
            errln!("error: `{file}` has errors; the server did not start");
            ExitCode::from(2)
        }
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
