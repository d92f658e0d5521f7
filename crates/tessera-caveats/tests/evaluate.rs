//! Evaluation through the public API: every operator and function, partial evaluation with
//! missing parameters, runtime errors, and JSON context conversion.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers of a test: a failure is the test failing"
)]

use serde_json::{Value, json};
use tessera_caveats::{CaveatError, CaveatOutcome, CaveatType, CompiledCaveat};

/// Parameters of every type, available to each test expression.
const PARAMETERS: [(&str, &str); 16] = [
    ("i", "int"),
    ("u", "uint"),
    ("d", "double"),
    ("s", "string"),
    ("b", "bool"),
    ("by", "bytes"),
    ("dur", "duration"),
    ("ts", "timestamp"),
    ("ip", "ipaddress"),
    ("a", "any"),
    ("li", "list<int>"),
    ("ls", "list<string>"),
    ("ma", "map<any>"),
    ("mi", "map<int>"),
    ("x", "int"),
    ("y", "int"),
];

fn parameters() -> Vec<(String, CaveatType)> {
    PARAMETERS
        .iter()
        .map(|(name, ty)| ((*name).to_owned(), ty.parse().unwrap()))
        .collect()
}

fn compile(expression: &str) -> CompiledCaveat {
    CompiledCaveat::compile(&parameters(), expression)
        .unwrap_or_else(|errors| panic!("`{expression}` does not compile: {errors:?}"))
}

fn run(expression: &str, context: Value) -> Result<CaveatOutcome, CaveatError> {
    compile(expression).evaluate(context.as_object().unwrap())
}

/// A context giving every parameter a value.
fn full() -> Value {
    json!({
        "i": 7, "u": 3, "d": 2.5, "s": "hello", "b": true, "by": "aGk=", "dur": "1h30m",
        "ts": "2024-03-10T12:30:45.250Z", "ip": "10.1.2.3", "a": {"k": [1, "two"]},
        "li": [1, 2, 3], "ls": ["a", "b"], "ma": {"foo": 42, "bar": 10, "nested": {"x": "y"}},
        "mi": {"one": 1, "two": 2}, "x": 1, "y": 2
    })
}

fn partial(missing: &[&str]) -> CaveatOutcome {
    CaveatOutcome::Partial {
        missing: missing.iter().map(|m| (*m).to_owned()).collect(),
    }
}

#[track_caller]
fn assert_true(expressions: &[&str]) {
    for expression in expressions {
        assert_eq!(
            run(expression, full()),
            Ok(CaveatOutcome::True),
            "{expression}"
        );
    }
}

#[track_caller]
fn assert_error(expression: &str, message: &str) {
    match run(expression, full()) {
        Err(CaveatError::Evaluation { message: got, .. }) => {
            assert_eq!(got, message, "{expression}")
        }
        other => panic!("`{expression}`: expected an evaluation error, got {other:?}"),
    }
}

#[test]
fn arithmetic_on_every_numeric_type() {
    assert_true(&[
        "i + 1 == 8 && i - 10 == -3 && i * 2 == 14 && i / 2 == 3 && i % 4 == 3 && -i == -7",
        "2u + 3u == 5u && 5u - 2u == 3u && 2u * 3u == 6u && 7u / 2u == 3u && 7u % 2u == 1u",
        "d + 0.5 == 3.0 && d - 0.5 == 2.0 && d * 2.0 == 5.0 && d / 2.0 == 1.25 && -d == -2.5",
        "1.0 / 0.0 > 1e308 && 7 / -2 == -3 && -7 % 3 == -1",
        "'ab' + 'cd' == 'abcd' && b'a' + b'b' == b'ab' && [1] + [2, 3] == [1, 2, 3]",
        "u + 1 == 4 && u - 5 == -2",
    ]);
}

#[test]
fn integer_overflow_and_division_by_zero_are_errors() {
    assert_error("9223372036854775807 + 1 == 0", "integer overflow");
    assert_error("-9223372036854775808 - 1 == 0", "integer overflow");
    assert_error("-(-9223372036854775808) == 0", "integer overflow");
    assert_error("4611686018427387904 * 2 == 0", "integer overflow");
    assert_error("-9223372036854775808 / -1 == 0", "integer overflow");
    assert_error("0u - 1u == 0u", "integer overflow");
    assert_error("18446744073709551615u + 1u == 0u", "integer overflow");
    assert_error("i / 0 == 0", "division by zero");
    assert_error("i % 0 == 0", "modulus by zero");
    assert_error("1u / 0u == 0u", "division by zero");
}

