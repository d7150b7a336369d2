//! File I/O shared by `simulate`, `test` and `diff`: finding scenario files, reading them,
//! loading (and caching) the policies they name, printing diagnostics, and colour.

use crate::input::{Kind, Walk};
use crate::render::safe;
use ombud_engine::{CompiledPolicy, Diagnostic, DiagnosticCode, Engine, Scenario, Span};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every scenario file named by `paths`: files as given, directories walked recursively for
/// `*.yaml` / `*.yml` files that are scenarios by their content (sorted, so output is stable;
/// policies and calendar files beside them are left out, and a file Ombud cannot read is kept so
/// that it is reported). A symlink loop is not followed, `.gitignore` and `.ombudignore` are
/// respected, and a file reached twice (named twice, or by two links) is listed once.
pub fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut walk = Walk::default();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk.yaml_files(p, &mut found).map_err(|e| {
                format!("cannot read directory {}: {e}", safe(&p.display().to_string()))
            })?;
            found.retain(|f| matches!(Kind::of(f), Kind::Scenario | Kind::Unreadable));
            out.extend(found);
        } else if p.exists() {
            if walk.first_time(p) {
                out.push(p.clone());
            }
        } else {
            return Err(format!("no such file or directory: {}", safe(&p.display().to_string())));
        }
    }
    Ok(out)
}

/// Why a scenario could not be run.
pub enum Problem {
    /// The file could not be read (exit 2).
    Io(String),
    /// The file (or its policy) has errors.
    Diagnostics(Vec<Diagnostic>),
}

impl From<Vec<Diagnostic>> for Problem {
    fn from(d: Vec<Diagnostic>) -> Self {
        Problem::Diagnostics(d)
    }
}

impl From<Box<Diagnostic>> for Problem {
    fn from(d: Box<Diagnostic>) -> Self {
        Problem::Diagnostics(vec![*d])
    }
}

/// Reads and parses a scenario file.
pub fn read_scenario(path: &Path) -> Result<Scenario, Problem> {
    match Scenario::read_file(path) {
        Ok(scenario) => Ok(scenario?),
        Err(e) => Err(Problem::Io(format!("cannot read {}: {e}", path.display()))),
    }
}

/// Reads and parses a scenario file. One with mistakes of shape is read again under the policy
/// it runs under (`override_path`, else its own `policy:`), when that policy loads: the
/// parts that parsed are checked against the policy, so one run reports both kinds of
/// mistake, and a hint writes its instant in the policy's zone (a date alone where an instant
/// belongs).
pub fn read_scenario_for(
    path: &Path,
    override_path: Option<&Path>,
    policies: &mut Policies,
) -> Result<Scenario, Problem> {
    let diags = match read_scenario(path) {
        // Not YAML (or not readable as text): nothing parsed to check.
        Err(Problem::Diagnostics(d)) if d.iter().all(|d| d.code != DiagnosticCode::E0601) => d,
        other => return other,
    };
    let again = diags.iter().find_map(|d| d.source.clone()).and_then(|source| {
        let policy = match override_path {
            Some(p) => p.to_path_buf(),
            None => path.parent().unwrap_or(Path::new(".")).join(Scenario::policy_named(&source)?),
        };
        let policy = policies.load(&policy).ok()?;
        Some(Scenario::check_source_against(&source, &Engine::new(policy)))
    });
    Err(Problem::Diagnostics(again.unwrap_or(diags)))
}

/// The scenario checked against the policy `engine` runs (undeclared events, unknown fields,
/// values of the wrong type or outside an enum): its diagnostics when there are any.
pub fn check_against(scenario: &Scenario, engine: &Engine) -> Result<(), Problem> {
    let found = scenario.check_against(engine);
    if found.is_empty() { Ok(()) } else { Err(Problem::Diagnostics(found)) }
}

