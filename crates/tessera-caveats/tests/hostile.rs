//! Hostile expressions end in clean errors: deep nesting, huge work, long text; and no input
//! makes compilation or evaluation panic.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test: a failure is the test failing"
)]

use proptest::prelude::*;
use serde_json::{Value, json};
use tessera_caveats::{CaveatError, CaveatLimits, CaveatOutcome, CaveatType, CompiledCaveat};

fn parameters() -> Vec<(String, CaveatType)> {
    [
        ("x", "int"),
        ("y", "uint"),
        ("d", "double"),
        ("s", "string"),
        ("li", "list<int>"),
        ("ls", "list<string>"),
        ("m", "map<any>"),
        ("ts", "timestamp"),
        ("dur", "duration"),
        ("ip", "ipaddress"),
        ("a", "any"),
    ]
    .into_iter()
    .map(|(name, ty)| (name.to_owned(), ty.parse().unwrap()))
    .collect()
}

fn context(value: &Value) -> &serde_json::Map<String, Value> {
    value.as_object().unwrap()
}

fn compile_error(expression: &str) -> String {
    let errors = CompiledCaveat::compile(&parameters(), expression).unwrap_err();
    errors[0].message.clone()
}

#[test]
fn deep_nesting_is_a_compile_error_not_a_stack_overflow() {
    for (open, close) in [
        ("(", ")"),
        ("[", "]"),
        ("!(", ")"),
        ("size([", "]) == 1 && "),
    ] {
        let expression = format!("{}x == 1{}", open.repeat(5_000), close.repeat(5_000));
        assert_eq!(
            compile_error(&expression),
            "expression is nested more than 100 levels deep",
            "{open}"
        );
    }
    let chained = format!("m{} == 1", ".f".repeat(40_000));
    assert_eq!(
        compile_error(&chained),
        "expression is nested more than 100 levels deep"
    );
    let sum = format!("x{} == 1", " + 1".repeat(20_000));
    assert_eq!(
        compile_error(&sum),
        "expression is nested more than 100 levels deep"
    );
    // Nesting within the limit works, from a thread with a small stack too.
    let nested = format!("{}x == 1{}", "(".repeat(95), ")".repeat(95));
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let caveat = CompiledCaveat::compile(&parameters(), &nested).unwrap();
            assert_eq!(
                caveat.evaluate(context(&json!({"x": 1}))),
                Ok(CaveatOutcome::True)
            );
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn long_logical_chains_stay_shallow() {
    let expression = (0..5_000)
        .map(|i| format!("x == {i}"))
        .collect::<Vec<_>>()
        .join(" || ");
    let caveat = CompiledCaveat::compile(&parameters(), &expression).unwrap();
    assert_eq!(
        caveat.evaluate(context(&json!({"x": 4_999}))),
        Ok(CaveatOutcome::True)
    );
    assert_eq!(
        caveat.evaluate(context(&json!({"x": -1}))),
        Ok(CaveatOutcome::False)
    );
    let negations = format!("{}(x == 1)", "!".repeat(50_000));
    assert!(CompiledCaveat::compile(&parameters(), &negations).is_ok());
}

#[test]
fn overlong_expressions_are_refused() {
    let expression = format!("x == 1 || s == '{}'", "a".repeat(100_000));
    let message = compile_error(&expression);
    assert_eq!(
        message,
        "caveat expression is 100017 characters long, more than the limit of 100000"
    );
}

fn cost_exceeded(expression: &str, context_value: Value) {
    let caveat = CompiledCaveat::compile(&parameters(), expression).unwrap();
    assert_eq!(
        caveat.evaluate(context(&context_value)),
        Err(CaveatError::CostLimitExceeded { limit: 1_000_000 }),
        "{expression}"
    );
}

#[test]
fn huge_work_hits_the_cost_limit() {
    let thousand = format!("[{}]", vec!["1"; 1_000].join(","));
    cost_exceeded(
        &format!("{thousand}.map(p, {thousand}.map(q, p * q)).size() > 0"),
        json!({}),
    );
    cost_exceeded(
        &format!("{thousand}.all(p, {thousand}.all(q, !{thousand}.exists(r, false)))"),
        json!({}),
    );
    let items: Vec<i64> = (0..10_000).collect();
    cost_exceeded(
        "li.map(p, li.filter(q, q > p)).size() > 0",
        json!({ "li": items }),
    );
    // Strings grow by concatenation: the bytes produced are charged.
    let big = "x".repeat(200_000);
    cost_exceeded(
        "ls.map(p, s + s + s + s).size() > 0",
        json!({ "s": big, "ls": vec!["a"; 10] }),
    );
    cost_exceeded(
        "[s, s, s, s, s, s, s, s, s, s].all(p, ls.all(q, (p + q + p).size() > 0))",
        json!({ "s": "y".repeat(10_000), "ls": vec!["a"; 100] }),
    );
    // Scanning big lists with `in` and `==` is charged per element.
    cost_exceeded(
        "ls.exists(p, (p + '!') in ls)",
        json!({ "ls": vec!["z"; 5_000] }),
    );
}

#[test]
fn the_cost_limit_is_configurable() {
    let limits = CaveatLimits {
        max_cost: 10,
        ..CaveatLimits::default()
    };
    let caveat =
        CompiledCaveat::compile_with_limits(&parameters(), "li.all(p, p > 0)", limits).unwrap();
    assert_eq!(
        caveat.evaluate(context(&json!({"li": [1, 2]}))),
        Ok(CaveatOutcome::True)
    );
    assert_eq!(
        caveat.evaluate(context(&json!({"li": [1, 2, 3, 4, 5, 6, 7, 8]}))),
        Err(CaveatError::CostLimitExceeded { limit: 10 })
    );
    let shallow = CaveatLimits {
        max_depth: 3,
        ..CaveatLimits::default()
    };
    assert!(CompiledCaveat::compile_with_limits(&parameters(), "x == 1", shallow).is_ok());
    assert!(CompiledCaveat::compile_with_limits(&parameters(), "x + 1 + 1 == 1", shallow).is_err());
}

#[test]
fn pathological_regexes_run_in_linear_time() {
    let caveat = CompiledCaveat::compile(&parameters(), "s.matches('^(a+)+$')").unwrap();
    let evil = format!("{}!", "a".repeat(50_000));
    assert_eq!(
        caveat.evaluate(context(&json!({ "s": evil }))),
        Ok(CaveatOutcome::False)
    );
    let caveat = CompiledCaveat::compile(&parameters(), "s.matches(ls[0])").unwrap();
    let huge = json!({ "s": "a", "ls": ["(((a{1000}){1000}){1000})"] });
    assert!(matches!(
        caveat.evaluate(context(&huge)),
        Err(CaveatError::Evaluation { .. })
    ));
}

/// Pieces that often form valid expressions, so generated input gets past the parser.
const TOKENS: &[&str] = &[
    "x",
    "y",
    "d",
    "s",
    "li",
    "ls",
    "m",
    "ts",
    "dur",
    "ip",
    "a",
    "v",
    "1",
    "0",
    "-1",
    "2.5",
    "1u",
    "'a'",
    "\"b\"",
    "b'c'",
    "r'd'",
    "true",
    "false",
    "null",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    ":",
    "?",
    "!",
    "-",
    "+",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "in",
    "size",
    "contains",
    "startsWith",
    "matches",
    "all",
    "exists",
    "exists_one",
    "map",
    "filter",
    "has",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "dyn",
    "timestamp",
    "duration",
    "in_cidr",
    "isSubtreeOf",
    "getHours",
    ".?a",
    "[?0]",
    "optional.of(1)",
    "optional.none()",
    "orValue",
    "hasValue",
    "value",
    "optMap",
    "'10.0.0.0/8'",
    "'1h'",
    "'2024-01-01T00:00:00Z'",
    "9223372036854775807",
];

fn contexts() -> Vec<Value> {
    vec![
        json!({}),
        json!({"x": 1, "y": 2, "d": 0.5, "s": "a", "li": [1, 2], "ls": ["a"], "m": {"a": 1, "b": {"c": [true]}},
               "ts": "2024-01-01T00:00:00Z", "dur": "1s", "ip": "10.0.0.1", "a": [null, 1.5]}),
        json!({"x": 9223372036854775807_i64, "s": "", "li": [], "m": {}, "a": "x"}),
    ]
}

fn check_never_panics(expression: &str) {
    if let Ok(caveat) = CompiledCaveat::compile(&parameters(), expression) {
        for value in contexts() {
            let _outcome = caveat.evaluate(context(&value));
        }
    }
}

/// JSON of any shape, with strings that parse as the special parameter types now and then.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let special = [
        "1h",
        "-1.5s",
        "2024-01-01T00:00:00Z",
        "10.0.0.1",
        "::ffff:1.2.3.4",
        "aGk=",
        "-5",
        "1e3",
        "NaN",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop::sample::select(special.to_vec()).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,2}", inner, 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Expressions that touch every parameter in many ways.
