//! Model → [`CompiledPolicy`]: resolves every reference, parses every duration, compiles every
//! condition, resolves the calendar, builds the stage graph and runs the semantic checks,
//! collecting every diagnostic.

use super::*;
use crate::calendar::{BusinessHours, CUTOFF_FORM, HOURS_FORM, parse_cutoff, parse_time_zone};
use crate::check::DiagnosticCode;
use crate::check::graph::{StageInfo, check_graph};
use crate::check::names::{event_names, listed_twice, similar_names, unknown};
use crate::check::types::{Kind, mismatches};
use crate::check::{Diagnostic, Source, Span, conditions, keywords, ladder, reach};
use crate::policy::DURATION_FORMS;
use crate::policy::model::*;
use crate::yaml::{Node, NodeKind, value_span};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

mod extend;
mod ladders;

/// The name conditions read the current stage by.
pub(crate) const STAGE: &str = "stage";

/// The state of one compilation: the diagnostics found so far and what conditions can read.
pub(super) struct Compiler<'t> {
    text: &'t str,
    diags: Vec<Diagnostic>,
    exprs: ExprEngine,
    /// Names visible to expressions, with sample values of their types.
    vars: BTreeMap<String, Value>,
    /// Enum-like names (declared enums, string-valued derives) and their values.
    enums: BTreeMap<String, Vec<String>>,
    /// The types of the names conditions can read, where known (for `E0420`).
    kinds: BTreeMap<String, Kind>,
    /// `tiers:` is present but malformed: don't report every tier reference as unknown.
    quiet_tiers: bool,
    /// The policy's calendar, once resolved: limits and ladder steps are counted on it.
    calendar: Option<Arc<Calendar>>,
    /// Per ladder, the span of each step's `at:`.
    step_spans: Vec<Vec<Span>>,
    /// A calendar standing in for the one the policy names (its overrides still apply).
    pub(super) stand_in: Option<Arc<Calendar>>,
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

