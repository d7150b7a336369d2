//! Loading a policy: read the file, parse the YAML tree, convert it to the model, compile.

use super::CompiledPolicy;
use super::build::Compiler;
use crate::calendar::Calendar;
use crate::check::DiagnosticCode;
use crate::check::{Diagnostic, Source, Span, sort_diagnostics};
use crate::policy::convert::convert;
use crate::policy::model::PolicyFile;
use crate::yaml::{Document, ReadFailure, parse_tree, read_yaml_file};
use std::path::Path;
use std::sync::Arc;

/// Why a policy did not load: every diagnostic found (errors and warnings, sorted by file,
/// line and column), at least one of them an error. It is a [`std::error::Error`] (its message
/// is the first error's) and a [`miette::Diagnostic`] whose `related()` are all of them.
///
/// ```
/// let text = "{policy: p, calendar: weekdays, tiers: [a], start: s, \
///             stages: {s: {owner: a, on: {done: closd}}, closed: {terminal: true}}}";
/// let err = ombud_engine::load_policy("p.yaml", text, None).unwrap_err();
/// let first = &err.diagnostics()[0];
/// assert_eq!((first.code.as_str(), first.span.column), ("E0201", 89));
/// assert_eq!(first.hint.as_deref(), Some("did you mean `closed`?"));
/// assert_eq!(err.to_string(), "error[E0201]: unknown stage `closd`");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// Every diagnostic, sorted by file, line and column.
    ///
    /// ```
    /// let err = ombud_engine::load_policy("p.yaml", "policy: p\n", None).unwrap_err();
    /// assert!(err.diagnostics().iter().all(|d| d.span.line >= 1));
    /// ```
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The diagnostics, taken out.
    ///
    /// ```
    /// let err = ombud_engine::load_policy("p.yaml", "policy: p\n", None).unwrap_err();
    /// let count = err.diagnostics().len();
    /// assert_eq!(err.into_diagnostics().len(), count);
    /// ```
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }

    /// The error of `diagnostics`, which hold at least one error.
    fn new(diagnostics: Vec<Diagnostic>) -> Self {
        LoadError { diagnostics }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut errors = self.diagnostics.iter().filter(|d| d.is_error());
        match errors.next() {
            Some(first) => write!(f, "{first}")?,
            None => f.write_str("the policy did not load")?,
        }
        match errors.count() {
            0 => Ok(()),
            1 => f.write_str(" (and 1 more error)"),
            n => write!(f, " (and {n} more errors)"),
        }
    }
}

impl std::error::Error for LoadError {}

impl miette::Diagnostic for LoadError {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(self.diagnostics.iter().map(|d| d as &dyn miette::Diagnostic)))
    }
}

impl IntoIterator for LoadError {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.diagnostics.into_iter()
    }
}

impl<'a> IntoIterator for &'a LoadError {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.diagnostics.iter()
    }
}

/// A compiled policy and its warnings, or why it did not load.
type Loaded = Result<(CompiledPolicy, Vec<Diagnostic>), LoadError>;

/// Loads, checks and compiles a policy from its text. `name` is shown in diagnostics (normally
/// the path); `base_dir` is where a calendar path is resolved from.
///
/// ```
/// let text = "policy: p\ncalendar: weekdays\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 1h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// let (policy, warnings) = ombud_engine::load_policy("p.yaml", text, None)?;
/// assert_eq!(policy.stages().len(), 2);
/// assert!(warnings.is_empty());
/// # Ok::<(), ombud_engine::LoadError>(())
/// ```
pub fn load_policy(
    name: &str,
    text: &str,
    base_dir: Option<&Path>,
) -> Result<(CompiledPolicy, Vec<Diagnostic>), LoadError> {
    let source = Source::new(name, text);
    let tree = match parse_tree(text, Document::Policy) {
        Ok(tree) => tree,
        Err(d) => return Err(LoadError::new(vec![d.with_source(&source)])),
    };
    let (doc, diags) = convert(&tree);
    if diags.iter().any(|d| d.code == DiagnosticCode::E0102) {
        // Not a policy at all: nothing further to check.
        return Err(LoadError::new(diags.into_iter().map(|d| d.with_source(&source)).collect()));
    }
    compile(&doc, &source, base_dir, diags)
}

/// Loads a policy as [`load_policy`] does, with `calendar` standing in for the calendar the
/// policy names (the policy's own `hours`, `timezone` and `cutoff` still apply): a calendar with
/// more or corrected data, for [`Engine::recalendar`](crate::runtime::Engine::recalendar). The
/// policy's digest is its text's, so tickets pinned to it run under the result.
///
/// ```
/// use ombud_engine::{Calendar, load_policy, policy::load_policy_on_calendar};
/// let text = "policy: p\ncalendar: cn-mainland\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 3 working days, on: { done: closed } }\n  closed: { terminal: true }\n";
/// let weekdays = Calendar::bundled("weekdays").unwrap();
/// let (policy, _) = load_policy_on_calendar("p.yaml", text, None, weekdays)?;
/// assert_eq!(policy.calendar().id(), "weekdays");
/// assert_eq!(policy.digest(), load_policy("p.yaml", text, None)?.0.digest());
/// # Ok::<(), ombud_engine::LoadError>(())
/// ```
pub fn load_policy_on_calendar(
    name: &str,
    text: &str,
    base_dir: Option<&Path>,
    calendar: Arc<Calendar>,
) -> Result<(CompiledPolicy, Vec<Diagnostic>), LoadError> {
    let source = Source::new(name, text);
    let tree = match parse_tree(text, Document::Policy) {
        Ok(tree) => tree,
        Err(d) => return Err(LoadError::new(vec![d.with_source(&source)])),
    };
    let (doc, diags) = convert(&tree);
    if diags.iter().any(|d| d.code == DiagnosticCode::E0102) {
        return Err(LoadError::new(diags.into_iter().map(|d| d.with_source(&source)).collect()));
    }
    compile_with(&doc, &source, base_dir, diags, Some(calendar))
}

