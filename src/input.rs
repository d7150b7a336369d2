//! Reading what the commands are given, within bounds, and walking directories.
//!
//! - Policies, scenarios and calendar files are read by the engine
//!   ([`ombud_engine::load_policy_file`], [`ombud_engine::policy::read_policy_file`],
//!   [`Calendar::from_file`], [`ombud_engine::Scenario::read_file`]): at most 1 MiB, and a
//!   larger file, or a device that never ends (`/dev/zero`), is a diagnostic naming the file and
//!   the cap, after one byte past it.
//! - Ledgers are read a line at a time by the engine's reader, which refuses a line over 1 MiB.
//! - A directory walk visits each directory once (a symlink that leads back up is not
//!   followed again) and lists each file once, however many links lead to it.

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

/// What a walk has seen: directories and files by their canonical path.
#[derive(Default)]
pub struct Walk {
    dirs: HashSet<PathBuf>,
    files: HashSet<PathBuf>,
}

impl Walk {
    /// Whether `path` is a file not listed yet (by its canonical path); lists it.
    pub fn first_time(&mut self, path: &Path) -> bool {
        self.files.insert(path.canonicalize().unwrap_or_else(|_| path.to_path_buf()))
    }

    /// Every `*.yaml` / `*.yml` file under `dir`, in name order, depth first, each file once;
    /// a directory reached a second time (a symlink loop, or two links to one directory) is not
    /// entered again.
    pub fn yaml_files(&mut self, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let canonical = dir.canonicalize()?;
        if !self.dirs.insert(canonical) {
            return Ok(());
        }
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
        entries.sort();
        for p in entries {
            if p.is_dir() {
                self.yaml_files(&p, out)?;
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml")
                && self.first_time(&p)
            {
                out.push(p);
            }
        }
        Ok(())
    }
}
