//! The rhai sandbox: every `when` of a policy compiles here once, at load time, against the
//! declared field names, and evaluates here with explicit resource limits.
//!
//! The engine is built with [`rhai::Engine::new_raw`] plus only the packages conditions need
//! (comparison, arithmetic, string, array and map functions). Loops, `eval`, function definitions
//! and statement blocks are unavailable, variables are strict, and every limit is set explicitly so
//! debug and release builds behave the same. A hostile expression stops with an error, never hangs.
//!
//! ```
//! use ombud_engine::expr::{ExprEngine, ExprErrorKind};
//! let fields = std::collections::BTreeMap::from([("severity".to_string(), "major".into())]);
//! let engine = ExprEngine::new();
//! let major = engine.compile(r#"severity == "major""#, &fields).unwrap();
//! assert_eq!(engine.eval_bool(&major, &fields), Ok(true));
//! // An endless loop is not an expression: it is refused before it can run.
//! let spin = engine.compile("loop { }", &fields).unwrap_err();
//! assert_eq!((spin.kind, spin.message.as_str()), (ExprErrorKind::Syntax, "unexpected 'loop'"));
//! ```

mod fast;
pub(crate) mod lex;
mod sizes;

use fast::Fast;
use rhai::packages::{
    BasicArrayPackage, BasicMapPackage, BasicMathPackage, CorePackage, LogicPackage,
    MoreStringPackage, Package,
};
use rhai::{AST, Dynamic, Engine, EvalAltResult, ImmutableString, Position, Scope};
use serde_json::Value;
pub use sizes::{DataSizes, sandbox_sizes};
use std::borrow::Borrow;
use std::collections::BTreeMap;

/// What names a map of values for expressions: `String` (as in `serde_json` maps) or the
/// engine's inline [`compact_str::CompactString`] (ticket fields).
///
/// ```
/// use compact_str::CompactString;
/// let fields = std::collections::BTreeMap::from([(CompactString::from("amount"), 250.into())]);
/// let engine = ombud_engine::expr::ExprEngine::new();
/// let small = engine.compile("amount < 500", &fields).unwrap();
/// assert!(engine.eval_bool(&small, &fields).unwrap());
/// ```
pub trait Key: Borrow<str> + Ord {}

impl<K: Borrow<str> + Ord> Key for K {}

/// The values an expression reads, by name: a `BTreeMap` keyed by `String` or by the engine's
/// inline text, or a ticket's [`FieldMap`](crate::runtime::FieldMap). A host with its own
/// storage implements it directly:
///
/// ```
/// use ombud_engine::expr::{ExprEngine, Vars};
/// use serde_json::{Value, json};
/// struct Amount(Value);
/// impl Vars for Amount {
///     fn var(&self, name: &str) -> Option<&Value> { (name == "amount").then_some(&self.0) }
///     fn each_var(&self, f: &mut dyn FnMut(&str, &Value)) { f("amount", &self.0) }
///     fn var_count(&self) -> usize { 1 }
/// }
/// let engine = ExprEngine::new();
/// let large = engine.compile("amount >= 10000", &Amount(json!(0))).unwrap();
/// assert_eq!(engine.eval_bool(&large, &Amount(json!(12_500))), Ok(true));
/// ```
pub trait Vars {
    /// The value named `name`.
    ///
    /// ```
    /// use ombud_engine::expr::Vars;
    /// let fields = std::collections::BTreeMap::from([("channel".to_string(), "web".into())]);
    /// assert_eq!(fields.var("channel"), Some(&serde_json::json!("web")));
    /// assert_eq!(fields.var("region"), None);
    /// ```
    fn var(&self, name: &str) -> Option<&Value>;
    /// Calls `f` with every name and its value, in name order.
    ///
    /// ```
    /// use ombud_engine::expr::Vars;
    /// let fields: std::collections::BTreeMap<String, serde_json::Value> =
    ///     [("b".into(), 2.into()), ("a".into(), 1.into())].into();
    /// let mut names = Vec::new();
    /// fields.each_var(&mut |name, _| names.push(name.to_string()));
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    fn each_var(&self, f: &mut dyn FnMut(&str, &Value));
    /// How many values there are.
    ///
    /// ```
    /// use ombud_engine::expr::Vars;
    /// let fields: std::collections::BTreeMap<String, _> = [("repeat".into(), true.into())].into();
    /// assert_eq!(fields.var_count(), 1);
    /// ```
    fn var_count(&self) -> usize;
}