const PROBES: &[&str] = &[
    "x + 1 > 0 || y * 2 == 4 || d / 2.0 < 1.0 || s.matches('a+') || size(li) > 1 || 'a' in ls",
    "has(m.a) && m.a == a || m.b.c[0] == true || ts + dur > ts || ip.in_cidr('10.0.0.0/8')",
    "li.all(v, v % 2 == 0) || ls.exists_one(v, v.startsWith('a')) || m.isSubtreeOf(m)",
    "a.size() == 1 || a[0] == null || a.x.y == 1 || int(a) == 1 || string(a) == 'x'",
    "li.map(v, v * x).filter(v, v > y).size() == 0 && ts.getHours('+01:00') >= 0",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_context_values_never_panic(
        values in prop::collection::vec(proptest::option::of(arbitrary_json()), 11),
    ) {
        let names = parameters();
        let context: serde_json::Map<String, Value> = names
            .iter()
            .zip(values)
            .filter_map(|((name, _), value)| value.map(|value| (name.clone(), value)))
            .collect();
        for probe in PROBES {
            let caveat = CompiledCaveat::compile(&names, probe).unwrap();
            let _outcome = caveat.evaluate(&context);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}") {
        check_never_panics(&text);
    }

    #[test]
    fn arbitrary_token_soup_never_panics(picks in proptest::collection::vec(0..TOKENS.len(), 0..24)) {
        let expression = picks.iter().map(|&i| TOKENS[i]).collect::<Vec<_>>().join(" ");
        check_never_panics(&expression);
    }

    #[test]
    fn arbitrary_comparisons_never_panic(
        lhs in proptest::collection::vec(0..TOKENS.len(), 1..6),
        rhs in proptest::collection::vec(0..TOKENS.len(), 1..6),
        op in prop::sample::select(vec!["==", "<", "in", "&&", "||", "+", "-", "*", "/", "%"]),
    ) {
        let join = |picks: &[usize]| picks.iter().map(|&i| TOKENS[i]).collect::<String>();
        check_never_panics(&format!("{} {op} {} == {}", join(&lhs), join(&rhs), join(&lhs)));
    }
}
