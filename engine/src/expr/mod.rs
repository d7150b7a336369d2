//! The rhai sandbox: every `when` of a policy compiles here once, at load time, against the
//! declared field names, and evaluates here with explicit resource limits.
//!
//! The engine is built with [`rhai::Engine::new_raw`] plus only the packages conditions need
//! (comparison, arithmetic, string, array and map functions). Loops, `eval`, function definitions
//! and statement blocks are unavailable, variables are strict, and every limit is set explicitly so
//! debug and release builds behave the same. A hostile expression stops with an error, never hangs.

mod fast;
pub(crate) mod lex;
#[cfg(test)]
mod props;
mod sizes;

use fast::Fast;
use rhai::packages::{
    BasicArrayPackage, BasicMapPackage, BasicMathPackage, CorePackage, LogicPackage,
    MoreStringPackage, Package,
};
use rhai::{AST, Dynamic, Engine, EvalAltResult, ImmutableString, Position, Scope};
use serde_json::Value;
pub(crate) use sizes::sandbox_sizes;
use std::borrow::Borrow;
use std::collections::BTreeMap;

/// What names a map of values for expressions: `String` (as in `serde_json` maps) or the
/// engine's inline [`compact_str::CompactString`] (ticket fields).
pub(crate) trait Key: Borrow<str> + Ord {}

impl<K: Borrow<str> + Ord> Key for K {}

/// The values an expression reads, by name: a `BTreeMap` keyed by `String` or by the engine's
/// inline text, or a ticket's [`FieldMap`](crate::runtime::FieldMap). A host with its own
/// storage implements it directly:
pub(crate) trait Vars {
    /// The value named `name`.
    fn var(&self, name: &str) -> Option<&Value>;
    /// Calls `f` with every name and its value, in name order.
    fn each_var(&self, f: &mut dyn FnMut(&str, &Value));
    /// How many values there are.
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

/// `vars` with one more name bound: `name` reads `value` (conditions read the current stage so).
pub(crate) struct With<'a, V> {
    /// The other values.
    pub(crate) vars: &'a V,
    /// The added name.
    pub(crate) name: &'a str,
    /// Its value.
    pub(crate) value: &'a Value,
}

impl<V: Vars> Vars for With<'_, V> {
    fn var(&self, name: &str) -> Option<&Value> {
        if name == self.name { Some(self.value) } else { self.vars.var(name) }
    }

    fn each_var(&self, f: &mut dyn FnMut(&str, &Value)) {
        self.vars.each_var(&mut |k, v| {
            if k != self.name {
                f(k, v)
            }
        });
        f(self.name, self.value);
    }

    fn var_count(&self) -> usize {
        self.vars.var_count() + 1
    }
}

/// Resource limits applied to every expression. One place, set explicitly.
pub(crate) mod limits {
    /// Maximum operations one evaluation may perform.
    ///
    /// A backstop: loops, which are what could run up operations, do not compile at all.
    pub(crate) const MAX_OPERATIONS: u64 = 10_000;
    /// Maximum function call nesting.
    ///
    /// A backstop: a condition cannot define a function, so it cannot recurse.
    pub(crate) const MAX_CALL_LEVELS: usize = 8;
    /// Maximum expression nesting depth (global, functions).
    ///
    /// Each `||` or `&&` in a chain adds a level, so a chain of more than about 30 alternatives
    /// is refused; test a value against a list with `in` instead.
    pub(crate) const MAX_EXPR_DEPTH: usize = 32;
    /// Maximum length of any string built during evaluation, in bytes.
    pub(crate) const MAX_STRING_SIZE: usize = 64 * 1024;
    /// Maximum length of any array built during evaluation, and of any list a condition reads
    /// (nested lists' entries counted): the runtime refuses a bigger list field at the input
    /// (see [`sandbox_sizes`](crate::expr::sandbox_sizes)).
    pub(crate) const MAX_ARRAY_SIZE: usize = 1_024;
    /// Maximum number of entries of any map built during evaluation.
    pub(crate) const MAX_MAP_SIZE: usize = 256;
    /// Maximum length of an expression's source text, in bytes.
    pub(crate) const MAX_SOURCE_LEN: usize = 4_096;
}

/// A compiled condition (a policy's `when`): the source text it came from, the names it reads
/// and its compiled form, which the engine evaluates.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let forms = policy.groups()[0].when.as_ref().unwrap();
/// assert_eq!((forms.source(), forms.variables()), ("departments.len() > 1", &["departments".into()][..]));
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
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// let threat = &policy.stage(policy.start()).auto[0].when;
    /// assert_eq!(threat.source(), "threat");
    /// ```
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The field and derived names the expression reads, sorted.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// let major_claim = policy.derived()[1].rules[1].when.as_ref().unwrap();
    /// assert_eq!(major_claim.variables(), ["claim_amount"]);
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
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct ExprError {
    /// What is wrong, lowercase.
    pub message: String,
    /// Byte offset inside the expression's source text, when known.
    pub offset: Option<usize>,
    /// The kind of failure.
    pub kind: ExprErrorKind,
}

/// The kinds of [`ExprError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExprErrorKind {
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
pub(crate) struct ExprEngine {
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
    pub(crate) fn new() -> Self {
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
        refuse_mixed_comparisons(&mut engine);
        engine.disable_symbol("eval");
        engine.disable_symbol("print");
        engine.disable_symbol("debug");
        ExprEngine { engine }
    }

