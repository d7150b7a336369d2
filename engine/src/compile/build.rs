//! Model → [`CompiledPolicy`]: resolves every reference, parses every duration, compiles every
//! condition, resolves the calendar, builds the stage graph and runs the semantic checks,
//! collecting every diagnostic.

use super::*;
use crate::calendar::{BusinessHours, CUTOFF_FORM, HOURS_FORM, parse_cutoff, parse_time_zone};
use crate::check::Diagnostic;
use crate::check::graph::{StageInfo, check_graph};
use crate::check::scan::comparisons;
use crate::check::{Source, Span, did_you_mean, sort_diagnostics};
use crate::expr::ExprErrorKind;
use crate::policy::model::*;
use crate::policy::{DURATION_FORMS, convert::convert};
use crate::yaml::{Document, Node, NodeKind, parse_tree, value_span};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

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
    let mut c = Compiler {
        text: &source.text,
        diags,
        exprs: ExprEngine::new(),
        vars: BTreeMap::new(),
        enums: BTreeMap::new(),
        quiet_tiers: doc.tiers.is_empty() && doc.tiers_span.is_some(),
    };
    let built = c.build(doc, source, base_dir);
    c.diags.extend(crate::check::names::deceptive_names(doc));
    let mut diags: Vec<Diagnostic> = c
        .diags
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

struct Compiler<'t> {
    text: &'t str,
    diags: Vec<Diagnostic>,
    exprs: ExprEngine,
    /// Names visible to expressions, with sample values of their types.
    vars: BTreeMap<String, Value>,
    /// Enum-like names (declared enums, string-valued derives) and their values.
    enums: BTreeMap<String, Vec<String>>,
    /// `tiers:` is present but malformed: don't report every tier reference as unknown.
    quiet_tiers: bool,
}

fn sample(ty: &FieldType) -> Value {
    match ty {
        FieldType::String | FieldType::Enum(_) => Value::String(String::new()),
        FieldType::Number => serde_json::json!(0.0),
        FieldType::Int => serde_json::json!(0),
        FieldType::Bool => Value::Bool(false),
        FieldType::List => Value::Array(Vec::new()),
        FieldType::Map => Value::Object(serde_json::Map::new()),
    }
}

fn node_value(n: &Node) -> Value {
    match &n.kind {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(*b),
        NodeKind::Int(i) => Value::from(*i),
        NodeKind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        NodeKind::Str(s) => Value::String(s.clone()),
        NodeKind::Seq(items) => Value::Array(items.iter().map(node_value).collect()),
        NodeKind::Map(entries) => Value::Object(
            entries
                .iter()
                .filter_map(|(k, v)| match &k.kind {
                    NodeKind::Str(s) => Some((s.clone(), node_value(v))),
                    _ => None,
                })
                .collect(),
        ),
    }
}

fn backticked(items: &[String]) -> String {
    items.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
}

/// Position of a ladder step relative to the deadline, for ordering checks.
fn step_cmp(a: &StepAt, b: &StepAt) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering::*;
    // Normalise: a percent of 100 is the deadline itself.
    fn sign(s: &StepAt) -> Option<i8> {
        match s {
            StepAt::Percent(p) if (*p - 100.0).abs() < f64::EPSILON => Some(0),
            StepAt::Percent(p) if *p > 100.0 => Some(1),
            StepAt::Percent(_) => None,
            StepAt::Offset { by, .. } if by.is_zero() => Some(0),
            StepAt::Offset { before: true, .. } => Some(-1),
            StepAt::Offset { before: false, .. } => Some(1),
        }
    }
    match (a, b) {
        (StepAt::Percent(x), StepAt::Percent(y)) => x.partial_cmp(y),
        (StepAt::Percent(p), other) | (other, StepAt::Percent(p)) if *p < 100.0 => {
            let flip = matches!(a, StepAt::Percent(_));
            let r = match sign(other) {
                Some(0 | 1) => Some(Less),
                _ => None,
            };
            if flip { r } else { r.map(std::cmp::Ordering::reverse) }
        }
        _ => {
            let (sa, sb) = (sign(a)?, sign(b)?);
            if sa != sb {
                return Some(sa.cmp(&sb));
            }
            match (a, b) {
                (StepAt::Offset { by: x, .. }, StepAt::Offset { by: y, .. }) => {
                    let same_kind = std::mem::discriminant(x) == std::mem::discriminant(y);
                    if sa == 0 {
                        Some(Equal)
                    } else if same_kind {
                        let o = x.cmp(y);
                        Some(if sa < 0 { o.reverse() } else { o })
                    } else {
                        None
                    }
                }
                _ if sa == 0 => Some(Equal),
                _ => None,
            }
        }
    }
}