impl<K: Key> Vars for BTreeMap<K, Value> {
    fn var(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }

    fn each_var(&self, f: &mut dyn FnMut(&str, &Value)) {
        self.iter().for_each(|(k, v)| f(k.borrow(), v));
    }

    fn var_count(&self) -> usize {
        self.len()
    }
}

/// Resource limits applied to every expression. One place, set explicitly.
pub mod limits {
    /// Maximum operations one evaluation may perform.
    ///
    /// A backstop: loops, which are what could run up operations, do not compile at all.
    ///
    /// ```
    /// use ombud_engine::expr::{ExprEngine, ExprErrorKind, limits::MAX_OPERATIONS};
    /// let fields = std::collections::BTreeMap::from([("n".to_string(), 0.into())]);
    /// let err = ExprEngine::new().compile("while n < 1_000_000 { }", &fields).unwrap_err();
    /// assert_eq!(err.kind, ExprErrorKind::Syntax);
    /// assert_eq!(MAX_OPERATIONS, 10_000);
    /// ```
    pub const MAX_OPERATIONS: u64 = 10_000;
    /// Maximum function call nesting.
    ///
    /// A backstop: a condition cannot define a function, so it cannot recurse.
    ///
    /// ```
    /// use ombud_engine::expr::{ExprEngine, ExprErrorKind, limits::MAX_CALL_LEVELS};
    /// let none = std::collections::BTreeMap::<String, serde_json::Value>::new();
    /// let err = ExprEngine::new().compile("fn f(x) { f(x) } f(1)", &none).unwrap_err();
    /// assert_eq!((err.kind, err.message.as_str()), (ExprErrorKind::Syntax, "unexpected 'fn'"));
    /// assert_eq!(MAX_CALL_LEVELS, 8);
    /// ```
    pub const MAX_CALL_LEVELS: usize = 8;
    /// Maximum expression nesting depth (global, functions).
    ///
    /// Each `||` or `&&` in a chain adds a level, so a chain of more than about 30 alternatives
    /// is refused; test a value against a list with `in` instead.
    ///
    /// ```
    /// use ombud_engine::expr::{ExprEngine, ExprErrorKind};
    /// let fields = std::collections::BTreeMap::from([("code".to_string(), 7.into())]);
    /// let codes: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    /// let chain = codes.iter().map(|c| format!("code == {c}")).collect::<Vec<_>>().join(" || ");
    /// let engine = ExprEngine::new();
    /// let err = engine.compile(&chain, &fields).unwrap_err();
    /// assert_eq!(err.kind, ExprErrorKind::Limit);
    /// assert_eq!(err.message, "expression exceeds maximum complexity");
    /// let listed = engine.compile(&format!("code in [{}]", codes.join(", ")), &fields).unwrap();
    /// assert_eq!(engine.eval_bool(&listed, &fields), Ok(true));
    /// ```
    pub const MAX_EXPR_DEPTH: usize = 32;
    /// Maximum length of any string built during evaluation, in bytes.
    ///
    /// ```
    /// use ombud_engine::expr::{ExprEngine, ExprErrorKind, limits::MAX_STRING_SIZE};
    /// let engine = ExprEngine::new();
    /// let text = serde_json::Value::from("x".repeat(MAX_STRING_SIZE * 2 / 3));
    /// let fields: std::collections::BTreeMap<String, _> = [("text".into(), text)].into();
    /// let [read, doubled] = ["text.len() > 0", "(text + text).len() > 0"]
    ///     .map(|src| engine.compile(src, &fields).unwrap());
    /// assert_eq!(engine.eval_bool(&read, &fields), Ok(true));
    /// assert_eq!(engine.eval_bool(&doubled, &fields).unwrap_err().kind, ExprErrorKind::Limit);
    /// ```
    pub const MAX_STRING_SIZE: usize = 64 * 1024;
    /// Maximum length of any array built during evaluation, and of any list a condition reads
    /// (nested lists' entries counted): the runtime refuses a bigger list field at the input
    /// (see [`sandbox_sizes`](crate::expr::sandbox_sizes)).
    ///
    /// ```
    /// use ombud_engine::expr::{ExprEngine, limits::MAX_ARRAY_SIZE};
    /// let departments = serde_json::json!(vec!["billing"; MAX_ARRAY_SIZE / 2 + 1]);
    /// let fields = std::collections::BTreeMap::from([("departments".to_string(), departments)]);
    /// let engine = ExprEngine::new();
    /// let both = engine.compile("(departments + departments).len() > 1", &fields).unwrap();
    /// let err = engine.eval_bool(&both, &fields).unwrap_err();
    /// assert_eq!(err.to_string(), "size of array/BLOB too large");
    /// ```
    pub const MAX_ARRAY_SIZE: usize = 1_024;
    /// Maximum number of entries of any map built during evaluation.
    ///
    /// ```
    /// use ombud_engine::expr::{ExprEngine, ExprErrorKind, limits::MAX_MAP_SIZE};
    /// let entries: Vec<String> = (0..=MAX_MAP_SIZE).map(|i| format!("k{i}: {i}")).collect();
    /// let source = format!("#{{{}}}.len() > 0", entries.join(", "));
    /// let none = std::collections::BTreeMap::<String, serde_json::Value>::new();
    /// let err = ExprEngine::new().compile(&source, &none).unwrap_err();
    /// assert_eq!(err.kind, ExprErrorKind::Limit);
    /// ```
    pub const MAX_MAP_SIZE: usize = 256;
    /// Maximum length of an expression's source text, in bytes.
    ///
    /// ```
    /// use ombud_engine::expr::{ExprEngine, ExprErrorKind, limits::MAX_SOURCE_LEN};
    /// let fields = std::collections::BTreeMap::from([("amount".to_string(), 0.into())]);
    /// let padded = format!("amount > 0{}", " ".repeat(MAX_SOURCE_LEN));
    /// let err = ExprEngine::new().compile(&padded, &fields).unwrap_err();
    /// assert_eq!(err.kind, ExprErrorKind::Limit);
    /// assert_eq!(err.message, "expression is longer than 4096 bytes");
    /// ```
    pub const MAX_SOURCE_LEN: usize = 4_096;
}

