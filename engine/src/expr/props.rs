//! The direct evaluator never changes an answer: for random conditions in and around its subset,
//! over random values of every type, `eval_bool` (direct evaluator first, rhai when it declines)
//! returns exactly what rhai alone returns, errors included.

use super::{ExprEngine, scope_of};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn engine() -> &'static ExprEngine {
    static ENGINE: OnceLock<ExprEngine> = OnceLock::new();
    ENGINE.get_or_init(ExprEngine::new)
}

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        (-3i64..4).prop_map(|i| json!(i)),
        (-3i64..4).prop_map(|i| json!(i as f64 + 0.5)),
        (-3i64..4).prop_map(|i| json!(i as f64)),
        prop::sample::select(vec!["", "a", "b", "fees", "Fees", "重复"]).prop_map(|s| json!(s)),
        prop::collection::vec(prop::sample::select(vec!["x", "y"]), 0..3).prop_map(|v| json!(v)),
        Just(Value::Null),
        Just(json!({"k": 1})),
    ]
}

fn operand() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(NAMES.to_vec()).prop_map(str::to_string),
        prop::sample::select(NAMES.to_vec()).prop_map(|n| format!("{n}.len()")),
        (-3i64..4).prop_map(|i| i.to_string()),
        (0i64..4).prop_map(|i| format!("{i}.5")),
        (0i64..4).prop_map(|i| format!("{i}.0")),
        prop::sample::select(vec!["\"a\"", "\"fees\"", "\"\"", "\"重复\"", "true", "false"])
            .prop_map(str::to_string),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    let op = prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]);
    let leaf = prop_oneof![
        operand(),
        (operand(), op, operand()).prop_map(|(a, o, b)| format!("{a} {o} {b}")),
    ];
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} && {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} || {b}")),
            inner.clone().prop_map(|a| format!("!{a}")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn direct_evaluation_agrees_with_rhai(
        source in condition(),
        values in prop::collection::vec(value(), NAMES.len()),
    ) {
        let engine = engine();
        let vars: BTreeMap<String, Value> =
            NAMES.iter().map(|n| n.to_string()).zip(values).collect();
        let Ok(expr) = engine.compile(&source, &vars) else { return Ok(()) };
        let direct_first = engine.eval_bool(&expr, &vars);
        let rhai_only = engine.eval_bool_in(&expr, &mut scope_of(&vars));
        prop_assert_eq!(direct_first, rhai_only, "`{}` over {:?}", source, vars);
    }
}
