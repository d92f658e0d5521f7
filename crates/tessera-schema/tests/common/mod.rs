//! Helpers shared by the integration tests.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "helpers of a test: a failure is the test failing"
)]

use tessera_schema::ir::{Schema, SourcePosition};

/// The schema with every source position zeroed: formatting moves text, not meaning.
fn without_positions(mut schema: Schema) -> Schema {
    for definition in &mut schema.definitions {
        definition.position = SourcePosition::default();
        for relation in &mut definition.relations {
            relation.position = SourcePosition::default();
        }
    }
    for caveat in &mut schema.caveats {
        caveat.position = SourcePosition::default();
        caveat.expression_position = SourcePosition::default();
    }
    schema
}

/// `formatted` compiles to the same schema as `source`, and formatting it again changes
/// nothing.
pub(crate) fn assert_same_meaning(name: &str, source: &str, formatted: &str) {
    let original =
        tessera_schema::compile(source).unwrap_or_else(|e| panic!("{name} does not compile:\n{e}"));
    let reformatted = tessera_schema::compile(formatted)
        .unwrap_or_else(|e| panic!("{name} formatted does not compile:\n{e}\n{formatted}"));
    assert!(
        without_positions(original) == without_positions(reformatted),
        "{name}: formatting changed the compiled schema:\n{formatted}"
    );
    assert_eq!(
        tessera_schema::format(formatted).unwrap(),
        formatted,
        "{name}: formatting is not idempotent"
    );
}