/// A compiled condition: the source text it came from and its rhai AST. A compiled policy holds
/// one for every `when`; evaluate it with the policy's own [`ExprEngine`].
///
/// ```
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// # let (policy, _) = ombud_engine::load_policy_file(path.as_ref()).unwrap();
/// use serde_json::json;
/// let forms = policy.groups[0].when.as_ref().unwrap();
/// let ticket: std::collections::BTreeMap<String, _> =
///     [("departments".into(), json!(["billing"]))].into();
/// assert_eq!(policy.exprs.eval_bool(forms, &ticket), Ok(false));
/// ```
#[derive(Debug, Clone)]
pub struct Expr {
    source: String,
    ast: AST,
    /// The declared names the expression reads; only these are bound when it is evaluated.
    vars: Vec<String>,
    /// The same condition in the direct evaluator's subset, when it fits (see [`fast`]).
    fast: Option<Fast>,
}

impl Expr {
    /// The expression's source text as written in the policy.
    ///
    /// ```
    /// # use ombud_engine::expr::ExprEngine;
    /// let fields = std::collections::BTreeMap::from([("repeat".to_string(), false.into())]);
    /// let e = ExprEngine::new().compile("repeat  ==  true", &fields).unwrap();
    /// assert_eq!(e.source(), "repeat  ==  true");
    /// ```
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The field and derived names the expression reads, sorted.
    ///
    /// ```
    /// # use ombud_engine::expr::ExprEngine;
    /// let fields: std::collections::BTreeMap<String, serde_json::Value> =
    ///     [("text".into(), "".into()), ("amount".into(), 0.into()), ("region".into(), "".into())]
    ///         .into();
    /// let refund = r#"text.contains("refund") && amount > 100"#;
    /// let e = ExprEngine::new().compile(refund, &fields).unwrap();
    /// assert_eq!(e.variables(), ["amount", "text"]);
    /// ```
    pub fn variables(&self) -> &[String] {
        &self.vars
    }
}

