//! Loading a policy: read the file, parse the YAML tree, convert it to the model, compile.

use super::CompiledPolicy;
use super::build::Compiler;
use crate::check::{Diagnostic, Source, Span, sort_diagnostics};
use crate::policy::convert::convert;
use crate::policy::model::PolicyFile;
use crate::yaml::{Document, parse_tree};
use std::path::Path;
use std::sync::Arc;

/// What [`load_policy`] returns: the compiled policy and its warnings, or every diagnostic
/// (errors and warnings, sorted) when there is at least one error.
///
/// ```
/// use ombud_engine::LoadResult;
/// let text = "{policy: p, calendar: weekdays, tiers: [a], start: s, \
///             stages: {s: {owner: a, on: {done: closd}}, closed: {terminal: true}}}";
/// let result: LoadResult = ombud_engine::load_policy("p.yaml", text, None);
/// let errors = result.unwrap_err();
/// assert_eq!((errors[0].code, errors[0].span.column), ("E0201", 89));
/// assert_eq!(errors[0].hint.as_deref(), Some("did you mean `closed`?"));
/// ```
pub type LoadResult = Result<(CompiledPolicy, Vec<Diagnostic>), Vec<Diagnostic>>;

/// Loads, checks and compiles a policy from its text. `name` is shown in diagnostics (normally
/// the path); `base_dir` is where a calendar path is resolved from.
///
/// ```
/// let text = "policy: p\ncalendar: weekdays\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 1h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// let (policy, warnings) = ombud_engine::load_policy("p.yaml", text, None).unwrap();
/// assert_eq!(policy.stages.len(), 2);
/// assert!(warnings.is_empty());
/// ```
pub fn load_policy(name: &str, text: &str, base_dir: Option<&Path>) -> LoadResult {
    let source = Source::new(name, text);
    let tree = match parse_tree(text, Document::Policy) {
        Ok(tree) => tree,
        Err(d) => return Err(vec![d.with_source(&source)]),
    };
    let (doc, diags) = convert(&tree);
    if diags.iter().any(|d| d.code == "E0102") {
        // Not a policy at all: nothing further to check.
        return Err(diags.into_iter().map(|d| d.with_source(&source)).collect());
    }
    compile(&doc, &source, base_dir, diags)
}

/// Reads a policy file and [`load_policy`]s it (calendar paths relative to the file). An
/// unreadable file is one diagnostic (`E0100`).
///
/// ```
/// use std::path::Path;
/// let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
/// let (policy, warnings) = ombud_engine::load_policy_file(&dir.join("service-complaints.yaml"))
///     .unwrap();
/// assert_eq!((policy.stages.len(), warnings.len()), (7, 0));
/// let missing = ombud_engine::load_policy_file(&dir.join("missing.yaml")).unwrap_err();
/// assert_eq!(missing[0].code, "E0100");
/// ```
pub fn load_policy_file(path: &Path) -> LoadResult {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        vec![
            Diagnostic::error("E0100", format!("cannot read `{name}`: {e}"))
                .with_source(&Source::new(name.clone(), "")),
        ]
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let src = Source::new(name, lossy.clone());
            return Err(vec![
                Diagnostic::error("E0101", "file is not UTF-8 text")
                    .with_span(Span::at_offset(&lossy, at.min(lossy.len()), 1))
                    .with_hint("a policy is a UTF-8 YAML text file")
                    .with_source(&src),
            ]);
        }
    };
    load_policy(&name, &text, path.parent())
}

/// Compiles a converted policy file. `diags` holds the diagnostics found so far (structural
/// ones); all checks still run so one pass reports everything.
///
/// ```
/// use ombud_engine::{check::Source, compile::compile, policy::convert::convert};
/// use ombud_engine::yaml::{Document, parse_tree};
/// let text = "{policy: p, calendar: weekdays, tiers: [a], start: s, \
///             stages: {s: {owner: a, due: 3wd, on: {x: e}}, e: {terminal: true}}}";
/// let (model, structural) = convert(&parse_tree(text, Document::Policy).unwrap());
/// let (policy, _) = compile(&model, &Source::new("p.yaml", text), None, structural).unwrap();
/// assert_eq!(policy.stages[0].due[0].value.to_string(), "3 working days");
/// ```
pub fn compile(
    doc: &PolicyFile,
    source: &Arc<Source>,
    base_dir: Option<&Path>,
    diags: Vec<Diagnostic>,
) -> LoadResult {
    let mut c = Compiler::new(&source.text, diags, doc);
    let built = c.build(doc, source, base_dir);
    let mut diags: Vec<Diagnostic> = c
        .into_diagnostics()
        .into_iter()
        .map(|d| if d.source.is_none() { d.with_source(source) } else { d })
        .collect();
    sort_diagnostics(&mut diags);
    diags.dedup();
    match built {
        Some(p) if !diags.iter().any(Diagnostic::is_error) => Ok((p, diags)),
        _ => Err(diags),
    }
}
