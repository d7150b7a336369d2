//! The YAML tree ([`Node`]) → the typed model ([`PolicyFile`]), by hand, collecting every
//! structural diagnostic (E01xx) instead of stopping at the first.

use super::model::*;
use crate::check::DiagnosticCode;
use crate::check::{Diagnostic, Span, did_you_mean};
use crate::compile::{Completion, LadderAction, ResumeMode};
use crate::yaml::{Node, NodeKind};

pub(crate) const TOP_KEYS: &[&str] = &[
    "policy",
    "version",
    "title",
    "calendar",
    "fields",
    "derive",
    "tiers",
    "artifacts",
    "events",
    "groups",
    "ladders",
    "ladder",
    "start",
    "stages",
    "obligations",
    "pause",
];
pub(crate) const CALENDAR_KEYS: &[&str] = &["id", "hours", "timezone", "cutoff"];
pub(crate) const FIELD_KEYS: &[&str] = &["type", "values", "default", "required"];
pub(crate) const RULE_KEYS: &[&str] = &["value", "keywords", "unless", "in", "when"];
pub(crate) const GROUP_KEYS: &[&str] = &["when", "lead", "members", "stages", "complete"];
pub(crate) const MEMBER_KEYS: &[&str] = &["tier", "per"];
pub(crate) const STEP_KEYS: &[&str] = &["at", "do", "to", "notify", "mark", "when"];
pub(crate) const STAGE_KEYS: &[&str] =
    &["owner", "due", "requires", "on", "auto", "ladder", "terminal", "extensions"];
pub(crate) const OWNER_KEYS: &[&str] = &["when", "tier"];
pub(crate) const DUE_KEYS: &[&str] = &["when", "within"];
pub(crate) const TRANSITION_KEYS: &[&str] = &["to", "when"];
pub(crate) const OBLIGATION_KEYS: &[&str] =
    &["when", "start_on", "due", "owner", "done_on", "ladder", "extensions"];
pub(crate) const PAUSE_KEYS: &[&str] = &["on", "resume_on", "resume", "stages"];
pub(crate) const EXTENSION_KEYS: &[&str] = &["on", "by", "to", "requires", "max", "when"];

/// Converts the tree of a policy file into the model, with every structural diagnostic.
pub(crate) fn convert(root: &Node) -> (PolicyFile, Vec<Diagnostic>) {
    let mut r = Reader { diags: Vec::new() };
    let mut p = PolicyFile { span: root.span, ..PolicyFile::default() };
    match &root.kind {
        NodeKind::Map(_) => {}
        NodeKind::Null => {
            r.diags.push(
                Diagnostic::error(DiagnosticCode::E0102, "policy file is empty")
                    .with_span(root.span)
                    .with_hint("a policy starts with `policy: <id>` and declares `stages:`"),
            );
            return (p, r.diags);
        }
        other => {
            r.diags.push(
                Diagnostic::error(
                    DiagnosticCode::E0102,
                    format!("a policy must be a YAML mapping, found {}", other.describe()),
                )
                .with_span(root.span)
                .with_hint("a policy starts with `policy: <id>` and declares `stages:`"),
            );
            return (p, r.diags);
        }
    }
    let Some(top) = r.map(root, "the policy", TOP_KEYS) else { return (p, r.diags) };
    p.policy = r.req_string(&top, root, "policy", "the policy");
    p.version = top.get("version").and_then(|n| r.string(n, "`version`"));
    p.title = top.get("title").and_then(|n| r.string(n, "`title`"));
    p.calendar = r.calendar(&top, root);
    if let Some(n) = top.get("fields") {
        p.fields = r.fields(n);
    }
    if let Some(n) = top.get("derive") {
        p.derive = r.derive(n);
    }
    if let Some(n) = top.get("tiers") {
        p.tiers_span = Some(n.span);
        p.tiers = r.string_list(n, "`tiers`");
    }
    p.artifacts = top.get("artifacts").map(|n| r.string_list(n, "`artifacts`"));
    p.events = top.get("events").map(|n| r.string_list(n, "`events`"));
    if let Some(n) = top.get("groups") {
        p.groups = r.groups(n);
    }
    if let Some(n) = top.get("ladders") {
        p.ladders = r.ladders(n);
    }
    p.ladder = top.get("ladder").and_then(|n| r.string(n, "`ladder`"));
    p.start = r.req_string(&top, root, "start", "the policy");
    match top.entry("stages") {
        Some((k, n)) => {
            p.stages_key = Some(k.span);
            p.stages = r.stages(n);
        }
        None => r.missing(root, "stages", "the policy"),
    }
    if let Some(n) = top.get("obligations") {
        p.obligations = r.obligations(n);
    }
    if let Some(n) = top.get("pause") {
        p.pause = r.pauses(n);
    }
    (p, r.diags)
}