/// The names `source` reads: identifiers outside literals that are not a property or method
/// after `.` (a name inside `${…}` of a backtick string is read too).
fn identifiers(source: &str) -> Vec<&str> {
    let tokens = lex::lex(source);
    tokens
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            matches!(t.tok, lex::Tok::Ident(_))
                && !i
                    .checked_sub(1)
                    .and_then(|j| tokens.get(j))
                    .is_some_and(|before| before.tok == lex::Tok::Punct('.'))
        })
        .filter_map(|(_, t)| source.get(t.offset..t.offset + t.len))
        .collect()
}

/// Why an expression did not compile or evaluate.
///
/// ```
/// use ombud_engine::expr::{ExprEngine, ExprErrorKind};
/// let fields = std::collections::BTreeMap::from([("severity".to_string(), "minor".into())]);
/// let err = ExprEngine::new().compile(r#"severity == "major" && severty != "x""#, &fields);
/// let err = err.unwrap_err();
/// assert_eq!((err.kind, err.offset), (ExprErrorKind::UndefinedVariable, Some(23)));
/// assert_eq!(err.to_string(), "unknown variable `severty`");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    /// What is wrong, lowercase.
    pub message: String,
    /// Byte offset inside the expression's source text, when known.
    pub offset: Option<usize>,
    /// The kind of failure.
    pub kind: ExprErrorKind,
}

/// The kinds of [`ExprError`].
///
/// ```
/// use ombud_engine::expr::{ExprEngine, ExprErrorKind};
/// let fields = std::collections::BTreeMap::from([("count".to_string(), 3.into())]);
/// let engine = ExprEngine::new();
/// assert_eq!(engine.compile("count >", &fields).unwrap_err().kind, ExprErrorKind::Syntax);
/// let sum = engine.compile("count + 1", &fields).unwrap();
/// assert_eq!(engine.eval_bool(&sum, &fields).unwrap_err().kind, ExprErrorKind::NotBoolean);
/// let odd = engine.compile("count.frobnicate() > 1", &fields).unwrap();
/// assert_eq!(engine.eval_bool(&odd, &fields).unwrap_err().kind, ExprErrorKind::Runtime);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExprErrorKind {
    /// The text is not a valid expression.
    Syntax,
    /// A variable that is neither a field nor a derived value.
    UndefinedVariable,
    /// A resource limit was hit (operations, sizes, depth).
    Limit,
    /// The expression failed at run time (type mismatch, unknown function, …).
    Runtime,
    /// The expression produced something other than a boolean.
    NotBoolean,
}

/// The sandboxed rhai engine. Build once per policy; `Send + Sync`.
///
/// ```
/// use ombud_engine::expr::ExprEngine;
/// fn shareable<T: Send + Sync + 'static>(_: &T) {}
/// let engine = ExprEngine::default();
/// shareable(&engine);
/// let none = std::collections::BTreeMap::<String, serde_json::Value>::new();
/// let e = engine.compile(r#""hazard".len() == 6"#, &none).unwrap();
/// assert_eq!(engine.eval_bool(&e, &none), Ok(true));
/// ```
pub struct ExprEngine {
    engine: Engine,
}

impl std::fmt::Debug for ExprEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExprEngine")
    }
}

impl Default for ExprEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl ExprEngine {
    /// A sandboxed engine with Ombud's limits.
    ///
    /// ```
    /// let engine = ombud_engine::expr::ExprEngine::new();
    /// let fields = std::collections::BTreeMap::from([("channel".to_string(), "app".into())]);
    /// let online = engine.compile(r#"channel in ["app", "web", "social"]"#, &fields).unwrap();
    /// assert_eq!(engine.eval_bool(&online, &fields), Ok(true));
    /// assert!(engine.compile(r#"eval("true")"#, &fields).is_err(), "`eval` is disabled");
    /// ```
    pub fn new() -> Self {
        let mut engine = Engine::new_raw();
        engine.register_global_module(CorePackage::new().as_shared_module());
        engine.register_global_module(LogicPackage::new().as_shared_module());
        engine.register_global_module(BasicMathPackage::new().as_shared_module());
        engine.register_global_module(BasicArrayPackage::new().as_shared_module());
        engine.register_global_module(BasicMapPackage::new().as_shared_module());
        engine.register_global_module(MoreStringPackage::new().as_shared_module());
        engine
            .set_strict_variables(true)
            .set_allow_looping(false)
            .set_allow_loop_expressions(false)
            .set_allow_statement_expression(false)
            .set_allow_anonymous_fn(false)
            .set_allow_shadowing(false)
            .set_max_operations(limits::MAX_OPERATIONS)
            .set_max_call_levels(limits::MAX_CALL_LEVELS)
            .set_max_expr_depths(limits::MAX_EXPR_DEPTH, limits::MAX_EXPR_DEPTH)
            .set_max_string_size(limits::MAX_STRING_SIZE)
            .set_max_array_size(limits::MAX_ARRAY_SIZE)
            .set_max_map_size(limits::MAX_MAP_SIZE)
            .set_max_variables(64)
            .set_max_functions(0)
            .set_max_modules(0);
        engine.disable_symbol("eval");
        engine.disable_symbol("print");
        engine.disable_symbol("debug");
        ExprEngine { engine }
    }