/// Reads a policy file of at most 1 MiB, never more: a larger file, or a device with no end
/// (`/dev/zero`), is refused after one byte past the cap. A file that cannot be read is one
/// `E0100` diagnostic; one that is too large or not UTF-8, `E0101`. For a host that looks at
/// the text before loading it ([`load_policy_file`] reads and loads in one step).
///
/// ```
/// use std::path::Path;
/// let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
/// let text = ombud_engine::policy::read_policy_file(&dir.join("service-complaints.yaml"))?;
/// assert!(text.starts_with("# yaml-language-server"));
/// # #[cfg(unix)] {
/// let endless = ombud_engine::policy::read_policy_file("/dev/zero".as_ref()).unwrap_err();
/// let d = &endless.diagnostics()[0];
/// assert_eq!((d.code.as_str(), d.file()), ("E0101", Some("/dev/zero")));
/// assert_eq!(d.message, "policy file `/dev/zero` is larger than 1048576 bytes (1 MiB)");
/// # }
/// # Ok::<(), ombud_engine::LoadError>(())
/// ```
pub fn read_policy_file(path: &Path) -> Result<String, LoadError> {
    let name = path.display().to_string();
    read_yaml_file(path, Document::Policy).map_err(|failure| {
        LoadError::new(vec![match failure {
            ReadFailure::Io(e) => {
                Diagnostic::error(DiagnosticCode::E0100, format!("cannot read `{name}`: {e}"))
                    .with_source(&Source::new(name, ""))
            }
            ReadFailure::Content(d) => *d,
        }])
    })
}

/// Reads a policy file ([`read_policy_file`]: at most 1 MiB) and [`load_policy`]s it
/// (calendar paths relative to the file). An unreadable file is one diagnostic (`E0100`).
///
/// ```
/// use std::path::Path;
/// let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
/// let (policy, warnings) = ombud_engine::load_policy_file(&dir.join("service-complaints.yaml"))?;
/// assert_eq!((policy.stages().len(), warnings.len()), (9, 0));
/// let missing = ombud_engine::load_policy_file(&dir.join("missing.yaml")).unwrap_err();
/// assert_eq!(missing.diagnostics()[0].code, "E0100");
/// # Ok::<(), ombud_engine::LoadError>(())
/// ```
pub fn load_policy_file(path: &Path) -> Result<(CompiledPolicy, Vec<Diagnostic>), LoadError> {
    let text = read_policy_file(path)?;
    load_policy(&path.display().to_string(), &text, path.parent())
}

/// The calendar file a policy's text names, and where: `calendar: ../org/closures.yaml` (or the
/// `id:` of a `calendar:` map), found without reading that file or loading the policy. A host
/// that runs policies on the bundled calendars only refuses such a policy before anything is
/// read. `None` when the policy names a bundled calendar or none, or is not readable YAML.
///
/// ```
/// use ombud_engine::policy::calendar_file;
/// let (file, at) = calendar_file("policy: p\ncalendar: ../org/closures.yaml\n").unwrap();
/// assert_eq!((file.as_str(), at.line, at.column), ("../org/closures.yaml", 2, 11));
/// assert_eq!(calendar_file("policy: p\ncalendar: {id: cn-mainland, hours: 09:00-17:00}\n"), None);
/// ```
pub fn calendar_file(text: &str) -> Option<(String, Span)> {
    let tree = parse_tree(text, Document::Policy).ok()?;
    let spec = convert(&tree).0.calendar?;
    (crate::calendar::is_path(&spec.id.value) && Calendar::bundled(&spec.id.value).is_none())
        .then_some((spec.id.value, spec.id.span))
}

/// Compiles a converted policy file. `diags` holds the diagnostics found so far (structural
/// ones); all checks still run so one pass reports everything.
fn compile(
    doc: &PolicyFile,
    source: &Arc<Source>,
    base_dir: Option<&Path>,
    diags: Vec<Diagnostic>,
) -> Loaded {
    compile_with(doc, source, base_dir, diags, None)
}

fn compile_with(
    doc: &PolicyFile,
    source: &Arc<Source>,
    base_dir: Option<&Path>,
    diags: Vec<Diagnostic>,
    stand_in: Option<Arc<Calendar>>,
) -> Loaded {
    let mut c = Compiler::new(&source.text, diags, doc);
    c.stand_in = stand_in;
    let built = c.build(doc, source, base_dir);
    let mut diags = c.into_diagnostics();
    diags.extend(crate::check::confusables::deceptive_names(doc));
    diags.extend(crate::check::obligations::never_run(doc));
    let mut diags: Vec<Diagnostic> = diags
        .into_iter()
        .map(|d| if d.source.is_none() { d.with_source(source) } else { d })
        .collect();
    sort_diagnostics(&mut diags);
    diags.dedup();
    match built {
        Some(p) if !diags.iter().any(Diagnostic::is_error) => Ok((p, diags)),
        _ => Err(LoadError::new(diags)),
    }
}