impl Compiler<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Span of bytes `index..index+len` of a scalar's decoded value.
    fn inner_span(&self, at: &At<String>, index: usize, len: usize) -> Span {
        value_span(self.text, at.span, &at.value, index, len)
    }

    /// The id of a transition's target stage; an unknown name is reported (E0201).
    fn target_stage(&mut self, to: Option<&At<String>>, stage_names: &[String]) -> Option<usize> {
        let to = to?;
        let id = stage_names.iter().position(|n| *n == to.value);
        if id.is_none() {
            self.unknown("E0201", "stage", to, stage_names);
        }
        id
    }

    fn unknown(&mut self, code: &'static str, kind: &str, at: &At<String>, candidates: &[String]) {
        let mut d =
            Diagnostic::error(code, format!("unknown {kind} `{}`", at.value)).with_span(at.span);
        d = match did_you_mean(&at.value, candidates.iter()) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None if candidates.is_empty() => d.with_hint(format!("no {kind} is declared")),
            None => d.with_hint(format!("declared: {}", backticked(candidates))),
        };
        self.push(d);
    }

    fn tier(&mut self, tiers: &[String], at: &At<String>) -> Option<TierId> {
        let id = tiers.iter().position(|t| *t == at.value);
        // With a malformed `tiers:` (already reported) every reference would be "unknown".
        if id.is_none() && !self.quiet_tiers {
            self.unknown("E0202", "tier", at, tiers);
        }
        id
    }

    fn target(&mut self, tiers: &[String], at: &At<String>) -> Option<TierTarget> {
        match at.value.as_str() {
            "next" => Some(TierTarget::Next),
            "owner" => Some(TierTarget::Owner),
            _ => {
                let id = tiers.iter().position(|t| *t == at.value);
                if id.is_none() && !self.quiet_tiers {
                    let mut c = tiers.to_vec();
                    c.extend(["next".to_string(), "owner".to_string()]);
                    self.unknown("E0202", "tier", at, &c);
                }
                id.map(TierTarget::Tier)
            }
        }
    }

    fn duration(&mut self, at: &At<String>) -> Option<Duration> {
        self.duration_in(at, 0, &at.value.clone())
    }

    /// Parses `text`, which starts at byte `base` of `at`'s value.
    fn duration_in(&mut self, at: &At<String>, base: usize, text: &str) -> Option<Duration> {
        match text.parse::<Duration>() {
            Ok(d) => Some(d),
            Err(e) => {
                let rest = text.len().saturating_sub(e.offset).max(1);
                let span = self.inner_span(at, base + e.offset, rest);
                self.push(
                    Diagnostic::error(
                        "E0404",
                        format!("invalid duration `{}`: {}", text.trim(), e.message),
                    )
                    .with_span(span)
                    .with_hint(DURATION_FORMS),
                );
                None
            }
        }
    }

    fn expr(&mut self, at: &At<String>) -> Option<Expr> {
        match self.exprs.compile(&at.value, &self.vars) {
            Ok(e) => {
                self.check_enum_literals(at);
                self.check_by_sample(at, &e);
                Some(e)
            }
            Err(e) => {
                self.check_enum_literals(at);
                let off = e.offset.unwrap_or(0).min(at.value.len());
                let (code, len, hint) = match e.kind {
                    ExprErrorKind::UndefinedVariable => {
                        let word: String = at.value.get(off..).unwrap_or("")
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        let hint = match did_you_mean(&word, self.vars.keys()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!(
                                "conditions can read the declared fields and derived values: {}",
                                backticked(&self.vars.keys().cloned().collect::<Vec<_>>())
                            ),
                        };
                        ("E0402", word.len().max(1), hint)
                    }
                    ExprErrorKind::Limit if at.value.len() > crate::expr::limits::MAX_SOURCE_LEN => (
                        "E0401",
                        1,
                        "split the condition: compute its parts as `derive` values and combine them"
                            .to_string(),
                    ),
                    // rhai's `LiteralTooLarge`: a list or map literal over the data limits.
                    ExprErrorKind::Limit if e.message.contains("literal") => (
                        "E0401",
                        1,
                        format!(
                            "a list literal holds at most {} entries: split it across rules, or \
                             classify with a `derive` rule's `keywords`",
                            crate::expr::limits::MAX_ARRAY_SIZE - 1
                        ),
                    ),
                    ExprErrorKind::Limit => (
                        "E0401",
                        1,
                        format!(
                            "a condition nests at most {} levels, and each `||` or `&&` of a chain \
                             is one more: test membership with `field in [\"a\", \"b\"]`, or split \
                             the condition across rules",
                            crate::expr::limits::MAX_EXPR_DEPTH
                        ),
                    ),
                    _ => (
                        "E0401",
                        1,
                        "conditions are rhai expressions, e.g. `severity == \"major\" && claim_amount >= 10000`"
                            .to_string(),
                    ),
                };
                let span = self.inner_span(at, off, len);
                self.push(
                    Diagnostic::error(code, format!("in condition: {}", e.message))
                        .with_span(span)
                        .with_hint(hint),
                );
                None
            }
        }
    }

    /// Evaluates a compiled condition once with sample values of every declared type: an
    /// operator applied to the wrong types, or a result that is not a boolean, shows up here
    /// whatever the ticket's values (errors that depend on values, like an index out of range on
    /// the empty sample list, are not reported).
    fn check_by_sample(&mut self, at: &At<String>, e: &Expr) {
        let Err(err) = self.exprs.eval_bool(e, &self.vars) else { return };
        let (code, message, hint) = match err.kind {
            ExprErrorKind::NotBoolean => {
                let found = err
                    .message
                    .split(" produced a ")
                    .nth(1)
                    .unwrap_or("value")
                    .trim_end_matches(", not a boolean");
                let found = match found {
                    "f64" | "f32" => "number",
                    "i64" | "i32" | "u32" | "u64" => "whole number",
                    "string" | "ImmutableString" | "char" => "string",
                    "array" => "list",
                    "map" => "map",
                    "()" => "nothing",
                    other => other,
                };
                (
                    "E0412",
                    format!("condition produces a {found}, not a boolean"),
                    "a condition must be true or false, e.g. `amount > 0`".to_string(),
                )
            }
            ExprErrorKind::Runtime if err.message.starts_with("function not found") => (
                "E0406",
                format!("type mismatch in condition: {}", err.message),
                "check the types of the fields this compares or combines (see `fields:`)"
                    .to_string(),
            ),
            _ => return,
        };
        let off = err.offset.unwrap_or(0).min(at.value.len());
        let span = self.inner_span(at, off, 1);
        self.push(Diagnostic::error(code, message).with_span(span).with_hint(hint));
    }

    fn check_enum_literals(&mut self, at: &At<String>) {
        for c in comparisons(&at.value) {
            let Some(values) = self.enums.get(&c.name) else { continue };
            if values.contains(&c.literal) {
                continue;
            }
            let hint = match did_you_mean(&c.literal, values.iter()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("`{}` is one of {}", c.name, backticked(values)),
            };
            let span = self.inner_span(at, c.offset, c.len);
            self.push(
                Diagnostic::error(
                    "E0403",
                    format!("`{}` is not a value of `{}`", c.literal, c.name),
                )
                .with_span(span)
                .with_hint(hint),
            );
        }
    }

    fn check_default(&mut self, name: &str, ty: &FieldType, n: &Node) {
        let ok = match (ty, &n.kind) {
            (_, NodeKind::Null) => true,
            (FieldType::String, NodeKind::Str(_)) => true,
            (FieldType::Number, NodeKind::Int(_) | NodeKind::Float(_)) => true,
            (FieldType::Int, NodeKind::Int(_)) => true,
            (FieldType::Bool, NodeKind::Bool(_)) => true,
            (FieldType::List, NodeKind::Seq(_)) => true,
            (FieldType::Map, NodeKind::Map(_)) => true,
            (FieldType::Enum(values), NodeKind::Str(s)) => {
                if !values.contains(s) {
                    let at = At::new(s.clone(), n.span);
                    let hint = did_you_mean(s, values.iter()).map_or_else(
                        || format!("`{name}` is one of {}", backticked(values)),
                        |m| format!("did you mean `{m}`?"),
                    );
                    self.push(
                        Diagnostic::error("E0403", format!("`{s}` is not a value of `{name}`"))
                            .with_span(at.span)
                            .with_hint(hint),
                    );
                }
                true
            }
            _ => false,
        };
        if !ok {
            let tname = match ty {
                FieldType::String => "string",
                FieldType::Number => "number",
                FieldType::Int => "int",
                FieldType::Bool => "bool",
                FieldType::Enum(_) => "enum",
                FieldType::List => "list",
                FieldType::Map => "map",
            };
            self.push(
                Diagnostic::error(
                    "E0406",
                    format!(
                        "default of `{name}` is {}, but the field is a {tname}",
                        n.kind.describe()
                    ),
                )
                .with_span(n.span)
                .with_hint(format!("give a {tname} default or change the field's `type:`")),
            );
        }
    }

    fn check_unique(&mut self, items: &[At<String>], what: &str) {
        for (i, a) in items.iter().enumerate() {
            if let Some(first) = items.get(..i).and_then(|s| s.iter().find(|b| b.value == a.value))
            {
                self.push(
                    Diagnostic::error("E0207", format!("{what} `{}` is listed twice", a.value))
                        .with_span(a.span)
                        .with_related(first.span, "first listed here")
                        .with_hint("remove the repeated entry"),
                );
            }
        }
    }

    fn fields(&mut self, doc: &PolicyFile) -> Vec<FieldDef> {
        let mut out = Vec::new();
        for f in &doc.fields {
            let Some(ty) = &f.ty else {
                self.vars.insert(f.name.value.clone(), Value::String(String::new()));
                continue;
            };
            let ty = match ty.value {
                FieldTypeName::String => FieldType::String,
                FieldTypeName::Number => FieldType::Number,
                FieldTypeName::Int => FieldType::Int,
                FieldTypeName::Bool => FieldType::Bool,
                FieldTypeName::List => FieldType::List,
                FieldTypeName::Map => FieldType::Map,
                FieldTypeName::Enum => {
                    if f.values.is_empty() {
                        self.push(
                            Diagnostic::error(
                                "E0104",
                                format!("enum field `{}` has no `values`", f.name.value),
                            )
                            .with_span(ty.span)
                            .with_hint("list the allowed values: `values: [a, b, c]`"),
                        );
                    }
                    self.check_unique(&f.values, "enum value");
                    let values: Vec<String> = f.values.iter().map(|v| v.value.clone()).collect();
                    self.enums.insert(f.name.value.clone(), values.clone());
                    FieldType::Enum(values)
                }
            };
            if !matches!(ty, FieldType::Enum(_)) && !f.values.is_empty() {
                self.push(
                    Diagnostic::warning(
                        "W0101",
                        format!("`values` is ignored: field `{}` is not an enum", f.name.value),
                    )
                    .with_span(f.values.first().map_or(f.name.span, |v| v.span))
                    .with_hint("use `type: enum` or remove `values`"),
                );
            }
            if let Some(d) = &f.default {
                self.check_default(&f.name.value, &ty, d);
            }
            self.vars.insert(f.name.value.clone(), sample(&ty));
            out.push(FieldDef {
                name: f.name.value.clone(),
                ty,
                default: f.default.as_ref().map(node_value).filter(|v| !v.is_null()),
            });
        }
        out
    }

    /// Registers derived names (so every condition may read them) before compiling any rule.
    fn declare_derived(&mut self, doc: &PolicyFile, fields: &[FieldDef]) {
        for d in &doc.derive {
            if fields.iter().any(|f| f.name == d.name.value) {
                continue;
            }
            let values: Vec<&Node> = d.rules.iter().filter_map(|r| r.value.as_ref()).collect();
            let sample_value =
                values.first().map_or(Value::String(String::new()), |n| match &n.kind {
                    NodeKind::Str(_) => Value::String(String::new()),
                    NodeKind::Int(_) => serde_json::json!(0),
                    NodeKind::Float(_) => serde_json::json!(0.0),
                    NodeKind::Bool(_) => Value::Bool(false),
                    NodeKind::Seq(_) => Value::Array(Vec::new()),
                    NodeKind::Map(_) => Value::Object(serde_json::Map::new()),
                    NodeKind::Null => Value::String(String::new()),
                });
            // Mixed kinds of values cannot be compared consistently.
            if let Some(first) = values.first() {
                for v in values.iter().skip(1) {
                    let same = std::mem::discriminant(&v.kind)
                        == std::mem::discriminant(&first.kind)
                        || matches!(
                            (&v.kind, &first.kind),
                            (
                                NodeKind::Int(_) | NodeKind::Float(_),
                                NodeKind::Int(_) | NodeKind::Float(_)
                            )
                        );
                    if !same {
                        self.push(
                            Diagnostic::error(
                                "E0406",
                                format!(
                                    "derive `{}` gives {} here but {} in its first rule",
                                    d.name.value,
                                    v.kind.describe(),
                                    first.kind.describe()
                                ),
                            )
                            .with_span(v.span)
                            .with_hint("every rule of one derive must give the same type of value"),
                        );
                    }
                }
            }
            if values.iter().all(|v| matches!(v.kind, NodeKind::Str(_))) && !values.is_empty() {
                let mut list: Vec<String> = Vec::new();
                for v in &values {
                    if let NodeKind::Str(s) = &v.kind
                        && !list.contains(s)
                    {
                        list.push(s.clone());
                    }
                }
                self.enums.insert(d.name.value.clone(), list);
            }
            self.vars.insert(d.name.value.clone(), sample_value);
        }
    }

    fn derived(&mut self, doc: &PolicyFile, fields: &[FieldDef]) -> Vec<DeriveDef> {
        let mut out = Vec::new();
        for (di, d) in doc.derive.iter().enumerate() {
            let declared = fields.iter().find(|f| f.name == d.name.value);
            let mut rules = Vec::new();
            let mut unconditional: Option<Span> = None;
            for r in &d.rules {
                if let Some(prev) = unconditional {
                    self.push(
                        Diagnostic::warning(
                            "W0102",
                            format!("this rule of `{}` never applies", d.name.value),
                        )
                        .with_span(r.span)
                        .with_related(prev, "an earlier rule always matches")
                        .with_hint("move the rule without `keywords`/`when` to the end"),
                    );
                }
                if r.keywords.is_empty() && r.when.is_none() && unconditional.is_none() {
                    unconditional = Some(r.span);
                }
                if let (Some(f), Some(v)) = (declared, &r.value) {
                    self.check_default(&f.name, &f.ty, v);
                }
                let when = match &r.when {
                    Some(w) => self.expr(w),
                    None => None,
                };
                if let Some(w) = &r.when {
                    self.check_derive_order(doc, di, w);
                }
                rules.push(DeriveRule {
                    value: r.value.as_ref().map_or(Value::Null, node_value),
                    keywords: r.keywords.iter().map(|k| k.value.clone()).collect(),
                    when,
                });
            }
            out.push(DeriveDef { name: d.name.value.clone(), rules });
        }
        out
    }

    /// Derived values are computed in file order: a rule may read only earlier ones.
    fn check_derive_order(&mut self, doc: &PolicyFile, index: usize, when: &At<String>) {
        let Some(this) = doc.derive.get(index) else { return };
        for (name, offset) in crate::check::scan::variables(&when.value) {
            let Some(pos) = doc.derive.iter().position(|d| d.name.value == name) else { continue };
            if pos < index {
                continue;
            }
            let what = if pos == index {
                format!("derive `{}` reads its own value", this.name.value)
            } else {
                format!("derive `{}` reads `{name}`, which is computed after it", this.name.value)
            };
            let span = self.inner_span(when, offset, name.len());
            self.push(Diagnostic::error("E0410", what).with_span(span).with_hint(format!(
                "derived values are computed in file order: move `{name}` above `{}`",
                this.name.value
            )));
        }
    }

    fn step_at(&mut self, at: &At<String>) -> Option<StepAt> {
        let v = at.value.trim();
        let lead = at.value.len() - at.value.trim_start().len();
        if let Some(p) = v.strip_suffix('%') {
            return match p.trim().parse::<f64>() {
                Ok(x) if x > 0.0 && x.is_finite() => Some(StepAt::Percent(x)),
                _ => {
                    self.bad_at(at);
                    None
                }
            };
        }
        if let Some(rest) = v.strip_prefix("deadline") {
            let r = rest.trim_start();
            if r.is_empty() {
                return Some(StepAt::Offset { before: false, by: Duration::Wall { seconds: 0 } });
            }
            let before = match r.chars().next() {
                Some('+') => false,
                Some('-') => true,
                _ => {
                    self.bad_at(at);
                    return None;
                }
            };
            let dur_text = r.get(1..).unwrap_or("");
            let base = lead + "deadline".len() + (rest.len() - r.len()) + 1;
            let by = self.duration_in(at, base, dur_text)?;
            return Some(StepAt::Offset { before, by });
        }
        self.bad_at(at);
        None
    }

    fn bad_at(&mut self, at: &At<String>) {
        self.push(
            Diagnostic::error("E0405", format!("invalid ladder step time `{}`", at.value))
                .with_span(at.span)
                .with_hint("write a share of the time limit (`80%`), `deadline`, or `deadline + 1 working day` / `deadline - 2h`"),
        );
    }

    fn ladders(&mut self, doc: &PolicyFile, tiers: &[String]) -> Vec<LadderDef> {
        let mut out = Vec::new();
        for l in &doc.ladders {
            let mut steps: Vec<LadderStep> = Vec::new();
            let mut spans: Vec<Span> = Vec::new();
            for s in &l.steps {
                let at = s.at.as_ref().and_then(|a| self.step_at(a));
                let to = s.to.as_ref().and_then(|t| self.target(tiers, t));
                let notify = s.notify.as_ref().and_then(|t| self.target(tiers, t));
                let when = s.when.as_ref().and_then(|w| self.expr(w));
                if let Some(a) = &s.action
                    && matches!(a.value, LadderAction::Escalate | LadderAction::Reassign)
                    && s.to.is_none()
                {
                    self.push(
                        Diagnostic::error("E0104", "an escalate or reassign step has no `to`")
                            .with_span(a.span)
                            .with_hint("add `to: next`, `to: owner` or `to: <tier>`"),
                    );
                }
                let (Some(at), Some(action)) = (at, s.action.as_ref()) else { continue };
                let at_span = s.at.as_ref().map_or(s.span, |a| a.span);
                for (prev, prev_span) in steps.iter().zip(&spans) {
                    match step_cmp(&prev.at, &at) {
                        Some(std::cmp::Ordering::Equal) if prev.action == action.value => {
                            self.push(
                                Diagnostic::error(
                                    "E0409",
                                    format!(
                                        "ladder `{}` has two `{}` steps at `{}`",
                                        l.name.value,
                                        format!("{:?}", action.value).to_lowercase(),
                                        s.at.as_ref().map_or("", |a| a.as_str())
                                    ),
                                )
                                .with_span(at_span)
                                .with_related(*prev_span, "first defined here")
                                .with_hint("remove the duplicate step"),
                            );
                            break;
                        }
                        Some(std::cmp::Ordering::Greater) => {
                            self.push(
                                Diagnostic::error(
                                    "E0408",
                                    format!(
                                        "step `{}` of ladder `{}` fires before the step above it (`{}`)",
                                        s.at.as_ref().map_or("", |a| a.as_str()),
                                        l.name.value,
                                        prev.at_text
                                    ),
                                )
                                .with_span(at_span)
                                .with_related(*prev_span, "earlier step")
                                .with_hint("list ladder steps in the order they fire"),
                            );
                            break;
                        }
                        _ => {}
                    }
                }
                spans.push(at_span);
                steps.push(LadderStep {
                    at,
                    at_text: s.at.as_ref().map_or(String::new(), |a| a.value.clone()),
                    action: action.value,
                    to,
                    notify,
                    mark: s.mark.as_ref().map(|m| m.value.clone()),
                    when,
                });
            }
            out.push(LadderDef { name: l.name.value.clone(), steps });
        }
        out
    }

    fn conditional<T>(
        &mut self,
        list: &[CondSpec],
        key: &str,
        stage: &str,
        mut value: impl FnMut(&mut Self, &At<String>) -> Option<T>,
    ) -> Vec<Conditional<T>> {
        let mut out = Vec::new();
        for (i, c) in list.iter().enumerate() {
            let when = c.when.as_ref().and_then(|w| self.expr(w));
            if i + 1 == list.len() && c.when.is_some() && list.len() > 1 {
                self.push(
                    Diagnostic::error(
                        "E0407",
                        format!("the last entry of `{key}` of stage `{stage}` has a condition"),
                    )
                    .with_span(c.span)
                    .with_hint(format!(
                        "end the list with an entry without `when:` so every ticket gets a value, e.g. `{{ {}: … }}`",
                        if key == "owner" { "tier" } else { "within" }
                    )),
                );
            } else if list.len() == 1 && c.when.is_some() {
                self.push(
                    Diagnostic::error(
                        "E0407",
                        format!("the only entry of `{key}` of stage `{stage}` has a condition"),
                    )
                    .with_span(c.span)
                    .with_hint("add a final entry without `when:` as the default"),
                );
            }
            if let Some(v) = c.value.as_ref().and_then(|v| value(self, v)) {
                out.push(Conditional { when, value: v });
            }
        }
        out
    }

    fn calendar(&mut self, doc: &PolicyFile, base_dir: Option<&Path>) -> Option<Arc<Calendar>> {
        let spec = doc.calendar.as_ref()?;
        let cal = match Calendar::resolve(&spec.id.value, base_dir) {
            Ok(c) => c,
            Err(ds) => {
                self.unresolved_calendar(&spec.id, ds);
                return None;
            }
        };
        if spec.hours.is_none() && spec.timezone.is_none() && spec.cutoff.is_none() {
            return Some(cal);
        }
        let hours = spec.hours.as_ref().and_then(|h| match h.value.parse::<BusinessHours>() {
            Ok(b) => Some(b),
            Err(e) => {
                let span = self.inner_span(h, e.offset, 1);
                self.push(
                    Diagnostic::error(
                        "E0411",
                        format!("invalid business hours `{}`: {}", h.value, e.message),
                    )
                    .with_span(span)
                    .with_hint(HOURS_FORM),
                );
                None
            }
        });
        let tz = spec.timezone.as_ref().and_then(|t| match parse_time_zone(&t.value) {
            Ok(tz) => Some(tz),
            Err(hint) => {
                self.push(
                    Diagnostic::error("E0411", format!("unknown time zone `{}`", t.value))
                        .with_span(t.span)
                        .with_hint(hint),
                );
                None
            }
        });
        let cutoff = spec.cutoff.as_ref().and_then(|c| {
            let t = parse_cutoff(&c.value);
            if t.is_none() {
                self.push(
                    Diagnostic::error("E0411", format!("invalid cutoff `{}`", c.value))
                        .with_span(c.span)
                        .with_hint(CUTOFF_FORM),
                );
            }
            t
        });
        Some(Arc::new(cal.with_overrides(hours, tz, cutoff)))
    }

    /// Reports a `calendar:` reference that did not resolve: the calendar file's own
    /// diagnostics (E05xx, located in that file) as they are, and one E0208 at the reference —
    /// with the calendar module's message and hint when the reference itself is wrong (unknown
    /// id, unreadable file).
    fn unresolved_calendar(&mut self, at: &At<String>, ds: Vec<Diagnostic>) {
        let mut reference: Option<Diagnostic> = None;
        let mut file: Option<String> = None;
        for d in ds {
            if d.source.is_some() {
                file = file.or_else(|| d.file().map(str::to_string));
                self.push(d);
            } else if reference.is_none() {
                let mut e = Diagnostic::error("E0208", d.message).with_span(at.span);
                if let Some(h) = d.hint {
                    e = e.with_hint(h);
                }
                reference = Some(e);
            }
        }
        let e = reference.unwrap_or_else(|| match file {
            Some(f) => Diagnostic::error("E0208", format!("calendar `{}` has errors", at.value))
                .with_span(at.span)
                .with_hint(format!("fix the errors reported in `{f}`")),
            None => Diagnostic::error("E0208", format!("unknown calendar `{}`", at.value))
                .with_span(at.span)
                .with_hint(
                    "use a bundled calendar id (e.g. `cn-mainland`) or a path to a calendar file",
                ),
        });
        self.push(e);
    }

    fn build(
        &mut self,
        doc: &PolicyFile,
        source: &Arc<Source>,
        base_dir: Option<&Path>,
    ) -> Option<CompiledPolicy> {
        let calendar = self.calendar(doc, base_dir);
        let fields = self.fields(doc);
        self.declare_derived(doc, &fields);
        let derived = self.derived(doc, &fields);

        self.check_unique(&doc.tiers, "tier");
        let tiers: Vec<String> = doc.tiers.iter().map(|t| t.value.clone()).collect();
        if doc.tiers.is_empty() && doc.tiers_span.is_none() {
            self.push(
                Diagnostic::error("E0104", "the policy declares no `tiers`")
                    .with_span(Span { len: 0, ..doc.span })
                    .with_hint("add `tiers: [frontline, supervisor, management]` (lowest first)"),
            );
        }
        let ladders = self.ladders(doc, &tiers);
        let ladder_names: Vec<String> = ladders.iter().map(|l| l.name.clone()).collect();
        let stage_names: Vec<String> = doc.stages.iter().map(|s| s.name.value.clone()).collect();

        let default_ladder = doc.ladder.as_ref().and_then(|l| {
            let id = ladder_names.iter().position(|n| *n == l.value);
            if id.is_none() {
                self.unknown("E0204", "ladder", l, &ladder_names);
            }
            id
        });
        let start = doc.start.as_ref().and_then(|s| {
            let id = stage_names.iter().position(|n| *n == s.value);
            if id.is_none() {
                self.unknown("E0201", "stage", s, &stage_names);
            }
            id
        });

        let mut stages = Vec::new();
        let mut graph: DiGraph<StageId, EdgeLabel> = DiGraph::new();
        for i in 0..doc.stages.len() {
            graph.add_node(i);
        }
        let declared_artifacts: Option<Vec<String>> =
            doc.artifacts.as_ref().map(|a| a.iter().map(|x| x.value.clone()).collect());
        let declared_events: Option<Vec<String>> =
            doc.events.as_ref().map(|a| a.iter().map(|x| x.value.clone()).collect());
        let mut event_uses: Vec<At<String>> = Vec::new();
        let mut artifact_uses: Vec<At<String>> = Vec::new();
        for (si, s) in doc.stages.iter().enumerate() {
            let name = s.name.value.as_str();
            let terminal = s.is_terminal();
            if terminal && (!s.on.is_empty() || !s.auto.is_empty() || !s.due.is_empty()) {
                self.push(
                    Diagnostic::warning(
                        "W0103",
                        format!("terminal stage `{name}` has transitions or a time limit that never apply"),
                    )
                    .with_span(s.name.span)
                    .with_hint("a ticket closes on entering a terminal stage; remove `on`, `auto` and `due`"),
                );
            }
            if !terminal && s.owner.is_empty() && s.owner_span.is_none() {
                self.push(
                    Diagnostic::error("E0104", format!("stage `{name}` has no `owner`"))
                        .with_span(s.name.span)
                        .with_hint("add `owner: <tier>` (or mark the stage `terminal: true`)"),
                );
            }
            let owner = self.conditional(&s.owner, "owner", name, |c, v| c.tier(&tiers, v));
            let due = self.conditional(&s.due, "due", name, |c, v| c.duration(v));
            self.check_unique(&s.requires, "artifact");
            artifact_uses.extend(s.requires.iter().cloned());
            if let Some(decl) = &declared_artifacts {
                for r in &s.requires {
                    if !decl.contains(&r.value) {
                        self.unknown("E0205", "artifact", r, decl);
                    }
                }
            }
            let mut on = Vec::new();
            for t in &s.on {
                let Some(ev) = &t.event else { continue };
                event_uses.push(ev.clone());
                let when = t.when.as_ref().and_then(|w| self.expr(w));
                let Some(to) = self.target_stage(t.to.as_ref(), &stage_names) else { continue };
                graph.add_edge(
                    petgraph::graph::NodeIndex::new(si),
                    petgraph::graph::NodeIndex::new(to),
                    EdgeLabel::Event {
                        event: ev.value.clone(),
                        guard: t.when.as_ref().map(|w| w.value.clone()),
                    },
                );
                on.push(Transition { event: ev.value.clone(), to, when });
            }
            let mut auto = Vec::new();
            for t in &s.auto {
                let when = t.when.as_ref().and_then(|w| self.expr(w));
                let Some(to) = self.target_stage(t.to.as_ref(), &stage_names) else { continue };
                graph.add_edge(
                    petgraph::graph::NodeIndex::new(si),
                    petgraph::graph::NodeIndex::new(to),
                    EdgeLabel::Auto {
                        condition: t.when.as_ref().map_or(String::new(), |w| w.value.clone()),
                    },
                );
                if let Some(when) = when {
                    auto.push(AutoTransition { to, when });
                }
            }
            let ladder = match &s.ladder {
                Some(l) if l.value == "none" => None,
                Some(l) => {
                    let id = ladder_names.iter().position(|n| *n == l.value);
                    if id.is_none() {
                        let mut c = ladder_names.clone();
                        c.push("none".into());
                        self.unknown("E0204", "ladder", l, &c);
                    }
                    id
                }
                None if !s.due.is_empty() => default_ladder,
                None => None,
            };
            stages.push(StageDef {
                name: name.to_string(),
                owner,
                due,
                requires: s.requires.iter().map(|r| r.value.clone()).collect(),
                on,
                auto,
                ladder,
                terminal,
            });
        }

        let mut groups = Vec::new();
        for g in &doc.groups {
            let when = g.when.as_ref().and_then(|w| self.expr(w));
            let lead = g.lead.as_ref().and_then(|t| self.tier(&tiers, t));
            let member_tier = g.member_tier.as_ref().and_then(|t| self.tier(&tiers, t));
            if let Some(per) = &g.per {
                match fields.iter().find(|f| f.name == per.value) {
                    None => {
                        let names: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
                        self.unknown("E0203", "field", per, &names);
                    }
                    Some(f) if f.ty != FieldType::List => self.push(
                        Diagnostic::error(
                            "E0406",
                            format!(
                                "`per: {}` needs a list field, but `{}` is not a list",
                                per.value, per.value
                            ),
                        )
                        .with_span(per.span)
                        .with_hint("members are formed one per value of a `type: list` field"),
                    ),
                    Some(_) => {}
                }
            }
            let mut gstages = Vec::new();
            for s in &g.stages {
                match stage_names.iter().position(|n| *n == s.value) {
                    Some(i) => gstages.push(i),
                    None => self.unknown("E0201", "stage", s, &stage_names),
                }
            }
            if let (Some(lead), Some(member_tier), Some(per)) = (lead, member_tier, &g.per) {
                groups.push(GroupDef {
                    name: g.name.value.clone(),
                    when,
                    lead,
                    member_tier,
                    per: per.value.clone(),
                    stages: gstages,
                    complete: g.complete.as_ref().map_or(Completion::All, |c| c.value),
                });
            }
        }

        let mut obligations = Vec::new();
        for o in &doc.obligations {
            let when = o.when.as_ref().and_then(|w| self.expr(w));
            let due = o.due.as_ref().and_then(|d| self.duration(d));
            let owner = o.owner.as_ref().and_then(|t| self.tier(&tiers, t));
            if let Some(d) = &o.done_on {
                event_uses.push(d.clone());
            }
            if let (Some(due), Some(owner), Some(done_on)) = (due, owner, &o.done_on) {
                obligations.push(ObligationDef {
                    name: o.name.value.clone(),
                    when,
                    due,
                    owner,
                    done_on: done_on.value.clone(),
                });
            }
        }

        let mut pauses = Vec::new();
        for p in &doc.pause {
            event_uses.extend(p.on.iter().cloned());
            event_uses.extend(p.resume_on.iter().cloned());
            if let (Some(on), Some(resume_on)) = (&p.on, &p.resume_on) {
                if on.value == resume_on.value {
                    self.push(
                        Diagnostic::error("E0206", format!("pause and resume are the same event `{}`", on.value))
                            .with_span(resume_on.span)
                            .with_hint("use distinct events, e.g. `awaiting_complainant` and `complainant_replied`"),
                    );
                }
                pauses.push(PauseRule {
                    on: on.value.clone(),
                    resume_on: resume_on.value.clone(),
                    resume: p.resume.as_ref().map_or(ResumeMode::Remaining, |r| r.value),
                });
            }
        }
        self.check_events(&event_uses, declared_events.as_deref());
        if declared_artifacts.is_none() {
            self.similar_names(&artifact_uses, "W0105", "artifact", "artifacts");
        }

        // Graph checks.
        let infos: Vec<StageInfo<'_>> = doc
            .stages
            .iter()
            .map(|s| StageInfo {
                name: &s.name.value,
                span: s.name.span,
                terminal: s.is_terminal(),
            })
            .collect();
        // A dangling stage reference (already reported) would make the graph checks report
        // consequences of the same mistake; run them once the references resolve.
        if !self.diags.iter().any(|d| d.code == "E0201") {
            let key_span = doc.stages_key.unwrap_or(doc.span);
            let graph_diags = check_graph(&graph, &infos, start, key_span);
            self.diags.extend(graph_diags);
        }

        Some(CompiledPolicy {
            id: doc.policy.as_ref()?.value.clone(),
            version: doc.version.as_ref().map_or(String::new(), |v| v.value.clone()),
            title: doc.title.as_ref().map(|t| t.value.clone()),
            digest: String::new(),
            calendar: calendar?,
            calendar_span: doc.calendar.as_ref()?.id.span,
            source: Arc::clone(source),
            exprs: std::mem::take(&mut self.exprs),
            fields,
            derived,
            tiers,
            groups,
            ladders,
            start: start?,
            stages,
            obligations,
            pauses,
            graph,
        })
        .map(|mut p| {
            p.digest = hex_sha256(self.text);
            p
        })
    }

    /// Event names: checked against `events:` when declared; otherwise near-duplicates (a likely
    /// typo such as `confirmd` next to `confirmed`) are warned about.
    fn check_events(&mut self, uses: &[At<String>], declared: Option<&[String]>) {
        // The engine acts on a built-in event itself, before looking at the stage: a policy
        // event of that name would never be taken.
        for u in uses.iter().filter(|u| crate::runtime::BUILTIN_EVENTS.contains(&u.value.as_str()))
        {
            self.push(
                Diagnostic::error("E0206", format!("`{}` is a built-in event", u.value))
                    .with_span(u.span)
                    .with_hint(format!(
                        "the engine acts on `{0}` itself and never passes it to the policy: \
                         rename the event, e.g. `{0}_requested`",
                        u.value
                    )),
            );
        }
        if let Some(decl) = declared {
            for u in uses {
                let builtin = crate::runtime::BUILTIN_EVENTS.contains(&u.value.as_str());
                if !builtin && !decl.contains(&u.value) {
                    self.unknown("E0206", "event", u, decl);
                }
            }
            return;
        }
        self.similar_names(uses, "W0104", "event", "events");
    }

    /// Warns about names that differ by one or two letters (a likely typo).
    fn similar_names(&mut self, uses: &[At<String>], code: &'static str, kind: &str, key: &str) {
        let mut names: Vec<&At<String>> = Vec::new();
        for u in uses {
            if !names.iter().any(|n| n.value == u.value) {
                names.push(u);
            }
        }
        for (i, a) in names.iter().enumerate() {
            for b in names.iter().skip(i + 1) {
                let d = crate::check::edit_distance(&a.value, &b.value);
                if a.value.chars().count() > 4 && (1..=2).contains(&d) {
                    self.push(
                        Diagnostic::warning(
                            code,
                            format!(
                                "{kind} `{}` looks like a misspelling of `{}`",
                                b.value, a.value
                            ),
                        )
                        .with_span(b.span)
                        .with_related(a.span, format!("similar {kind} used here"))
                        .with_hint(format!(
                            "use one spelling, or declare the policy's `{key}:` to check them"
                        )),
                    );
                }
            }
        }
    }
}

fn hex_sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