    /// Compiles `source` as an expression over the variables in `names` (each given a sample
    /// value of its declared type), rejecting any other variable.
    ///
    /// ```
    /// use ombud_engine::expr::ExprEngine;
    /// use serde_json::json;
    /// let engine = ExprEngine::new();
    /// let vars: std::collections::BTreeMap<_, _> =
    ///     [("amount".to_string(), json!(0))].into_iter().collect();
    /// assert!(engine.compile("amount > 1000", &vars).is_ok());
    /// let err = engine.compile("amout > 1000", &vars).unwrap_err();
    /// assert_eq!(err.offset, Some(0));
    /// ```
    pub fn compile(&self, source: &str, names: &impl Vars) -> Result<Expr, ExprError> {
        if source.len() > limits::MAX_SOURCE_LEN {
            return Err(ExprError {
                message: format!("expression is longer than {} bytes", limits::MAX_SOURCE_LEN),
                offset: Some(0),
                kind: ExprErrorKind::Limit,
            });
        }
        let scope = scope_of(names);
        match self.engine.compile_expression_with_scope(&scope, source) {
            Ok(ast) => {
                let mut vars: Vec<String> = identifiers(source)
                    .into_iter()
                    .filter(|id| names.var(id).is_some())
                    .map(str::to_string)
                    .collect();
                vars.sort();
                vars.dedup();
                let fast = Fast::parse(source, &|n| names.var(n).is_some());
                Ok(Expr { source: source.to_string(), ast, vars, fast })
            }
            Err(e) => {
                let kind = match e.err_type() {
                    rhai::ParseErrorType::VariableUndefined(_) => ExprErrorKind::UndefinedVariable,
                    rhai::ParseErrorType::ExprTooDeep
                    | rhai::ParseErrorType::LiteralTooLarge(..) => ExprErrorKind::Limit,
                    _ => ExprErrorKind::Syntax,
                };
                let message = match e.err_type() {
                    rhai::ParseErrorType::VariableUndefined(name) => {
                        format!("unknown variable `{name}`")
                    }
                    other => lowercase_first(&other.to_string()),
                };
                Err(ExprError { message, offset: offset_of(source, e.position()), kind })
            }
        }
    }

    /// Evaluates `expr` with `vars` bound, requiring a boolean result.
    ///
    /// ```
    /// use ombud_engine::expr::ExprEngine;
    /// use serde_json::json;
    /// let engine = ExprEngine::new();
    /// let vars: std::collections::BTreeMap<_, _> =
    ///     [("text".to_string(), json!("the meter is a hazard"))].into_iter().collect();
    /// let e = engine.compile(r#"text.contains("hazard")"#, &vars).unwrap();
    /// assert_eq!(engine.eval_bool(&e, &vars), Ok(true));
    /// ```
    pub fn eval_bool(&self, expr: &Expr, vars: &impl Vars) -> Result<bool, ExprError> {
        if let Some(b) = expr.fast.as_ref().and_then(|f| f.eval(vars)) {
            return Ok(b);
        }
        let mut scope = scope_of(vars);
        self.eval_bool_in(expr, &mut scope)
    }