/// Keys of one mapping, looked up by name.
struct Keys<'a> {
    entries: &'a [(Node, Node)],
}

impl<'a> Keys<'a> {
    fn entry(&self, key: &str) -> Option<(&'a Node, &'a Node)> {
        self.entries.iter().find(|(k, _)| key_text(k).as_deref() == Some(key)).map(|(k, v)| (k, v))
    }
    fn get(&self, key: &str) -> Option<&'a Node> {
        self.entry(key).map(|(_, v)| v)
    }
}

/// The boolean a YAML 1.1 word means (`yes`, `No`, `ON`, `off`, `y`, `n`).
pub(crate) fn yaml11_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "y" | "on" => Some(true),
        "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

fn key_text(n: &Node) -> Option<String> {
    match &n.kind {
        NodeKind::Str(s) => Some(s.clone()),
        NodeKind::Int(i) => Some(i.to_string()),
        NodeKind::Bool(b) => Some(b.to_string()),
        NodeKind::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

struct Reader {
    diags: Vec<Diagnostic>,
}

impl Reader {
    fn wrong_type(&mut self, n: &Node, what: &str, expected: &str) {
        self.diags.push(
            Diagnostic::error(
                DiagnosticCode::E0105,
                format!("{what} must be {expected}, found {}", n.kind.describe()),
            )
            .with_span(n.span)
            .with_hint(match expected {
                "a list" => "write a list: `[a, b]`, or one `- item` per line",
                "a map" => "write `key: value` entries, indented under the key",
                "a string" => "write text; quote it if it looks like another type: `\"…\"`",
                "`true` or `false`" => "only `true` and `false` are booleans (YAML 1.2)",
                _ => "see the policy language reference (`ombud schema`)",
            }),
        );
    }

    fn missing(&mut self, parent: &Node, key: &str, what: &str) {
        self.diags.push(
            Diagnostic::error(DiagnosticCode::E0104, format!("{what} has no `{key}`"))
                .with_span(Span { len: 0, ..parent.span })
                .with_hint(format!("add `{key}:`")),
        );
    }

    /// The entries of a mapping, reporting unknown and duplicate keys.
    fn map<'a>(&mut self, n: &'a Node, what: &str, allowed: &[&str]) -> Option<Keys<'a>> {
        let NodeKind::Map(entries) = &n.kind else {
            self.wrong_type(n, what, "a map");
            return None;
        };
        self.check_keys(entries, what, Some(allowed));
        Some(Keys { entries })
    }

    /// Entries of a mapping whose keys are user-chosen names (stages, fields, …).
    fn named<'a>(&mut self, n: &'a Node, what: &str) -> Vec<(At<String>, &'a Node)> {
        let NodeKind::Map(entries) = &n.kind else {
            if n.kind != NodeKind::Null {
                self.wrong_type(n, what, "a map");
            }
            return Vec::new();
        };
        self.check_keys(entries, what, None);
        // A repeated name was reported by `check_keys`; only its first definition counts.
        let mut out: Vec<(At<String>, &Node)> = Vec::new();
        for (k, v) in entries {
            if let Some(name) = key_text(k)
                && !out.iter().any(|(n, _)| n.value == name)
            {
                out.push((At::new(name, k.span), v));
            }
        }
        out
    }

    fn check_keys(&mut self, entries: &[(Node, Node)], what: &str, allowed: Option<&[&str]>) {
        let mut seen: Vec<(String, Span)> = Vec::new();
        for (k, _) in entries {
            let Some(name) = key_text(k) else {
                self.wrong_type(k, &format!("a key in {what}"), "a name");
                continue;
            };
            if let Some((_, first)) = seen.iter().find(|(s, _)| *s == name) {
                self.diags.push(
                    Diagnostic::error(
                        DiagnosticCode::E0107,
                        format!("duplicate key `{name}` in {what}"),
                    )
                    .with_span(k.span)
                    .with_related(*first, "first defined here")
                    .with_hint(format!(
                        "`{name}` is already defined on line {}; remove or rename one",
                        first.line
                    )),
                );
                continue;
            }
            seen.push((name.clone(), k.span));
            if let Some(allowed) = allowed
                && !allowed.contains(&name.as_str())
            {
                let mut d = Diagnostic::error(
                    DiagnosticCode::E0103,
                    format!("unknown key `{name}` in {what}"),
                )
                .with_span(k.span);
                d = match did_you_mean(&name, allowed.iter()) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint(format!(
                        "allowed keys: {}",
                        allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                    )),
                };
                self.diags.push(d);
            }
        }
    }

    fn string(&mut self, n: &Node, what: &str) -> Option<At<String>> {
        match &n.kind {
            NodeKind::Str(s) => Some(At::new(s.clone(), n.span)),
            NodeKind::Int(i) => Some(At::new(i.to_string(), n.span)),
            NodeKind::Float(f) => Some(At::new(f.to_string(), n.span)),
            _ => {
                self.wrong_type(n, what, "a string");
                None
            }
        }
    }

    fn req_string(
        &mut self,
        keys: &Keys<'_>,
        parent: &Node,
        key: &str,
        what: &str,
    ) -> Option<At<String>> {
        match keys.get(key) {
            Some(n) => self.string(n, &format!("`{key}`")),
            None => {
                self.missing(parent, key, what);
                None
            }
        }
    }

    /// A boolean. A YAML 1.1 word for one (`yes`, `off`, …) is an error that names the
    /// boolean meant, and the rest of the checks read it as that boolean, so that the one
    /// mistake is reported once (not as a stage with no owner, or a policy with no terminal
    /// stage).
    fn boolean(&mut self, n: &Node, what: &str) -> Option<At<bool>> {
        match &n.kind {
            NodeKind::Bool(b) => Some(At::new(*b, n.span)),
            NodeKind::Str(s) if yaml11_bool(s).is_some() => {
                let meant = yaml11_bool(s)?;
                let key = what.trim_matches('`');
                self.diags.push(
                    Diagnostic::error(
                        DiagnosticCode::E0105,
                        format!("{what} must be `true` or `false`, found the string `{s}`"),
                    )
                    .with_span(n.span)
                    .with_hint(format!(
                        "`{s}` is text in YAML 1.2, not a boolean: write `{key}: {meant}`"
                    )),
                );
                Some(At::new(meant, n.span))
            }
            _ => {
                self.wrong_type(n, what, "`true` or `false`");
                None
            }
        }
    }

    fn string_list(&mut self, n: &Node, what: &str) -> Vec<At<String>> {
        match &n.kind {
            NodeKind::Seq(items) => items.iter().filter_map(|i| self.string(i, what)).collect(),
            NodeKind::Null => Vec::new(),
            _ => {
                self.wrong_type(n, what, "a list");
                Vec::new()
            }
        }
    }

    fn seq<'a>(&mut self, n: &'a Node, what: &str) -> &'a [Node] {
        match &n.kind {
            NodeKind::Seq(items) => items,
            NodeKind::Null => &[],
            _ => {
                self.wrong_type(n, what, "a list");
                &[]
            }
        }
    }

    fn keyword<T: Copy>(&mut self, n: &Node, what: &str, options: &[(&str, T)]) -> Option<At<T>> {
        let s = self.string(n, what)?;
        if let Some((_, v)) = options.iter().find(|(name, _)| *name == s.value) {
            return Some(At::new(*v, s.span));
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let mut d = Diagnostic::error(
            DiagnosticCode::E0106,
            format!("`{}` is not a valid {what}", s.value),
        )
        .with_span(s.span);
        d = match did_you_mean(&s.value, names.iter()) {
            Some(m) => d.with_hint(format!("did you mean `{m}`?")),
            None => d.with_hint(format!(
                "expected one of {}",
                names.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
            )),
        };
        self.diags.push(d);
        None
    }

    fn calendar(&mut self, top: &Keys<'_>, root: &Node) -> Option<CalendarSpec> {
        let Some(n) = top.get("calendar") else {
            self.diags.push(
                Diagnostic::error(DiagnosticCode::E0104, "the policy has no `calendar`")
                    .with_span(Span { len: 0, ..root.span })
                    .with_hint(
                        "add `calendar: cn-mainland` (a bundled id) or a path to a calendar file",
                    ),
            );
            return None;
        };
        if let NodeKind::Map(_) = n.kind {
            let keys = self.map(n, "`calendar`", CALENDAR_KEYS)?;
            let id = self.req_string(&keys, n, "id", "`calendar`")?;
            Some(CalendarSpec {
                id,
                hours: keys.get("hours").and_then(|h| self.string(h, "`hours`")),
                timezone: keys.get("timezone").and_then(|h| self.string(h, "`timezone`")),
                cutoff: keys.get("cutoff").and_then(|h| self.string(h, "`cutoff`")),
            })
        } else {
            let id = self.string(n, "`calendar`")?;
            Some(CalendarSpec { id, hours: None, timezone: None, cutoff: None })
        }
    }

    fn fields(&mut self, n: &Node) -> Vec<FieldSpec> {
        let mut out = Vec::new();
        for (name, v) in self.named(n, "`fields`") {
            let what = format!("field `{}`", name.value);
            let Some(keys) = self.map(v, &what, FIELD_KEYS) else { continue };
            let ty = match keys.get("type") {
                Some(t) => {
                    let opts: Vec<(&str, FieldTypeName)> = FieldTypeName::NAMES
                        .iter()
                        .filter_map(|s| FieldTypeName::parse(s).map(|t| (*s, t)))
                        .collect();
                    self.keyword(t, "field type", &opts)
                }
                None => {
                    self.missing(v, "type", &what);
                    None
                }
            };
            let values =
                keys.get("values").map(|n| self.string_list(n, "`values`")).unwrap_or_default();
            let required = keys.get("required").and_then(|r| self.boolean(r, "`required`"));
            out.push(FieldSpec {
                name,
                ty,
                values,
                default: keys.get("default").cloned(),
                required,
            });
        }
        out
    }

    fn derive(&mut self, n: &Node) -> Vec<DeriveSpec> {
        let mut out = Vec::new();
        for (name, v) in self.named(n, "`derive`") {
            let mut rules = Vec::new();
            let what = format!("a rule of derive `{}`", name.value);
            for rule in self.seq(v, &format!("derive `{}`", name.value)) {
                let Some(keys) = self.map(rule, &what, RULE_KEYS) else { continue };
                let value = keys.get("value").cloned();
                if value.is_none() {
                    self.missing(rule, "value", &what);
                }
                let keywords = keys
                    .get("keywords")
                    .map(|k| self.string_list(k, "`keywords`"))
                    .unwrap_or_default();
                let unless =
                    keys.get("unless").map(|k| self.string_list(k, "`unless`")).unwrap_or_default();
                let within =
                    keys.get("in").map(|k| self.string_list(k, "`in`")).unwrap_or_default();
                let when = keys.get("when").and_then(|w| self.string(w, "`when`"));
                rules.push(DeriveRuleSpec {
                    value,
                    keywords,
                    unless,
                    within,
                    when,
                    span: rule.span,
                });
            }
            out.push(DeriveSpec { name, rules });
        }
        out
    }

    fn groups(&mut self, n: &Node) -> Vec<GroupSpec> {
        let mut out = Vec::new();
        for (name, v) in self.named(n, "`groups`") {
            let what = format!("group `{}`", name.value);
            let Some(keys) = self.map(v, &what, GROUP_KEYS) else { continue };
            let (mut member_tier, mut per) = (None, None);
            match keys.get("members") {
                Some(m) => {
                    if let Some(mk) = self.map(m, "`members`", MEMBER_KEYS) {
                        member_tier = self.req_string(&mk, m, "tier", "`members`");
                        per = self.req_string(&mk, m, "per", "`members`");
                    }
                }
                None => self.missing(v, "members", &what),
            }
            let lead = self.req_string(&keys, v, "lead", &what);
            let stages =
                keys.get("stages").map(|s| self.string_list(s, "`stages`")).unwrap_or_default();
            let complete = keys.get("complete").and_then(|c| {
                self.keyword(
                    c,
                    "completion (`complete:`)",
                    &[
                        ("all", Completion::All),
                        ("any", Completion::Any),
                        ("lead", Completion::Lead),
                    ],
                )
            });
            out.push(GroupSpec {
                when: keys.get("when").and_then(|w| self.string(w, "`when`")),
                name,
                lead,
                member_tier,
                per,
                stages,
                complete,
            });
        }
        out
    }

    fn ladders(&mut self, n: &Node) -> Vec<LadderSpec> {
        let mut out = Vec::new();
        for (name, v) in self.named(n, "`ladders`") {
            let mut steps = Vec::new();
            let what = format!("a step of ladder `{}`", name.value);
            for step in self.seq(v, &format!("ladder `{}`", name.value)) {
                let Some(keys) = self.map(step, &what, STEP_KEYS) else { continue };
                let at = self.req_string(&keys, step, "at", &what);
                let action = match keys.get("do") {
                    Some(d) => self.keyword(
                        d,
                        "ladder action (`do:`)",
                        &[
                            ("flag", LadderAction::Flag),
                            ("notify", LadderAction::Notify),
                            ("escalate", LadderAction::Escalate),
                            ("reassign", LadderAction::Reassign),
                        ],
                    ),
                    None => {
                        self.missing(step, "do", &what);
                        None
                    }
                };
                steps.push(StepSpec {
                    at,
                    action,
                    to: keys.get("to").and_then(|x| self.string(x, "`to`")),
                    notify: keys.get("notify").and_then(|x| self.string(x, "`notify`")),
                    mark: keys.get("mark").and_then(|x| self.string(x, "`mark`")),
                    when: keys.get("when").and_then(|x| self.string(x, "`when`")),
                    span: step.span,
                });
            }
            out.push(LadderSpec { name, steps });
        }
        out
    }

    /// `owner:` / `due:` — a plain value or a list of `{when, <value_key>}`.
    fn conditional(
        &mut self,
        n: &Node,
        key: &str,
        value_key: &str,
        keys: &[&str],
    ) -> Vec<CondSpec> {
        match &n.kind {
            NodeKind::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    let what = format!("an entry of `{key}`");
                    let Some(k) = self.map(item, &what, keys) else { continue };
                    let value = self.req_string(&k, item, value_key, &what);
                    let when = k.get("when").and_then(|w| self.string(w, "`when`"));
                    out.push(CondSpec { when, value, span: item.span });
                }
                out
            }
            _ => match self.string(n, &format!("`{key}`")) {
                Some(v) => vec![CondSpec { when: None, value: Some(v), span: n.span }],
                None => Vec::new(),
            },
        }
    }

    fn transition(
        &mut self,
        event: Option<At<String>>,
        n: &Node,
        what: &str,
    ) -> Option<TransitionSpec> {
        match &n.kind {
            NodeKind::Map(_) => {
                let k = self.map(n, what, TRANSITION_KEYS)?;
                let to = self.req_string(&k, n, "to", what);
                let when = k.get("when").and_then(|w| self.string(w, "`when`"));
                Some(TransitionSpec { event, to, when })
            }
            _ => {
                let to = self.string(n, what)?;
                Some(TransitionSpec { event, to: Some(to), when: None })
            }
        }
    }

    fn stages(&mut self, n: &Node) -> Vec<StageSpec> {
        let mut out = Vec::new();
        for (name, v) in self.named(n, "`stages`") {
            let what = format!("stage `{}`", name.value);
            let mut st = StageSpec {
                name,
                owner: Vec::new(),
                owner_span: None,
                due: Vec::new(),
                due_span: None,
                requires: Vec::new(),
                on: Vec::new(),
                auto: Vec::new(),
                ladder: None,
                terminal: None,
                extensions: Vec::new(),
            };
            let Some(keys) = self.map(v, &what, STAGE_KEYS) else {
                out.push(st);
                continue;
            };
            if let Some(o) = keys.get("owner") {
                st.owner_span = Some(o.span);
                st.owner = self.conditional(o, "owner", "tier", OWNER_KEYS);
            }
            if let Some(d) = keys.get("due") {
                st.due_span = Some(d.span);
                st.due = self.conditional(d, "due", "within", DUE_KEYS);
            }
            if let Some(r) = keys.get("requires") {
                st.requires = self.string_list(r, "`requires`");
            }
            if let Some(on) = keys.get("on") {
                for (event, target) in self.named(on, &format!("`on` of {what}")) {
                    let twhat = format!("transition `{}`", event.value);
                    if let NodeKind::Seq(items) = &target.kind {
                        for item in items {
                            if let NodeKind::Map(_) = item.kind {
                                st.on.extend(self.transition(Some(event.clone()), item, &twhat));
                            } else {
                                self.wrong_type(
                                    item,
                                    &format!("an entry of {twhat}"),
                                    "a map `{to, when}`",
                                );
                            }
                        }
                    } else {
                        st.on.extend(self.transition(Some(event), target, &twhat));
                    }
                }
            }
            if let Some(a) = keys.get("auto") {
                for item in self.seq(a, "`auto`") {
                    if let NodeKind::Map(_) = item.kind {
                        let t = self.transition(None, item, "an entry of `auto`");
                        if let Some(t) = &t
                            && t.when.is_none()
                        {
                            self.missing(item, "when", "an entry of `auto`");
                        }
                        st.auto.extend(t);
                    } else {
                        self.wrong_type(item, "an entry of `auto`", "a map `{to, when}`");
                    }
                }
            }
            st.ladder = keys.get("ladder").and_then(|l| self.string(l, "`ladder`"));
            st.terminal = keys.get("terminal").and_then(|t| self.boolean(t, "`terminal`"));
            if let Some(e) = keys.get("extensions") {
                st.extensions = self.extensions(e, &what);
            }
            out.push(st);
        }
        out
    }

    fn obligations(&mut self, n: &Node) -> Vec<ObligationSpec> {
        let mut out = Vec::new();
        for (name, v) in self.named(n, "`obligations`") {
            let what = format!("obligation `{}`", name.value);
            let Some(keys) = self.map(v, &what, OBLIGATION_KEYS) else { continue };
            let when = keys.get("when").and_then(|w| self.string(w, "`when`"));
            let start_on = keys.get("start_on").and_then(|w| self.string(w, "`start_on`"));
            if let (Some(w), Some(s)) = (&when, &start_on) {
                self.diags.push(
                    Diagnostic::error(
                        DiagnosticCode::E0109,
                        format!("{what} has both `when` and `start_on`"),
                    )
                    .with_span(s.span)
                    .with_related(w.span, "`when` is here")
                    .with_hint(
                        "an obligation starts either when a condition first holds (`when`) or \
                         when an event is accepted (`start_on`); keep one",
                    ),
                );
            }
            let extensions =
                keys.get("extensions").map(|e| self.extensions(e, &what)).unwrap_or_default();
            out.push(ObligationSpec {
                when,
                due: self.req_string(&keys, v, "due", &what),
                owner: self.req_string(&keys, v, "owner", &what),
                done_on: self.req_string(&keys, v, "done_on", &what),
                start_on,
                ladder: keys.get("ladder").and_then(|l| self.string(l, "`ladder`")),
                extensions,
                name,
            });
        }
        out
    }

    fn pauses(&mut self, n: &Node) -> Vec<PauseSpec> {
        let mut out = Vec::new();
        for item in self.seq(n, "`pause`") {
            let what = "an entry of `pause`";
            let Some(keys) = self.map(item, what, PAUSE_KEYS) else { continue };
            out.push(PauseSpec {
                on: self.req_string(&keys, item, "on", what),
                resume_on: self.req_string(&keys, item, "resume_on", what),
                resume: keys.get("resume").and_then(|r| {
                    self.keyword(
                        r,
                        "resume mode (`resume:`)",
                        &[("remaining", ResumeMode::Remaining), ("restart", ResumeMode::Restart)],
                    )
                }),
                stages: keys
                    .get("stages")
                    .map(|s| self.string_list(s, "`stages`"))
                    .unwrap_or_default(),
            });
        }
        out
    }

    /// `extensions:` of a stage or an obligation (`what` names it).
    fn extensions(&mut self, n: &Node, what: &str) -> Vec<ExtensionSpec> {
        let mut out = Vec::new();
        let entry = format!("an extension of {what}");
        for item in self.seq(n, &format!("`extensions` of {what}")) {
            let Some(keys) = self.map(item, &entry, EXTENSION_KEYS) else { continue };
            let on = self.req_string(&keys, item, "on", &entry);
            let by = keys.get("by").and_then(|b| self.string(b, "`by`"));
            let to = keys.get("to").and_then(|t| self.string(t, "`to`"));
            match (&by, &to, keys.get("by").is_some() || keys.get("to").is_some()) {
                (Some(b), Some(t), _) => self.diags.push(
                    Diagnostic::error(
                        DiagnosticCode::E0108,
                        format!("{entry} has both `by` and `to`"),
                    )
                    .with_span(t.span)
                    .with_related(b.span, "`by` is here")
                    .with_hint(
                        "`by:` extends from the current deadline, `to:` sets the whole limit \
                         from the clock's start; keep one",
                    ),
                ),
                (None, None, false) => self.diags.push(
                    Diagnostic::error(
                        DiagnosticCode::E0108,
                        format!("{entry} has neither `by` nor `to`"),
                    )
                    .with_span(Span { len: 0, ..item.span })
                    .with_hint(
                        "add `by: 15 working days` (from the current deadline) or \
                         `to: 30 calendar days` (the whole limit from the clock's start)",
                    ),
                ),
                _ => {}
            }
            let max = keys.get("max").and_then(|m| match &m.kind {
                NodeKind::Int(i) => Some(At::new(*i, m.span)),
                _ => {
                    self.wrong_type(m, "`max`", "a whole number");
                    None
                }
            });
            let requires =
                keys.get("requires").map(|r| self.string_list(r, "`requires`")).unwrap_or_default();
            out.push(ExtensionSpec {
                on,
                by,
                to,
                requires,
                max,
                when: keys.get("when").and_then(|w| self.string(w, "`when`")),
            });
        }
        out
    }
}
