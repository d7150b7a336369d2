//! Reading what the commands are given, within bounds, and walking directories.
//!
//! - Policies, scenarios and calendar files are read by the engine
//!   ([`ombud_engine::load_policy_file`], [`ombud_engine::policy::read_policy_file`],
//!   [`Calendar::from_file`], [`ombud_engine::Scenario::read_file`]): at most 1 MiB, and a
//!   larger file, or a device that never ends (`/dev/zero`), is a diagnostic naming the file and
//!   the cap, after one byte past it.
//! - Ledgers are read a line at a time by the engine's reader, which refuses a line over 1 MiB.
//! - A directory walk (the `ignore` crate's) respects `.gitignore` and `.ombudignore` files,
//!   does not follow a symlink that leads back up, and lists each file once, however many links
//!   lead to it.
//! - A YAML file is a policy, a scenario or a calendar file by its top-level keys ([`Kind`]), so
//!   a directory may hold a policy beside its scenarios and calendars.

use ombud_engine::{Calendar, Diagnostic};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A calendar named on the command line: a bundled id, or a calendar file (read within the
/// cap, `extends` relative to it).
pub fn load_calendar(reference: &str) -> Result<Arc<Calendar>, Vec<Diagnostic>> {
    if let Some(c) = Calendar::bundled(reference) {
        return Ok(c);
    }
    let path = Path::new(reference);
    if !path.exists() {
        // An unknown id or a missing file: the engine says which, with a suggestion.
        return Calendar::resolve(reference, None);
    }
    Calendar::from_file(path).map(Arc::new)
}

/// What a walk has seen: files by their canonical path.
#[derive(Default)]
pub struct Walk {
    files: HashSet<PathBuf>,
}

/// The file of ignore patterns a directory may hold, beside `.gitignore`, for YAML files Ombud
/// should not read (deliberately broken fixtures, say).
pub const IGNORE_FILE: &str = ".ombudignore";

impl Walk {
    /// Whether `path` is a file not listed yet (by its canonical path); lists it.
    pub fn first_time(&mut self, path: &Path) -> bool {
        self.files.insert(path.canonicalize().unwrap_or_else(|_| path.to_path_buf()))
    }

    /// Every `*.yaml` / `*.yml` file under `dir`, in name order, depth first, each file once.
    /// The walk (the `ignore` crate's) leaves out hidden files and directories and what a
    /// `.gitignore` or an `.ombudignore` on the way excludes; it follows symbolic links but not
    /// one that leads back to a directory it is in (a symlink loop).
    pub fn yaml_files(&mut self, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        // The directory itself must be readable: that is a usage error, not a file skipped.
        std::fs::read_dir(dir)?;
        let walk = ignore::WalkBuilder::new(dir)
            .follow_links(true)
            .require_git(false)
            .add_custom_ignore_filename(IGNORE_FILE)
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        for entry in walk {
            let entry = match entry {
                Ok(e) => e,
                // A link back up: the directory is walked already.
                Err(e) if loop_in(&e) => continue,
                Err(e) => return Err(std::io::Error::other(e)),
            };
            let p = entry.path();
            if entry.file_type().is_some_and(|t| t.is_file())
                && p.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && self.first_time(p)
            {
                out.push(p.to_path_buf());
            }
        }
        Ok(())
    }
}

/// Whether a walk error is a symlink loop wrapped in the path or depth it was met at.
fn loop_in(e: &ignore::Error) -> bool {
    match e {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => loop_in(err),
        _ => false,
    }
}

/// What a YAML file is, by its top-level keys: the engine's [`ombud_engine::FileKind`], which
/// the server's policy directory sorts files by too.
pub use ombud_engine::FileKind as Kind;
