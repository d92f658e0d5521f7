//! `partial name { ... }` and `...name`: splicing shared relations into definitions.
//!
//! As in SpiceDB, every partial is checked (even unused ones): its references must name
//! partials and must not loop back. A later partial of the same name replaces an earlier one.

use std::collections::HashMap;

use crate::ast::{self, ItemKind, MemberKind};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::parser::MAX_NESTING;

use super::{Declared, member_declaration};

pub(super) struct Partials<'a> {
    by_name: HashMap<&'a str, &'a ast::Block>,
}

impl<'a> Partials<'a> {
    /// Gathers the partials of `file`, reporting unknown and circular references.
    pub(super) fn collect(file: &'a ast::File, errors: &mut Vec<Diagnostic>) -> Self {
        let blocks: Vec<&ast::Block> = file
            .items
            .iter()
            .filter_map(|item| match &item.kind {
                ItemKind::Partial(block) => Some(block),
                _ => None,
            })
            .collect();
        let partials = Partials {
            by_name: blocks
                .iter()
                .map(|block| (block.name.text.as_str(), *block))
                .collect(),
        };
        for block in &blocks {
            for name in splices(&block.members) {
                if !partials.contains(&name.text) {
                    errors.push(partials.unknown(name));
                }
            }
        }
        let mut state = HashMap::new();
        for block in &blocks {
            partials.find_cycles(block, &mut Vec::new(), &mut state, errors);
        }
        partials
    }

    pub(super) fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    fn unknown(&self, name: &ast::Name) -> Diagnostic {
        let help = did_you_mean(&name.text, self.by_name.keys().copied(), || {
            format!(
                "declare it with `partial {} {{ ... }}` (needs `use partial`)",
                name.text
            )
        });
        Diagnostic::parse(name.span, format!("unknown partial `{}`", name.text), help)
    }

    /// Depth-first search reporting each reference that closes a loop, once.
    fn find_cycles(
        &self,
        block: &'a ast::Block,
        path: &mut Vec<&'a str>,
        done: &mut HashMap<&'a str, bool>,
        errors: &mut Vec<Diagnostic>,
    ) {
        let name = block.name.text.as_str();
        if done.contains_key(name) {
            return;
        }
        done.insert(name, false);
        path.push(name);
        for reference in splices(&block.members) {
            let Some(target) = self.by_name.get(reference.text.as_str()) else {
                continue;
            };
            match done.get(reference.text.as_str()) {
                Some(false) => {
                    let start = path
                        .iter()
                        .position(|entry| *entry == reference.text)
                        .unwrap_or_default();
                    let mut cycle: Vec<&str> = path[start..].to_vec();
                    cycle.push(&reference.text);
                    errors.push(Diagnostic::parse(
                        reference.span,
                        format!("partial `{}` includes itself", reference.text),
                        format!(
                            "the partials include each other in a loop: {}",
                            cycle.join(" -> ")
                        ),
                    ));
                }
                Some(true) => {}
                None if path.len() >= MAX_NESTING => errors.push(Diagnostic::parse(
                    reference.span,
                    format!("partials nest deeper than {MAX_NESTING} levels"),
                    "splice fewer partials into each other",
                )),
                None => self.find_cycles(target, path, done, errors),
            }
        }
        path.pop();
        done.insert(name, true);
    }

    /// Appends the relations and permissions of `members` to `out`, with partials spliced
    /// in place. Reports unknown partials named directly in `members` (those inside
    /// partials were reported by [`Partials::collect`]).
    pub(super) fn splice(
        &self,
        members: &'a [ast::Member],
        out: &mut Vec<Declared<'a>>,
        errors: &mut Vec<Diagnostic>,
    ) {
        for member in members {
            match &member.kind {
                MemberKind::Splice(name) => match self.by_name.get(name.text.as_str()) {
                    Some(block) => self.splice_partial(block, out, &mut vec![name.text.as_str()]),
                    None => errors.push(self.unknown(name)),
                },
                _ => out.extend(member_declaration(member).map(|d| (d, &member.comments))),
            }
        }
    }

    fn splice_partial(
        &self,
        block: &'a ast::Block,
        out: &mut Vec<Declared<'a>>,
        active: &mut Vec<&'a str>,
    ) {
        for member in &block.members {
            match &member.kind {
                MemberKind::Splice(name) => {
                    // Loops, unknown names and excessive depth were reported when the
                    // partials were collected.
                    if active.contains(&name.text.as_str()) || active.len() >= MAX_NESTING {
                        continue;
                    }
                    if let Some(inner) = self.by_name.get(name.text.as_str()) {
                        active.push(&name.text);
                        self.splice_partial(inner, out, active);
                        active.pop();
                    }
                }
                _ => out.extend(member_declaration(member).map(|d| (d, &member.comments))),
            }
        }
    }
}

fn splices(members: &[ast::Member]) -> impl Iterator<Item = &ast::Name> {
    members.iter().filter_map(|member| match &member.kind {
        MemberKind::Splice(name) => Some(name),
        _ => None,
    })
}
