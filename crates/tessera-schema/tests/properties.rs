//! Arbitrary input never panics the lexer, parser, compiler or formatter, and whatever
//! compiles formats to text with the same meaning.

mod common;

use proptest::prelude::*;

/// Pieces of schema syntax, so random sequences often get deep into the grammar.
const PIECES: &[&str] = &[
    "definition ",
    "caveat ",
    "relation ",
    "permission ",
    "partial ",
    "use ",
    "import ",
    "expiration",
    "self",
    "partial",
    "typechecking",
    "import",
    "and ",
    "with ",
    "nil",
    "user",
    "group",
    "document",
    "member",
    "viewer",
    "view",
    "parent",
    "org/team",
    "c1",
    "any",
    "all",
    "int",
    "list<string>",
    "map<any>",
    "\"x.zed\"",
    "{",
    "}",
    "(",
    ")",
    ":",
    ";",
    "\n",
    " ",
    "|",
    "+",
    "-",
    "&",
    "->",
    ".",
    "#",
    "...",
    "*",
    "=",
    ",",
    "<",
    ">",
    "// c\n",
    "/** d */",
    "'s'",
    "==",
    "&&",
    "@",
    "\t",
    "\r\n",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..80).prop_map(|pieces| pieces.concat())
}

/// A valid prefix followed by soup: exercises the error paths deep inside definitions.
fn near_valid() -> impl Strategy<Value = String> {
    token_soup().prop_map(|soup| {
        format!(
            "use expiration\nuse self\ndefinition user {{}}\ncaveat c1(a int) {{ a == 1 }}\n\
             definition group {{\n relation member: user | group#member\n}}\n\
             definition document {{\n relation viewer: user | group#member\n {soup}\n}}\n"
        )
    })
}

fn exercise(source: &str) {
    if let Ok(formatted) = tessera_schema::format(source) {
        if tessera_schema::compile(source).is_ok() {
            common::assert_same_meaning("generated", source, &formatted);
        }
    }
    if let Err(diagnostics) = tessera_schema::compile(source) {
        assert!(!diagnostics.is_empty());
        let rendered = diagnostics.to_string();
        assert!(rendered.contains("= help: "), "{rendered}");
        for diagnostic in &diagnostics {
            assert!(
                diagnostic.line() >= 1 && diagnostic.column() >= 1,
                "{diagnostic}"
            );
            assert!(diagnostic.span().end <= source.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(source in any::<String>()) {
        exercise(&source);
    }

    #[test]
    fn token_soup_never_panics(source in token_soup()) {
        exercise(&source);
    }

    #[test]
    fn near_valid_schemas_never_panic(source in near_valid()) {
        exercise(&source);
    }
}

#[test]
fn pathological_input_is_handled_in_linear_time_without_overflowing() {
    for depth in [60, 10_000] {
        let open = "(".repeat(depth);
        let close = ")".repeat(depth);
        exercise(&format!(
            "definition doc {{\n relation rel: doc\n permission per = {open}rel{close}\n}}"
        ));
        let types = "list<".repeat(depth);
        exercise(&format!("caveat c(a {types}int) {{ a }}"));
    }
    let chain = vec!["rel"; 50_000].join(" - ");
    exercise(&format!(
        "definition doc {{\n relation rel: doc\n permission per = {chain}\n}}"
    ));
    let arrows = vec!["rel"; 50_000].join("->");
    exercise(&format!(
        "definition doc {{\n relation rel: doc\n permission per = {arrows}\n}}"
    ));
    // Thousands of errors on one long line: positions and rendering stay linear.
    let bad_names = vec!["r"; 50_000].join(" + ");
    exercise(&format!(
        "definition doc {{ relation rel: doc; permission per = {bad_names}; }}"
    ));
    let partials: String = (0..2_000)
        .map(|i| format!("partial p{i:04} {{\n ...p{:04}\n}}\n", i + 1))
        .collect();
    exercise(&format!(
        "use partial\n{partials}definition doc {{\n ...p0000\n}}"
    ));
}