/// The policy file a scenario runs under: `override_path` when given, else the scenario's
/// `policy:` relative to the scenario file's directory (`E0609` when it names none, or a file
/// that does not exist).
pub fn policy_path(
    scenario: &Scenario,
    scenario_path: &Path,
    override_path: Option<&Path>,
) -> Result<PathBuf, Problem> {
    if let Some(p) = override_path {
        return Ok(p.to_path_buf());
    }
    let Some(rel) = &scenario.policy else {
        let d = Diagnostic::error(DiagnosticCode::E0609, "the scenario names no policy")
            .with_source(&scenario.source)
            .with_span(Span::at_offset(&scenario.source.text, 0, 0))
            .with_hint("add `policy: path/to/policy.yaml` or pass `--policy FILE`");
        return Err(Problem::Diagnostics(vec![d]));
    };
    let base = scenario_path.parent().unwrap_or(Path::new("."));
    let path = base.join(&rel.value);
    if !path.exists() {
        let d = Diagnostic::error(
            DiagnosticCode::E0609,
            format!("policy file `{}` not found", rel.value),
        )
        .with_source(&scenario.source)
        .with_span(rel.span)
        .with_hint(format!(
            "the path is relative to the scenario file: it names {}",
            path.display()
        ));
        return Err(Problem::Diagnostics(vec![d]));
    }
    Ok(path)
}

/// Compiled policies by path, so a directory of scenarios compiles each policy once.
#[derive(Default)]
pub struct Policies {
    cache: BTreeMap<PathBuf, Arc<CompiledPolicy>>,
}

impl Policies {
    /// The compiled policy at `path` (loaded on first use).
    pub fn load(&mut self, path: &Path) -> Result<Arc<CompiledPolicy>, Problem> {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Some(p) = self.cache.get(&key) {
            return Ok(Arc::clone(p));
        }
        let policy = load_policy(path)?;
        self.cache.insert(key, Arc::clone(&policy));
        Ok(policy)
    }
}

/// Loads and compiles one policy file.
fn load_policy(path: &Path) -> Result<Arc<CompiledPolicy>, Problem> {
    match ombud_engine::load_policy_file(path) {
        Ok((policy, _warnings)) => Ok(Arc::new(policy)),
        Err(err) if err.diagnostics().iter().any(|d| d.code == DiagnosticCode::E0100) => {
            let messages: Vec<&str> =
                err.diagnostics().iter().map(|d| d.message.as_str()).collect();
            Err(Problem::Io(messages.join("; ")))
        }
        Err(err) => Err(Problem::Diagnostics(err.into_diagnostics())),
    }
}

/// Whether standard output gets colour: only on a terminal, and never with `NO_COLOR` set.
pub fn use_colour() -> bool {
    crate::render::use_colour()
}

/// ANSI styling that is a no-op when colour is off.
#[derive(Clone, Copy)]
pub struct Paint {
    on: bool,
}

impl Paint {
    /// Colour when `on`.
    pub fn new(on: bool) -> Self {
        Paint { on }
    }

    /// `text` in SGR style `code` (e.g. `31` red, `1` bold).
    pub fn paint(&self, code: &str, text: &str) -> String {
        if self.on { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }
}

/// Prints diagnostics rustc-style (`--> file:line:column`, the source line, the hint) to stderr.
pub fn print_diagnostics(diags: &[Diagnostic]) {
    for d in diags {
        err!("{}", format_diagnostic(d));
    }
}

/// One diagnostic as text, in the same form `ombud lint` uses.
pub fn format_diagnostic(d: &Diagnostic) -> String {
    crate::render::render_text(d, false)
}

/// Prints a problem; returns whether it was an I/O problem (exit 2) rather than diagnostics.
pub fn report(problem: &Problem) -> bool {
    match problem {
        Problem::Io(msg) => {
            errln!("error: {}", safe(msg));
            true
        }
        Problem::Diagnostics(d) => {
            print_diagnostics(d);
            false
        }
    }
}