/// The kind of a field's values as comparisons see it (`None` for lists and maps).
fn kind(ty: &FieldType) -> Option<Kind> {
    match ty {
        FieldType::String => Some(Kind::Text),
        FieldType::Enum(values) => Some(Kind::Enum(values.clone())),
        FieldType::Number | FieldType::Int => Some(Kind::Number),
        FieldType::Bool => Some(Kind::Bool),
        FieldType::List | FieldType::Map => None,
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

impl<'t> Compiler<'t> {
    /// A compiler for the policy `doc` written in `text`, with the diagnostics found so far.
    pub(super) fn new(text: &'t str, diags: Vec<Diagnostic>, doc: &PolicyFile) -> Self {
        Compiler {
            text,
            diags,
            exprs: ExprEngine::new(),
            vars: BTreeMap::new(),
            enums: BTreeMap::new(),
            kinds: BTreeMap::new(),
            quiet_tiers: doc.tiers.is_empty() && doc.tiers_span.is_some(),
            calendar: None,
            step_spans: Vec::new(),
            stand_in: None,
        }
    }

    /// The diagnostics found.
    pub(super) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diags
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Span of bytes `index..index+len` of a scalar's decoded value.
    fn inner_span(&self, at: &At<String>, index: usize, len: usize) -> Span {
        value_span(self.text, at.span, &at.value, index, len)
    }

    /// The id of a transition's target stage; an unknown name is reported (E0201).
    fn target_stage(&mut self, to: Option<&At<String>>, stage_names: &[String]) -> Option<StageId> {
        let to = to?;
        let id = stage_names.iter().position(|n| *n == to.value);
        if id.is_none() {
            self.push(unknown(DiagnosticCode::E0201, "stage", to, stage_names));
        }
        id.map(StageId)
    }

    fn tier(&mut self, tiers: &[String], at: &At<String>) -> Option<TierId> {
        let id = tiers.iter().position(|t| *t == at.value);
        // With a malformed `tiers:` (already reported) every reference would be "unknown".
        if id.is_none() && !self.quiet_tiers {
            self.push(unknown(DiagnosticCode::E0202, "tier", at, tiers));
        }
        id.map(TierId)
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
                    self.push(unknown(DiagnosticCode::E0202, "tier", at, &c));
                }
                id.map(|i| TierTarget::Tier(TierId(i)))
            }
        }
    }

    fn duration(&mut self, at: &At<String>) -> Option<Duration> {
        self.duration_in(at, 0, &at.value.clone())
    }

    /// A time limit: a duration that ends by 9999 (`E0430`).
    fn limit(&mut self, at: &At<String>) -> Option<Duration> {
        let d = self.duration(at)?;
        if let Some(diag) =
            self.calendar.as_ref().and_then(|c| reach::limit(c, d, &at.value, at.span))
        {
            self.push(diag);
        }
        Some(d)
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
                        DiagnosticCode::E0404,
                        format!("invalid duration `{}`: {}", text.trim(), e.message),
                    )
                    .with_span(span)
                    .with_hint(DURATION_FORMS),
                );
                None
            }
        }
    }

    /// Compiles a condition against the names conditions can read, with the checks of its
    /// literals and of what evaluating it with sample values shows.
    fn expr(&mut self, at: &At<String>) -> Option<Expr> {
        self.diags.extend(conditions::enum_literals(self.text, at, &self.enums));
        let mismatched = mismatches(self.text, at, &self.kinds);
        let typed = mismatched.is_empty();
        self.diags.extend(mismatched);
        match self.exprs.compile(&at.value, &self.vars) {
            Ok(e) => {
                // A comparison across types is the root cause of the error evaluating it shows.
                if typed {
                    let sample = conditions::by_sample(self.text, at, &self.exprs, &e, &self.vars);
                    self.diags.extend(sample);
                }
                Some(e)
            }
            Err(e) => {
                self.push(conditions::compile_error(self.text, at, &e, &self.vars));
                None
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
                                DiagnosticCode::E0104,
                                format!("enum field `{}` has no `values`", f.name.value),
                            )
                            .with_span(ty.span)
                            .with_hint("list the allowed values: `values: [a, b, c]`"),
                        );
                    }
                    self.diags.extend(listed_twice(&f.values, "enum value"));
                    let values: Vec<String> = f.values.iter().map(|v| v.value.clone()).collect();
                    self.enums.insert(f.name.value.clone(), values.clone());
                    FieldType::Enum(values)
                }
            };
            if !matches!(ty, FieldType::Enum(_)) && !f.values.is_empty() {
                self.push(
                    Diagnostic::warning(
                        DiagnosticCode::W0101,
                        format!("`values` is ignored: field `{}` is not an enum", f.name.value),
                    )
                    .with_span(f.values.first().map_or(f.name.span, |v| v.span))
                    .with_hint("use `type: enum` or remove `values`"),
                );
            }
            if let Some(d) = &f.default {
                self.diags.extend(conditions::default_value(&f.name.value, &ty, d));
                if let Some(r) = f.required.as_ref().filter(|r| r.value) {
                    self.push(
                        Diagnostic::warning(
                            DiagnosticCode::W0108,
                            format!("field `{}` is required, so its `default` never applies", f.name.value),
                        )
                        .with_span(r.span)
                        .with_related(d.span, "the default")
                        .with_hint("a ticket must give a required field: remove `default`, or remove `required: true` to let the default fill it in"),
                    );
                }
            }
            self.vars.insert(f.name.value.clone(), sample(&ty));
            if let Some(kind) = kind(&ty) {
                self.kinds.insert(f.name.value.clone(), kind);
            }
            out.push(FieldDef {
                name: f.name.value.clone(),
                ty,
                default: f.default.as_ref().map(node_value).filter(|v| !v.is_null()),
                required: f.required.as_ref().is_some_and(|r| r.value),
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
                                DiagnosticCode::E0406,
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
                self.kinds.insert(d.name.value.clone(), Kind::Enum(list.clone()));
                self.enums.insert(d.name.value.clone(), list);
            } else if let Some(first) = values.first() {
                match first.kind {
                    NodeKind::Int(_) | NodeKind::Float(_) => {
                        self.kinds.insert(d.name.value.clone(), Kind::Number);
                    }
                    NodeKind::Bool(_) => {
                        self.kinds.insert(d.name.value.clone(), Kind::Bool);
                    }
                    _ => {}
                }
            }
            self.vars.insert(d.name.value.clone(), sample_value);
        }
    }

    /// Makes `stage` readable in conditions, as an enum of the policy's stage names; a field or
    /// derived value of that name is an error (E0210).
    fn declare_stage(&mut self, doc: &PolicyFile) {
        let names = doc.fields.iter().map(|f| &f.name).chain(doc.derive.iter().map(|d| &d.name));
        for name in names.filter(|n| n.value == STAGE) {
            self.push(
                Diagnostic::error(
                    DiagnosticCode::E0210,
                    "`stage` is reserved: conditions read it as the current stage's name",
                )
                .with_span(name.span)
                .with_hint("rename the field, e.g. `phase` or `step`"),
            );
        }
        let stages: Vec<String> = doc.stages.iter().map(|s| s.name.value.clone()).collect();
        self.vars.insert(STAGE.to_string(), Value::String(String::new()));
        self.enums.insert(STAGE.to_string(), stages);
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
                            DiagnosticCode::W0102,
                            format!("this rule of `{}` never applies", d.name.value),
                        )
                        .with_span(r.span)
                        .with_related(prev, "an earlier rule always matches")
                        .with_hint("move the rule without `keywords`/`when` to the end"),
                    );
                }
                if r.keywords.is_empty()
                    && r.unless.is_empty()
                    && r.when.is_none()
                    && unconditional.is_none()
                {
                    unconditional = Some(r.span);
                }
                if let (Some(f), Some(v)) = (declared, &r.value) {
                    self.diags.extend(conditions::default_value(&f.name, &f.ty, v));
                }
                let when = match &r.when {
                    Some(w) => self.expr(w),
                    None => None,
                };
                if let Some(w) = &r.when {
                    self.diags.extend(conditions::derive_order(self.text, &doc.derive, di, w));
                }
                for f in &r.within {
                    let searchable: Vec<String> = fields
                        .iter()
                        .filter(|f| matches!(f.ty, FieldType::String | FieldType::List))
                        .map(|f| f.name.clone())
                        .collect();
                    if !searchable.contains(&f.value) {
                        self.push(unknown(
                            DiagnosticCode::E0203,
                            "string or list field",
                            f,
                            &searchable,
                        ));
                    }
                }
                self.diags.extend(keywords::changed_meaning(&d.name.value, r, fields));
                rules.push(DeriveRule {
                    value: r.value.as_ref().map_or(Value::Null, node_value),
                    keywords: r.keywords.iter().map(|k| k.value.clone()).collect(),
                    unless: r.unless.iter().map(|k| k.value.clone()).collect(),
                    within: r.within.iter().map(|k| k.value.clone()).collect(),
                    when,
                });
            }
            out.push(DeriveDef { name: d.name.value.clone(), rules });
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
                        DiagnosticCode::E0407,
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
                        DiagnosticCode::E0407,
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
        let resolved = match self.stand_in.clone() {
            Some(c) => Ok(c),
            None => Calendar::resolve(&spec.id.value, base_dir),
        };
        let cal = match resolved {
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
                        DiagnosticCode::E0411,
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
                    Diagnostic::error(
                        DiagnosticCode::E0411,
                        format!("unknown time zone `{}`", t.value),
                    )
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
                    Diagnostic::error(
                        DiagnosticCode::E0411,
                        format!("invalid cutoff `{}`", c.value),
                    )
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
                let mut e = Diagnostic::error(DiagnosticCode::E0208, d.message).with_span(at.span);
                if let Some(h) = d.hint {
                    e = e.with_hint(h);
                }
                reference = Some(e);
            }
        }
        let e = reference.unwrap_or_else(|| match file {
            Some(f) => Diagnostic::error(
                DiagnosticCode::E0208,
                format!("calendar `{}` has errors", at.value),
            )
            .with_span(at.span)
            .with_hint(format!("fix the errors reported in `{f}`")),
            None => Diagnostic::error(
                DiagnosticCode::E0208,
                format!("unknown calendar `{}`", at.value),
            )
            .with_span(at.span)
            .with_hint(
                "use a bundled calendar id (e.g. `cn-mainland`) or a path to a calendar file",
            ),
        });
        self.push(e);
    }

    pub(super) fn build(
        &mut self,
        doc: &PolicyFile,
        source: &Arc<Source>,
        base_dir: Option<&Path>,
    ) -> Option<CompiledPolicy> {
        let calendar = self.calendar(doc, base_dir);
        self.calendar.clone_from(&calendar);
        let fields = self.fields(doc);
        self.declare_derived(doc, &fields);
        self.declare_stage(doc);
        let derived = self.derived(doc, &fields);

        self.diags.extend(listed_twice(&doc.tiers, "tier"));
        let tiers: Vec<String> = doc.tiers.iter().map(|t| t.value.clone()).collect();
        if doc.tiers.is_empty() && doc.tiers_span.is_none() {
            self.push(
                Diagnostic::error(DiagnosticCode::E0104, "the policy declares no `tiers`")
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
                self.push(unknown(DiagnosticCode::E0204, "ladder", l, &ladder_names));
            }
            id.map(LadderId)
        });
        let start = doc.start.as_ref().and_then(|s| {
            let id = stage_names.iter().position(|n| *n == s.value);
            if id.is_none() {
                self.push(unknown(DiagnosticCode::E0201, "stage", s, &stage_names));
            }
            id.map(StageId)
        });

        let mut stages = Vec::new();
        // Per ladder, the steps already reported as falling after 9999 (`E0431`).
        let mut reported: Vec<Vec<usize>> = vec![Vec::new(); ladders.len()];
        let mut graph: DiGraph<StageId, EdgeLabel> = DiGraph::new();
        for i in 0..doc.stages.len() {
            graph.add_node(StageId(i));
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
                        DiagnosticCode::W0103,
                        format!("terminal stage `{name}` has transitions or a time limit that never apply"),
                    )
                    .with_span(s.name.span)
                    .with_hint("a ticket closes on entering a terminal stage; remove `on`, `auto` and `due`"),
                );
            }
            if !terminal && s.owner.is_empty() && s.owner_span.is_none() {
                self.push(
                    Diagnostic::error(
                        DiagnosticCode::E0104,
                        format!("stage `{name}` has no `owner`"),
                    )
                    .with_span(s.name.span)
                    .with_hint("add `owner: <tier>` (or mark the stage `terminal: true`)"),
                );
            }
            let owner = self.conditional(&s.owner, "owner", name, |c, v| c.tier(&tiers, v));
            let due = self.conditional(&s.due, "due", name, |c, v| c.limit(v));
            self.diags.extend(listed_twice(&s.requires, "artifact"));
            artifact_uses.extend(s.requires.iter().cloned());
            if let Some(decl) = &declared_artifacts {
                for r in &s.requires {
                    if !decl.contains(&r.value) {
                        self.push(unknown(DiagnosticCode::E0205, "artifact", r, decl));
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
                    petgraph::graph::NodeIndex::new(to.index()),
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
                    petgraph::graph::NodeIndex::new(to.index()),
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
                        self.push(unknown(DiagnosticCode::E0204, "ladder", l, &c));
                    }
                    id.map(LadderId)
                }
                None if !s.due.is_empty() => default_ladder,
                None => None,
            };
            let l = ladder.map(LadderId::index);
            if let (Some(cal), Some(def), Some(spans), Some(done)) = (
                &self.calendar,
                l.and_then(|l| ladders.get(l)),
                l.and_then(|l| self.step_spans.get(l)),
                l.and_then(|l| reported.get_mut(l)),
            ) {
                let dues: Vec<Duration> = due.iter().map(|d| d.value).collect();
                let found = reach::steps(cal, name, &dues, def, spans, done);
                self.diags.extend(found);
            }
            if !s.extensions.is_empty() && s.due.is_empty() && !terminal {
                self.push(
                    Diagnostic::error(
                        DiagnosticCode::E0110,
                        format!("stage `{name}` has `extensions` but no `due`"),
                    )
                    .with_span(s.name.span)
                    .with_hint("an extension moves the stage's deadline: give the stage `due:`"),
                );
            }
            for e in s.extensions.iter().filter_map(|e| e.on.as_ref()) {
                if let Some(t) =
                    s.on.iter().filter_map(|t| t.event.as_ref()).find(|t| t.value == e.value)
                {
                    self.push(
                        Diagnostic::error(
                            DiagnosticCode::E0209,
                            format!(
                                "event `{}` is both a transition and an extension of stage `{name}`",
                                e.value
                            ),
                        )
                        .with_span(e.span)
                        .with_related(t.span, "the transition")
                        .with_hint(
                            "an extension keeps the ticket in its stage; name the extension's \
                             event differently (e.g. `extension_approved`)",
                        ),
                    );
                }
            }
            let plain_due = match &due[..] {
                [only] if only.when.is_none() => Some(only.value),
                _ => None,
            };
            let extensions = self.extensions(
                &s.extensions,
                &format!("stage `{name}`"),
                plain_due,
                &mut event_uses,
                &mut artifact_uses,
                declared_artifacts.as_deref(),
            );
            stages.push(StageDef {
                name: name.to_string(),
                owner,
                due,
                requires: s.requires.iter().map(|r| r.value.clone()).collect(),
                on,
                auto,
                ladder,
                terminal,
                extensions,
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
                        self.push(unknown(DiagnosticCode::E0203, "field", per, &names));
                    }
                    Some(f) if f.ty != FieldType::List => self.push(
                        Diagnostic::error(
                            DiagnosticCode::E0406,
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
                    Some(i) => gstages.push(StageId(i)),
                    None => self.push(unknown(DiagnosticCode::E0201, "stage", s, &stage_names)),
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
            let due = o.due.as_ref().and_then(|d| self.limit(d));
            let owner = o.owner.as_ref().and_then(|t| self.tier(&tiers, t));
            if let Some(d) = &o.done_on {
                event_uses.push(d.clone());
            }
            if let Some(d) = &o.start_on {
                event_uses.push(d.clone());
            }
            let ladder = o.ladder.as_ref().and_then(|l| {
                let id = ladder_names.iter().position(|n| *n == l.value);
                if id.is_none() {
                    self.push(unknown(DiagnosticCode::E0204, "ladder", l, &ladder_names));
                }
                id.map(LadderId)
            });
            let extensions = self.extensions(
                &o.extensions,
                &format!("obligation `{}`", o.name.value),
                due,
                &mut event_uses,
                &mut artifact_uses,
                declared_artifacts.as_deref(),
            );
            if let (Some(due), Some(owner), Some(done_on)) = (due, owner, &o.done_on) {
                obligations.push(ObligationDef {
                    name: o.name.value.clone(),
                    when,
                    start_on: o.start_on.as_ref().map(|s| s.value.clone()),
                    due,
                    owner,
                    done_on: done_on.value.clone(),
                    ladder,
                    extensions,
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
                        Diagnostic::error(DiagnosticCode::E0206, format!("pause and resume are the same event `{}`", on.value))
                            .with_span(resume_on.span)
                            .with_hint("use distinct events, e.g. `awaiting_complainant` and `complainant_replied`"),
                    );
                }
                let mut scoped = Vec::new();
                for s in &p.stages {
                    match stage_names.iter().position(|n| *n == s.value) {
                        Some(i) => scoped.push(StageId(i)),
                        None => self.push(unknown(DiagnosticCode::E0201, "stage", s, &stage_names)),
                    }
                }
                pauses.push(PauseRule {
                    on: on.value.clone(),
                    resume_on: resume_on.value.clone(),
                    resume: p.resume.as_ref().map_or(ResumeMode::Remaining, |r| r.value),
                    stages: scoped,
                });
            }
        }
        self.diags.extend(event_names(&event_uses, declared_events.as_deref()));
        if declared_artifacts.is_none() {
            self.diags.extend(similar_names(
                &artifact_uses,
                DiagnosticCode::W0105,
                "artifact",
                "artifacts",
            ));
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
        if !self.diags.iter().any(|d| d.code == DiagnosticCode::E0201) {
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
            events: declared_events,
            graph,
        })
        .map(|mut p| {
            p.digest = hex_sha256(self.text);
            p
        })
    }
}

fn hex_sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
