//! Everything the commands write to standard output and standard error goes through here, so one
//! rule holds for all of them: when the reader has gone away (`ombud audit verify store.jsonl |
//! head -1`), the command stops at once and quietly, with exit status 141 — what a shell reports
//! for a program stopped by a closed pipe (128 + SIGPIPE). No panic message, no half-written
//! error. Any other failure to write standard output is reported on standard error (status 2).
//!
//! `outln!` / `out!` write to standard output, `errln!` / `err!` to standard error, as
//! `println!` / `print!` / `eprintln!` / `eprint!` would; the crate denies the standard macros
//! (`clippy::print_stdout`, `clippy::print_stderr`) so no command bypasses this. Commands that
//! write through their own buffer pass its write errors to [`failed`].

use std::io::Write;

/// The exit status after a closed pipe: 128 + SIGPIPE (13).
pub const CLOSED_PIPE: i32 = 141;

/// Writes to standard output; see the module documentation for a closed pipe.
pub fn stdout(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        failed(&e);
    }
}

/// Writes to standard error. A closed standard error ends the command as a closed standard
/// output does; nothing else can be reported anywhere, so other errors are ignored.
pub fn stderr(args: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    if let Err(e) = err.write_fmt(args)
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(CLOSED_PIPE);
    }
}

/// Ends the command after a failed write to standard output: quietly with [`CLOSED_PIPE`] when
/// the reader has gone away, else with a message and status 2.
pub fn failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(CLOSED_PIPE);
    }
    stderr(format_args!("error: cannot write the output: {e}\n"));
    std::process::exit(2);
}

/// `println!` through [`stdout`].
macro_rules! outln {
    () => { $crate::out::stdout(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` through [`stdout`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::stdout(format_args!($($arg)*)) };
}

/// `eprintln!` through [`stderr`].
macro_rules! errln {
    () => { $crate::out::stderr(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::stderr(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprint!` through [`stderr`].
macro_rules! err {
    ($($arg:tt)*) => { $crate::out::stderr(format_args!($($arg)*)) };
}