#[test]
fn comparisons_and_equality() {
    assert_true(&[
        "i < 8 && i <= 7 && i > 6 && i >= 7 && i == 7 && i != 8",
        "2u < 3u && 2.5 > 2.25 && 'a' < 'b' && 'ab' > 'a' && b'a' < b'b' && false < true",
        "dur > duration('1h') && dur <= duration('90m') && ts > timestamp('2024-01-01T00:00:00Z')",
        "[1, 2] == [1, 2] && [1] != [2] && {'a': 1} == {'a': 1} && {'a': 1} != {'a': 2}",
        "null == null && ip == ip && by == b'hi' && s == 'hello'",
        // At run time `any` values compare across numeric types (JSON numbers are doubles).
        "ma.foo == 42 && ma.foo == 42u && ma.bar < 56 && ma.bar > 9.5 && ma.foo != 'x'",
        "dyn(1) == 1.0 && dyn(2u) == 2 && dyn(1) != 'a' && dyn(-1) < 0u",
    ]);
    assert_eq!(
        run("double('NaN') == double('NaN')", full()),
        Ok(CaveatOutcome::False)
    );
    assert_eq!(
        run("double('NaN') < 1.0 || double('NaN') >= 1.0", full()),
        Ok(CaveatOutcome::False)
    );
}

#[test]
fn membership_indexing_and_selection() {
    assert_true(&[
        "2 in li && !(5 in li) && 'a' in ls && 'one' in mi && !('three' in mi) && 'foo' in ma",
        "li[0] == 1 && li[2] == 3 && ls[1] == 'b' && mi['two'] == 2 && mi.one == 1",
        "ma.nested.x == 'y' && ma['nested']['x'] == 'y' && a.k[1] == 'two' && a['k'][0] == 1",
        "has(ma.foo) && !has(ma.missing) && has(ma.nested.x) && has(a.k)",
        "{'k': 'v'}.k == 'v' && {1: 'a', 2: 'b'}[2] == 'b' && {true: 1}[true] == 1",
        "[[1, 2], [3]][0][1] == 2 && li[dyn(1u)] == 2 && li[dyn(1.0)] == 2",
        "dyn(2.0) in li && dyn(3u) in li && dyn(1) in mi.map(k, mi[k])",
    ]);
    assert_error("li[3] == 0", "index out of bounds: list has 3 elements");
    assert_error("li[-1] == 0", "index out of bounds: list has 3 elements");
    assert_error("mi['three'] == 0", "no such key: `\"three\"`");
    assert_error("ma.missing == 0", "no such key: `missing`");
    assert_error("a.k.x == 0", "type `list` does not support field selection");
    assert_error("{'a': 1, 'a': 2}.size() == 1", "repeated map key `\"a\"`");
}