    /// Evaluates `expr` in `scope`, first binding from `vars` any name the expression reads that
    /// the scope does not hold yet. Callers that test several conditions against the same values
    /// keep one scope and so convert each value once (and only the values actually read).
    ///
    /// ```
    /// use ombud_engine::expr::ExprEngine;
    /// use serde_json::json;
    /// let fields: std::collections::BTreeMap<String, _> =
    ///     [("amount", json!(250)), ("region", json!("EU")), ("text", json!("…"))]
    ///         .map(|(name, value)| (name.to_string(), value))
    ///         .into();
    /// let engine = ExprEngine::new();
    /// let eu = engine.compile(r#"region.to_lower() == "eu""#, &fields).unwrap();
    /// let large = engine.compile("amount > 1000", &fields).unwrap();
    /// let mut scope = rhai::Scope::new();
    /// assert_eq!(engine.eval_bool_lazy(&eu, &fields, &mut scope), Ok(true));
    /// assert_eq!(engine.eval_bool_lazy(&large, &fields, &mut scope), Ok(false));
    /// assert!(!scope.contains("text"));
    /// ```
    pub fn eval_bool_lazy(
        &self,
        expr: &Expr,
        vars: &impl Vars,
        scope: &mut Scope<'static>,
    ) -> Result<bool, ExprError> {
        if let Some(b) = expr.fast.as_ref().and_then(|f| f.eval(vars)) {
            return Ok(b);
        }
        for name in &expr.vars {
            if !scope.contains(name) {
                let value = vars.var(name).map_or(Dynamic::UNIT, to_dynamic);
                scope.push_dynamic(name.clone(), value);
            }
        }
        self.eval_bool_in(expr, scope)
    }

    /// Evaluates `expr` in an already built scope (see [`scope_of`]); lets callers that test
    /// several conditions against the same values build the scope once.
    ///
    /// ```
    /// use ombud_engine::expr::{ExprEngine, scope_of};
    /// let fields: std::collections::BTreeMap<String, serde_json::Value> =
    ///     [("claim_amount".into(), 12_000.5.into())].into();
    /// let engine = ExprEngine::new();
    /// let mut scope = scope_of(&fields);
    /// let [big, huge] = ["claim_amount >= 10000.0", "claim_amount >= 50000.0"]
    ///     .map(|src| engine.compile(src, &fields).unwrap());
    /// assert_eq!(engine.eval_bool_in(&big, &mut scope), Ok(true));
    /// assert_eq!(engine.eval_bool_in(&huge, &mut scope), Ok(false));
    /// ```
    pub fn eval_bool_in(&self, expr: &Expr, scope: &mut Scope<'static>) -> Result<bool, ExprError> {
        let result = self.engine.eval_ast_with_scope::<Dynamic>(scope, &expr.ast);
        match result {
            Ok(v) => v.as_bool().map_err(|t| ExprError {
                message: format!("condition `{}` produced a {t}, not a boolean", expr.source),
                offset: None,
                kind: ExprErrorKind::NotBoolean,
            }),
            Err(e) => Err(runtime_error(&expr.source, &e)),
        }
    }
}

fn runtime_error(source: &str, e: &EvalAltResult) -> ExprError {
    let kind = match e {
        EvalAltResult::ErrorTooManyOperations(_)
        | EvalAltResult::ErrorDataTooLarge(..)
        | EvalAltResult::ErrorStackOverflow(_)
        | EvalAltResult::ErrorTooManyVariables(_) => ExprErrorKind::Limit,
        _ => ExprErrorKind::Runtime,
    };
    let mut message = e.to_string();
    if let Some(i) = message.find(" (line ") {
        message.truncate(i);
    }
    ExprError { message: lowercase_first(&message), offset: offset_of(source, e.position()), kind }
}

/// Builds a rhai scope binding each name to its value converted to rhai's own types.
///
/// ```
/// use serde_json::json;
/// let fields = std::collections::BTreeMap::from([
///     ("count".to_string(), json!(3)),
///     ("public_interest".to_string(), json!(true)),
/// ]);
/// let scope = ombud_engine::expr::scope_of(&fields);
/// assert_eq!(scope.len(), 2);
/// assert_eq!(scope.get_value::<i64>("count"), Some(3));
/// ```
pub fn scope_of(vars: &impl Vars) -> Scope<'static> {
    let mut scope = Scope::with_capacity(vars.var_count());
    vars.each_var(&mut |name, value| {
        scope.push_dynamic(name, to_dynamic(value));
    });
    scope
}