    /// Compiles `source` as an expression over the variables in `names` (each given a sample
    /// value of its declared type), rejecting any other variable.
    pub(crate) fn compile(&self, source: &str, names: &impl Vars) -> Result<Expr, ExprError> {
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
                    // rhai wraps a character its tokenizer refused in a second "Unexpected":
                    // `Unexpected 'Unexpected '＝''`.
                    rhai::ParseErrorType::BadInput(rhai::LexError::UnexpectedInput(s)) => {
                        let s = s
                            .strip_prefix("Unexpected '")
                            .and_then(|s| s.strip_suffix('\''))
                            .unwrap_or(s);
                        format!("unexpected '{s}'")
                    }
                    other => lowercase_first(&other.to_string()),
                };
                Err(ExprError { message, offset: offset_of(source, e.position()), kind })
            }
        }
    }

    /// Evaluates `expr` with `vars` bound, requiring a boolean result.
    pub(crate) fn eval_bool(&self, expr: &Expr, vars: &impl Vars) -> Result<bool, ExprError> {
        if let Some(b) = expr.fast.as_ref().and_then(|f| f.eval(vars)) {
            return Ok(b);
        }
        let mut scope = scope_of(vars);
        self.eval_bool_in(expr, &mut scope)
    }

    /// Evaluates `expr` in `scope`, first binding from `vars` any name the expression reads that
    /// the scope does not hold yet. Callers that test several conditions against the same values
    /// keep one scope and so convert each value once (and only the values actually read).
    pub(crate) fn eval_bool_lazy(
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
    pub(crate) fn eval_bool_in(
        &self,
        expr: &Expr,
        scope: &mut Scope<'static>,
    ) -> Result<bool, ExprError> {
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

/// Makes a comparison of values of different types (a bool with a string, a number with a
/// string or a bool, a list or map with anything else) an evaluation error, where rhai would
/// quietly answer `false` (`true` for `!=`). Numbers of both kinds (integer and decimal)
/// compare with each other, and an unset value (a computed field not yet derived) compares
/// unequal to everything, as before. Registered operators win over rhai's built-in fallback
/// only with fast operators off.
fn refuse_mixed_comparisons(engine: &mut Engine) {
    use rhai::{Array, ImmutableString, Map};
    const OPS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];
    fn refused(op: &str, a: &str, b: &str) -> Box<EvalAltResult> {
        format!("`{op}` compares {a} with {b}: values of different types never compare; compare like with like")
            .into()
    }
    macro_rules! refuse {
        ($(($a:ty, $an:literal, $b:ty, $bn:literal)),* $(,)?) => {$(
            for op in OPS {
                engine.register_fn(op, move |_: $a, _: $b| -> Result<bool, Box<EvalAltResult>> {
                    Err(refused(op, $an, $bn))
                });
                engine.register_fn(op, move |_: $b, _: $a| -> Result<bool, Box<EvalAltResult>> {
                    Err(refused(op, $bn, $an))
                });
            }
        )*};
    }
    refuse!(
        (bool, "a boolean", ImmutableString, "a string"),
        (i64, "a number", ImmutableString, "a string"),
        (f64, "a number", ImmutableString, "a string"),
        (bool, "a boolean", i64, "a number"),
        (bool, "a boolean", f64, "a number"),
        (Array, "a list", ImmutableString, "a string"),
        (Array, "a list", i64, "a number"),
        (Array, "a list", f64, "a number"),
        (Array, "a list", bool, "a boolean"),
        (Map, "a map", ImmutableString, "a string"),
        (Map, "a map", i64, "a number"),
        (Map, "a map", f64, "a number"),
        (Map, "a map", bool, "a boolean"),
        (Map, "a map", Array, "a list"),
    );
    engine.set_fast_operators(false);
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
pub(crate) fn scope_of(vars: &impl Vars) -> Scope<'static> {
    let mut scope = Scope::with_capacity(vars.var_count());
    vars.each_var(&mut |name, value| {
        scope.push_dynamic(name, to_dynamic(value));
    });
    scope
}

/// Converts a JSON value to the rhai value an expression sees: integers as `i64`, other numbers as
/// `f64`, strings as `ImmutableString`, arrays and objects as rhai arrays and maps.
pub(crate) fn to_dynamic(value: &Value) -> Dynamic {
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

    /// A comparison of values of different types is an error, on the direct evaluator's path
    /// (which leaves such a pair to rhai) and on rhai's, never a quiet `false`.
    #[test]
    fn comparisons_across_types_are_errors() {
        let e = ExprEngine::new();
        let mut vars = vars();
        vars.insert("flag".to_string(), json!(true));
        for (source, want) in [
            (r#"flag == "true""#, "`==` compares a boolean with a string"),
            (r#"claim_amount != "5""#, "`!=` compares a number with a string"),
            (r#"(count > 1) && category < 3"#, "`<` compares a string with a number"),
            (r#"departments == "x""#, "`==` compares a list with a string"),
        ] {
            let expr = e.compile(source, &vars).unwrap();
            let err = e.eval_bool(&expr, &vars).unwrap_err();
            assert!(err.message.contains(want), "{source}: {}", err.message);
        }
        // Numbers of both kinds still compare, and like with like.
        let expr =
            e.compile("claim_amount > 12000 && count == 3.0 && flag == true", &vars).unwrap();
        assert!(e.eval_bool(&expr, &vars).is_ok());
    }

    #[test]
    fn non_boolean_result_is_an_error() {
        let e = ExprEngine::new();
        let ast = e.compile("count + 1", &vars()).unwrap();
        assert_eq!(e.eval_bool(&ast, &vars()).unwrap_err().kind, ExprErrorKind::NotBoolean);
    }
}