#[test]
fn string_functions() {
    assert_true(&[
        "s.size() == 5 && size(s) == 5 && size('héllo') == 5 && size(by) == 2 && size(li) == 3 && size(mi) == 2",
        "s.contains('ell') && !s.contains('xyz') && s.startsWith('he') && s.endsWith('lo')",
        "s.matches('^h.*o$') && matches(s, 'l+') && !s.matches('^x') && s.matches(ls[0] + '|l')",
        r#"'a.b'.matches(r'^a\.b$') && "tab\there".contains('\t') && '''multi
line'''.contains('\n')"#,
    ]);
    assert_error(
        "s.matches('(') || true == false",
        "invalid regular expression `(`: regex parse error:\n    (\n    ^\nerror: unclosed group",
    );
}

#[test]
fn conversions() {
    assert_true(&[
        "int('42') == 42 && int(3.9) == 3 && int(-3.9) == -3 && int(7u) == 7 && int(timestamp('1970-01-01T00:01:00Z')) == 60",
        "uint(7) == 7u && uint(2.5) == 2u && uint('8') == 8u && double(1) == 1.0 && double(2u) == 2.0 && double('1.5') == 1.5",
        "string(1) == '1' && string(2u) == '2' && string(true) == 'true' && string(1.5) == '1.5' && string(b'hi') == 'hi'",
        "string(duration('1m1ms')) == '60.001s' && string(timestamp('2023-08-26T12:39:00-07:00')) == '2023-08-26T19:39:00Z'",
        "bytes('hi') == b'hi' && bool('true') && !bool('FALSE') && bool(true) && string('x') == 'x'",
        "timestamp(0) == timestamp('1970-01-01T00:00:00Z') && duration('90m') == duration('1h30m') && dyn(s) == s",
        "string(dur) == '5400s' && string(ts) == '2024-03-10T12:30:45.25Z'",
    ]);
    assert_error("int('x') == 0", "cannot convert `x` to `int`");
    assert_error("int(1e19) == 0", "integer overflow");
    assert_error("int(18446744073709551615u) == 0", "integer overflow");
    assert_error("uint(-1) == 0u", "integer overflow");
    assert_error("uint(-1.0) == 0u", "integer overflow");
    assert_error("bool('yes')", "cannot convert `yes` to `bool`");
    assert_error(
        "string(b'\\xff') == ''",
        "cannot convert bytes that are not valid UTF-8 to `string`",
    );
    assert_error("duration('1d') > dur", "unknown unit `d` in duration `1d`");
    assert_error(
        "timestamp('yesterday') < ts",
        "`yesterday` is not an RFC 3339 timestamp such as `2023-01-01T00:00:00Z`",
    );
}

#[test]
fn timestamps_and_durations() {
    assert_true(&[
        "ts + dur == timestamp('2024-03-10T14:00:45.250Z') && dur + ts == ts + dur",
        "ts - dur == timestamp('2024-03-10T11:00:45.250Z') && ts - timestamp('2024-03-10T12:00:45.250Z') == duration('30m')",
        "dur + dur == duration('3h') && dur - duration('30m') == duration('1h') && duration('-1s') < duration('0')",
        "timestamp('2024-03-10T13:00:00Z') - ts > duration('1m')",
        "ts.getFullYear() == 2024 && ts.getMonth() == 2 && ts.getDate() == 10 && ts.getDayOfMonth() == 9",
        "ts.getDayOfYear() == 69 && ts.getDayOfWeek() == 0 && ts.getHours() == 12 && ts.getMinutes() == 30",
        "ts.getSeconds() == 45 && ts.getMilliseconds() == 250 && ts.getHours('+02:00') == 14",
        "ts.getHours('America/New_York') == 8 && ts.getDate('Pacific/Kiritimati') == 11",
        "dur.getHours() == 1 && dur.getMinutes() == 90 && dur.getSeconds() == 5400 && dur.getMilliseconds() == 0",
    ]);
    assert_error(
        "timestamp('9999-12-30T21:00:00Z') + duration('2h') > ts",
        "timestamp out of range",
    );
    assert_error(
        "duration('2562047h') + duration('2562047h') > dur",
        "duration out of range",
    );
    assert_error(
        "timestamp('0001-01-01T00:00:00Z') - timestamp('9999-01-01T00:00:00Z') < dur",
        "duration out of range",
    );
    assert_error(
        "ts.getHours('Nowhere/Land') == 1",
        "unknown time zone `Nowhere/Land`",
    );
}

#[test]
fn ip_addresses_and_map_subtrees() {
    assert_true(&[
        "ip.in_cidr('10.0.0.0/8') && !ip.in_cidr('10.2.0.0/16') && ip.in_cidr('10.1.2.3/32')",
        "ma.isSubtreeOf(ma) && {'foo': 42}.isSubtreeOf(ma) && !ma.isSubtreeOf({'foo': 42})",
        "{'nested': {'x': 'y'}}.isSubtreeOf(ma) && !{'nested': {'x': 'z'}}.isSubtreeOf(ma)",
        "!{'foo': {'x': 1}}.isSubtreeOf(ma) && mi.isSubtreeOf({'one': 1.0, 'two': 2, 'three': 3})",
    ]);
    assert_error("ip.in_cidr('10.0.0.0')", "invalid CIDR string: `10.0.0.0`");
    let v6 = json!({"ip": "2001:db8::42"});
    assert_eq!(
        run(
            "ip.in_cidr('2001:db8::/32') && !ip.in_cidr('0.0.0.0/0')",
            v6
        ),
        Ok(CaveatOutcome::True)
    );
}

#[test]
fn conditionals_and_macros() {
    assert_true(&[
        "(b ? 1 : 2) == 1 && (!b ? 1 : 2) == 2 && (i > 5 ? 'big' : 'small') == 'big'",
        "li.all(v, v > 0) && !li.all(v, v > 1) && li.exists(v, v == 3) && !li.exists(v, v == 4)",
        "li.exists_one(v, v == 2) && !li.exists_one(v, v > 1) && [].all(v, false) && ![].exists(v, true)",
        "li.map(v, v * 2) == [2, 4, 6] && li.map(v, v > 1, v * 10) == [20, 30] && li.filter(v, v != 2) == [1, 3]",
        "mi.all(k, k.size() == 3) && mi.exists(k, k == 'two') && mi.map(k, mi[k]) == [1, 2] && mi.filter(k, mi[k] > 1) == ['two']",
        "li.map(p, li.map(q, p * q)) == [[1, 2, 3], [2, 4, 6], [3, 6, 9]]",
        "ls.exists(i, i == 'b') && i == 7",
    ]);
}

#[test]
fn logical_operators_absorb_errors_like_cel() {
    assert_true(&[
        "false && 1 / 0 == 1 || true",
        "1 / 0 == 1 || true",
        "!(1 / 0 == 1 && false)",
        "li.exists(v, 10 / (v - 1) == 5 || v == 3)",
        "!li.all(v, 10 / (v - 1) > 100)",
    ]);
    assert_error("true && 1 / 0 == 1", "division by zero");
    assert_error("1 / 0 == 1 || false", "division by zero");
    assert_error("li.all(v, 10 / (v - 1) > 0)", "division by zero");
    assert_error("li.exists_one(v, 10 / (v - 1) > 0)", "division by zero");
}

#[test]
fn missing_parameters_make_only_dependent_results_partial() {
    let context = json!({"x": 1});
    let outcome = |expression: &str| run(expression, context.clone());
    // Truth tables for a known x and a missing y.
    assert_eq!(outcome("x == 1 || y == 2"), Ok(CaveatOutcome::True));
    assert_eq!(outcome("y == 2 || x == 1"), Ok(CaveatOutcome::True));
    assert_eq!(outcome("x == 0 && y == 2"), Ok(CaveatOutcome::False));
    assert_eq!(outcome("y == 2 && x == 0"), Ok(CaveatOutcome::False));
    assert_eq!(outcome("x == 0 || y == 2"), Ok(partial(&["y"])));
    assert_eq!(outcome("x == 1 && y == 2"), Ok(partial(&["y"])));
    assert_eq!(outcome("!(y == 2)"), Ok(partial(&["y"])));
    assert_eq!(outcome("x == 1 ? true : y == 1"), Ok(CaveatOutcome::True));
    assert_eq!(outcome("x == 0 ? true : y == 1"), Ok(partial(&["y"])));
    assert_eq!(outcome("y == 0 ? true : false"), Ok(partial(&["y"])));
    // Unknown beats error when nothing absorbs, as in cel-go.
    assert_eq!(outcome("y == 2 || 1 / 0 == 1"), Ok(partial(&["y"])));
    assert_eq!(outcome("1 / 0 == 1 && y == 2"), Ok(partial(&["y"])));
    // An absorbing error-free operand still wins over an unknown one.
    assert_eq!(
        outcome("y == 2 && 1 / 0 == 1 && false"),
        Ok(CaveatOutcome::False)
    );
    // Strict operations report every missing parameter they depend on.
    assert_eq!(
        run("i + y > s.size()", json!({})),
        Ok(partial(&["i", "s", "y"]))
    );
    assert_eq!(
        run("y == 1 && (i == 1 || s == 'a')", json!({})),
        Ok(partial(&["i", "s", "y"]))
    );
    assert_eq!(run("[y, i][0] == 1", json!({"i": 1})), Ok(partial(&["y"])));
    assert_eq!(
        run("mi.exists(k, k == s)", json!({"mi": {"a": 1}})),
        Ok(partial(&["s"]))
    );
    assert_eq!(
        run("li.all(v, v < y)", json!({"li": []})),
        Ok(CaveatOutcome::True)
    );
    assert_eq!(
        run("li.all(v, v < y)", json!({"li": [1]})),
        Ok(partial(&["y"]))
    );
    assert_eq!(
        run("li.all(v, v < y)", json!({"li": [1], "y": 0})),
        Ok(CaveatOutcome::False)
    );
    assert_eq!(
        run("li.exists(v, v == 5 || v == y)", json!({"li": [5]})),
        Ok(CaveatOutcome::True)
    );
    // The first failing argument decides between error and unknown, as in cel-go.
    assert_error("1 / 0 + y == 1", "division by zero");
    assert_eq!(run("y + 1 / 0 == 1", json!({})), Ok(partial(&["y"])));
    // Missing parameters that the result does not read are not reported.
    assert_eq!(run("x == 1", json!({})), Ok(partial(&["x"])));
}

#[test]
fn context_values_of_the_wrong_type_name_the_parameter() {
    let caveat = CompiledCaveat::compile(
        &[
            ("limit".to_owned(), CaveatType::Uint),
            ("tags".to_owned(), "list<string>".parse().unwrap()),
        ],
        "limit > 0 && 'x' in tags",
    )
    .unwrap();
    let eval = |context: Value| caveat.evaluate(context.as_object().unwrap());
    assert_eq!(
        eval(json!({"limit": -1})),
        Err(CaveatError::ParameterType {
            parameter: "limit".to_owned(),
            expected: "uint".to_owned(),
            reason: "`-1` is out of range (must be between 0 and 9223372036854775807)".to_owned(),
        })
    );
    let err = eval(json!({"limit": 1, "tags": ["a", 2]})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "caveat parameter `tags` must be a `list<string>`: item 1: found number `2`"
    );
    // Unknown keys are ignored; whole doubles and numeric strings are accepted for ints.
    assert_eq!(
        eval(json!({"limit": 2.0, "tags": ["x"], "other": {"deep": true}})),
        Ok(CaveatOutcome::True)
    );
    assert_eq!(
        eval(json!({"limit": "2", "tags": ["y"]})),
        Ok(CaveatOutcome::False)
    );
    assert_eq!(eval(json!({"limit": 1})), Ok(partial(&["tags"])));
}

#[test]
fn every_parameter_type_reads_its_json_form() {
    let cases: [(&str, Value, &str); 12] = [
        (
            "any",
            json!({"a": [1, null]}),
            "p.a[1] == null && p.a[0] == 1.0",
        ),
        ("bool", json!(false), "!p"),
        ("string", json!("é"), "p == 'é'"),
        ("int", json!(-5), "p == -5"),
        ("uint", json!(5), "p == 5"),
        ("double", json!(1), "p == 1.0"),
        ("bytes", json!("AP8="), "p == b'\\x00\\xff'"),
        ("duration", json!("1.5h"), "p == duration('90m')"),
        (
            "timestamp",
            json!("2024-01-01T01:00:00+01:00"),
            "p == timestamp('2024-01-01T00:00:00Z')",
        ),
        (
            "ipaddress",
            json!("192.168.1.1"),
            "p.in_cidr('192.168.0.0/16')",
        ),
        (
            "list<list<int>>",
            json!([[1], []]),
            "p[0][0] == 1 && size(p[1]) == 0",
        ),
        ("map<map<string>>", json!({"a": {"b": "c"}}), "p.a.b == 'c'"),
    ];
    for (declared, value, expression) in cases {
        let caveat =
            CompiledCaveat::compile(&[("p".to_owned(), declared.parse().unwrap())], expression)
                .unwrap_or_else(|e| panic!("{declared}: {e:?}"));
        let context = json!({ "p": value });
        assert_eq!(
            caveat.evaluate(context.as_object().unwrap()),
            Ok(CaveatOutcome::True),
            "{declared}"
        );
    }
}

#[test]
fn compiled_caveats_expose_their_parameters() {
    let caveat = compile("y > 1 && ls.exists(v, v == s)");
    assert_eq!(caveat.referenced_parameters(), ["ls", "s", "y"]);
    // Counted as SpiceDB counts them: a comprehension variable named like a parameter is a
    // mention of it, a map literal key is not.
    let caveat = compile("ls.exists(i, i == 'a') && {x: 1}.size() == 1");
    assert_eq!(caveat.referenced_parameters(), ["i", "ls"]);
    assert_eq!(caveat.parameters().len(), PARAMETERS.len());
    assert_eq!(
        caveat.expression(),
        "ls.exists(i, i == 'a') && {x: 1}.size() == 1"
    );
}

#[test]
fn compile_errors_are_diagnostics_with_offsets() {
    let params = [("n".to_owned(), CaveatType::Int)];
    let errors = CompiledCaveat::compile(&params, "n == 1 && m").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].message, "undeclared reference to `m`");
    assert_eq!((errors[0].offset, errors[0].len), (10, 1));
    assert_eq!(
        errors[0].help.as_deref(),
        Some("the caveat's parameters are `n`")
    );
    let errors = CompiledCaveat::compile(&params, "n +").unwrap_err();
    assert_eq!(
        errors[0].message,
        "expected an expression, found the end of the expression"
    );
    assert_eq!(errors[0].offset, 3);
    let errors = CompiledCaveat::compile(&params, "n").unwrap_err();
    assert_eq!(
        errors[0].message,
        "caveat expression must result in a boolean value: found `int`"
    );
    let duplicate = [
        ("n".to_owned(), CaveatType::Int),
        ("n".to_owned(), CaveatType::String),
    ];
    let errors = CompiledCaveat::compile(&duplicate, "n == 1").unwrap_err();
    assert_eq!(errors[0].message, "duplicate parameter `n`");
}

#[test]
fn compiled_caveats_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<CompiledCaveat>();
}

#[test]
fn optional_values() {
    assert_true(&[
        "ma.?foo.hasValue() && ma.?foo.value() == 42 && !ma.?missing.hasValue()",
        "ma.?missing.orValue(7) == 7 && ma.?foo.orValue(7) == 42 && mi.?one.orValue(0) == 1",
        "ma.?nested.x.value() == 'y' && !ma.?missing.x.hasValue() && ma.?nested.?x.orValue('') == 'y'",
        "mi[?'one'].value() == 1 && !mi[?'three'].hasValue() && li[?5].orValue(0) == 0 && li[?0].value() == 1",
        "ma.?missing.or(ma.?foo).value() == 42 && ma.?foo.or(optional.none()).value() == 42",
        "optional.of(1).value() == 1 && !optional.none().hasValue() && !optional.ofNonZeroValue('').hasValue()",
        "optional.ofNonZeroValue([1]).hasValue() && optional.of(2).optMap(v, v * 10).value() == 20",
        "!optional.none().optMap(v, v).hasValue() && optional.of(1) == optional.of(1)",
        "[1, ?optional.none(), ?optional.of(3)] == [1, 3] && {?'a': optional.none(), 'b': 2} == {'b': 2}",
        "{?'a': mi[?'one']}.a == 1 && optional.none() == optional.none() && optional.of(1) != optional.none()",
    ]);
    assert_error("ma.?missing.value() == 1", "optional.none() dereference");
    assert_error(
        "a.k[1] + 1 == 0",
        "no such overload: `+` applied to `(string, int)`",
    );
    assert_error(
        "ma.foo.size() == 0",
        "no such overload: `size` applied to `(double)`",
    );
    // `or` and `orValue` evaluate their argument only when needed.
    assert_eq!(
        run("ma.?foo.orValue(1 / 0) == 42", full()),
        Ok(CaveatOutcome::True)
    );
    assert_eq!(
        run("ma.?foo.or(optional.of(1 / 0)).value() == 42", full()),
        Ok(CaveatOutcome::True)
    );
    assert_eq!(
        run("ma.?foo.orValue(0) == 1", json!({})),
        Ok(partial(&["ma"]))
    );
    assert_eq!(
        run("ma.?foo.orValue(x) == 1", json!({"ma": {}})),
        Ok(partial(&["x"]))
    );
    assert_eq!(
        run("ma.?foo.orValue(x) == 1", json!({"ma": {"foo": 1}})),
        Ok(CaveatOutcome::True)
    );
}

#[test]
fn optional_type_errors() {
    let first_error = |expression: &str| {
        CompiledCaveat::compile(&parameters(), expression).unwrap_err()[0]
            .message
            .clone()
    };
    assert_eq!(
        first_error("s.?x == 1"),
        "type `string` does not support field selection"
    );
    assert_eq!(
        first_error("[?1] == [1]"),
        "an optional entry needs an optional value, found `int`"
    );
    assert_eq!(
        first_error("li.value() == 1"),
        "no matching overload for `value` applied to `list(int).()`"
    );
    assert_eq!(
        first_error("optional.foo(1)"),
        "undeclared reference to `optional.foo`"
    );
    assert_eq!(
        first_error("mi.?one.orValue('x') == 1"),
        "no matching overload for `orValue` applied to `optional_type(int).(string)`"
    );
    assert_eq!(
        first_error("ma.?foo"),
        "caveat expression must result in a boolean value: found `optional_type(dyn)`"
    );
    assert_eq!(
        first_error("i.optMap(v, v) == i"),
        "`optMap` needs an optional, found `int`"
    );
}