/// Converts a JSON value to the rhai value an expression sees: integers as `i64`, other numbers as
/// `f64`, strings as `ImmutableString`, arrays and objects as rhai arrays and maps.
///
/// ```
/// use ombud_engine::expr::to_dynamic;
/// use serde_json::json;
/// assert_eq!(to_dynamic(&json!(10000)).as_int(), Ok(10000));
/// assert_eq!(to_dynamic(&json!(10000.0)).as_float(), Ok(10000.0));
/// assert_eq!(to_dynamic(&json!(["billing", "network"])).into_array().unwrap().len(), 2);
/// assert!(to_dynamic(&json!(null)).is_unit());
/// ```
pub fn to_dynamic(value: &Value) -> Dynamic {
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Dynamic::from(ImmutableString::from(s.as_str())),
        Value::Array(items) => Dynamic::from_array(items.iter().map(to_dynamic).collect()),
        Value::Object(map) => {
            Dynamic::from_map(map.iter().map(|(k, v)| (k.as_str().into(), to_dynamic(v))).collect())
        }
    }
}

/// Byte offset of a rhai position (1-based line and column) inside `source`.
fn offset_of(source: &str, pos: Position) -> Option<usize> {
    let (line, col) = (pos.line()?, pos.position().unwrap_or(1));
    let mut offset = 0;
    for (i, l) in source.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let within: usize = l.chars().take(col.saturating_sub(1)).map(char::len_utf8).sum();
            return Some(offset + within);
        }
        offset += l.len();
    }
    Some(source.len())
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if !s.starts_with("AST") => f.to_lowercase().chain(c).collect(),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> BTreeMap<String, Value> {
        [
            ("category".to_string(), json!("fees")),
            ("claim_amount".to_string(), json!(12000.5)),
            ("count".to_string(), json!(3)),
            ("departments".to_string(), json!(["billing", "network"])),
            ("text".to_string(), json!("重复计费 hazard")),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn evaluates_the_conditions_policies_use() {
        let e = ExprEngine::new();
        let v = vars();
        for (src, want) in [
            (r#"category == "fees""#, true),
            ("claim_amount >= 10000", true),
            ("count > 2.5", true),
            ("departments.len() > 1", true),
            (r#"departments.contains("billing")"#, true),
            (r#"text.contains("危险") || text.contains("hazard")"#, true),
            (r#"category in ["safety", "quality"]"#, false),
        ] {
            let ast = e.compile(src, &v).unwrap();
            assert_eq!(e.eval_bool(&ast, &v), Ok(want), "{src}");
        }
    }

    #[test]
    fn undefined_variable_is_a_compile_error_with_offset() {
        let e = ExprEngine::new();
        let err = e.compile(r#"category == "fees" && severty == "major""#, &vars()).unwrap_err();
        assert_eq!(err.kind, ExprErrorKind::UndefinedVariable);
        assert_eq!(err.offset, Some(22));
        assert_eq!(err.message, "unknown variable `severty`");
    }

    #[test]
    fn loops_and_eval_are_unavailable() {
        let e = ExprEngine::new();
        assert!(e.compile("loop { }", &vars()).is_err());
        assert!(e.compile("while true { }", &vars()).is_err());
        assert!(e.compile(r#"eval("1")"#, &vars()).is_err());
    }

    #[test]
    fn hostile_expressions_hit_limits() {
        let e = ExprEngine::new();
        let v = vars();
        let huge = e.compile(r#"("x" * 100000).len() > 0"#, &v);
        if let Ok(ast) = huge {
            assert!(e.eval_bool(&ast, &v).is_err());
        }
        let deep = format!("{}1{}", "(".repeat(200), ")".repeat(200));
        assert!(e.compile(&deep, &v).is_err());
        let long = format!("count > {}", "1 + ".repeat(2000));
        assert_eq!(e.compile(&long, &v).unwrap_err().kind, ExprErrorKind::Limit);
    }

    #[test]
    fn only_the_names_an_expression_reads_are_bound() {
        let e = ExprEngine::new();
        let ast = e
            .compile(
                r#"departments.len() > 1 && text.contains("count") && category != 'x'"#,
                &vars(),
            )
            .unwrap();
        assert_eq!(ast.variables(), ["category", "departments", "text"]);
    }

    #[test]
    fn non_boolean_result_is_an_error() {
        let e = ExprEngine::new();
        let ast = e.compile("count + 1", &vars()).unwrap();
        assert_eq!(e.eval_bool(&ast, &vars()).unwrap_err().kind, ExprErrorKind::NotBoolean);
    }
}
