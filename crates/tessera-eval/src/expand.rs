//! Expand: the userset tree of `resource#permission`, as SpiceDB's ExpandPermissionTree
//! returns it (one level: subject sets in leaves are not followed) or fully recursive.

use std::collections::HashSet;
use std::ops::ControlFlow;

use tessera_schema::ir::{Arrow, ArrowFunction, DefinitionId, RelationBody, RelationRef, Rewrite};
use tessera_store::{ResourceQuery, Snapshot};
use tessera_types::{ObjectRef, Relationship, SubjectRef};

use crate::error::EvalError;
use crate::evaluator::Evaluator;

/// A node of an expansion: what `object#relation` is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpandTree {
    /// The object expanded.
    pub object: ObjectRef,
    /// The relation or permission expanded.
    pub relation: String,
    /// Its contents.
    pub node: ExpandNode,
}

/// The contents of an expansion node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpandNode {
    /// Subjects stored directly (objects, subject sets and wildcards).
    Leaf(Vec<ExpandedSubject>),
    /// Members of any child.
    Union(Vec<ExpandTree>),
    /// Members of every child.
    Intersection(Vec<ExpandTree>),
    /// Members of the first child that are in no other.
    Exclusion(Vec<ExpandTree>),
}

/// A subject in a leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpandedSubject {
    /// The subject.
    pub subject: SubjectRef,
    /// Whether its relationship carries a caveat (it is a member only if the caveat holds).
    pub caveated: bool,
}

/// How far an expansion follows subject sets found in leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpandDepth {
    /// Leaves list subject sets without expanding them (SpiceDB's API behaviour).
    Shallow,
    /// Every subject set is expanded in turn, down to objects and wildcards.
    Recursive,
}

impl Evaluator {
    /// Expands `resource#permission` into its userset tree.
    ///
    /// # Errors
    /// Unknown types or relations, exceeding the depth limit, store failures.
    pub fn expand(
        &self,
        snapshot: &dyn Snapshot,
        resource: &ObjectRef,
        permission: &str,
        depth: ExpandDepth,
    ) -> Result<ExpandTree, EvalError> {
        let target = self.resolve_relation(resource.object_type(), permission)?;
        let mut expander = Expander {
            evaluator: self,
            snapshot,
            depth,
            on_path: HashSet::new(),
        };
        expander.expand(target, resource.object_id(), 0)
    }
}

struct Expander<'e> {
    evaluator: &'e Evaluator,
    snapshot: &'e dyn Snapshot,
    depth: ExpandDepth,
    /// Subject sets being expanded above, so cyclic data ends in an empty leaf.
    on_path: HashSet<(RelationRef, String)>,
}

impl Expander<'_> {
    fn expand(
        &mut self,
        relation: RelationRef,
        id: &str,
        level: u32,
    ) -> Result<ExpandTree, EvalError> {
        let max_depth = self.evaluator.max_depth();
        if level >= max_depth {
            return Err(EvalError::DepthExceeded { limit: max_depth });
        }
        let schema = self.evaluator.schema();
        let definition = schema.definition(relation.definition);
        let object = ObjectRef::new(definition.name.as_str(), id)
            .map_err(|err| EvalError::Store(tessera_store::StoreError::Corrupt(err.to_string())))?;
        let name = definition.relation(relation.relation).name.clone();
        let key = (relation, id.to_owned());
        if !self.on_path.insert(key.clone()) {
            return Ok(ExpandTree {
                object,
                relation: name,
                node: ExpandNode::Leaf(Vec::new()),
            });
        }
        let node = stacker::maybe_grow(128 * 1024, 2 * 1024 * 1024, || {
            match &schema.relation(relation).body {
                RelationBody::Relation(_) => self.stored(&object, &name, level),
                RelationBody::Permission { rewrite, .. } => {
                    let tree = self.rewrite(relation.definition, &object, &name, rewrite, level)?;
                    // SpiceDB always compiles a permission to an operation; a lone operand is
                    // reported as a union of one.
                    Ok(if is_operator(rewrite) {
                        tree.node
                    } else {
                        ExpandNode::Union(vec![tree])
                    })
                }
            }
        });
        self.on_path.remove(&key);
        Ok(ExpandTree {
            object,
            relation: name,
            node: node?,
        })
    }

    fn stored(
        &mut self,
        object: &ObjectRef,
        relation: &str,
        level: u32,
    ) -> Result<ExpandNode, EvalError> {
        let relationships = self.read(object, relation)?;
        let leaf = ExpandNode::Leaf(
            relationships
                .iter()
                .map(|r| ExpandedSubject {
                    subject: r.subject().clone(),
                    caveated: r.caveat().is_some(),
                })
                .collect(),
        );
        if self.depth == ExpandDepth::Shallow {
            return Ok(leaf);
        }
        let schema = self.evaluator.schema();
        let mut children = Vec::new();
        for relationship in &relationships {
            let subject = relationship.subject();
            let Some(subject_relation) = subject.relation() else {
                continue;
            };
            let Some(nested) = schema.relation_ref(subject.object_type(), subject_relation) else {
                continue;
            };
            children.push(self.expand(nested, subject.object_id(), level + 1)?);
        }
        if children.is_empty() {
            return Ok(leaf);
        }
        let leaf = ExpandTree {
            object: object.clone(),
            relation: relation.to_owned(),
            node: leaf,
        };
        children.insert(0, leaf);
        Ok(ExpandNode::Union(children))
    }

    fn rewrite(
        &mut self,
        definition: DefinitionId,
        object: &ObjectRef,
        relation: &str,
        rewrite: &Rewrite,
        level: u32,
    ) -> Result<ExpandTree, EvalError> {
        let node = |node| {
            Ok(ExpandTree {
                object: object.clone(),
                relation: relation.to_owned(),
                node,
            })
        };
        let children_of = |children: &[Rewrite], this: &mut Self| {
            children
                .iter()
                .map(|child| this.rewrite(definition, object, relation, child, level))
                .collect::<Result<Vec<_>, _>>()
        };
        match rewrite {
            Rewrite::Union(children) => node(ExpandNode::Union(children_of(children, self)?)),
            Rewrite::Intersection(children) => {
                node(ExpandNode::Intersection(children_of(children, self)?))
            }
            Rewrite::Exclusion(children) => {
                node(ExpandNode::Exclusion(children_of(children, self)?))
            }
            Rewrite::Computed(target) => self.expand(
                RelationRef {
                    definition,
                    relation: *target,
                },
                object.object_id(),
                level + 1,
            ),
            Rewrite::Arrow(arrow) => node(self.arrow(definition, object, arrow, level)?),
            Rewrite::Nil => node(ExpandNode::Leaf(Vec::new())),
            Rewrite::SelfSubject => node(ExpandNode::Leaf(vec![ExpandedSubject {
                subject: SubjectRef::from_object(object.clone()),
                caveated: false,
            }])),
        }
    }

    fn arrow(
        &mut self,
        definition: DefinitionId,
        object: &ObjectRef,
        arrow: &Arrow,
        level: u32,
    ) -> Result<ExpandNode, EvalError> {
        let schema = self.evaluator.schema();
        let tupleset = &schema.definition(definition).relation(arrow.tupleset).name;
        let mut children = Vec::new();
        for relationship in self.read(object, tupleset)? {
            let subject = relationship.subject();
            let Some(subject_type) = schema.definition_id(subject.object_type()) else {
                continue;
            };
            let target = arrow
                .targets
                .iter()
                .find(|(d, _)| *d == subject_type)
                .and_then(|(_, r)| *r);
            if let Some(target) = target {
                let target = RelationRef {
                    definition: subject_type,
                    relation: target,
                };
                children.push(self.expand(target, subject.object_id(), level + 1)?);
            }
        }
        Ok(match arrow.function {
            ArrowFunction::Any => ExpandNode::Union(children),
            ArrowFunction::All => ExpandNode::Intersection(children),
        })
    }

    fn read(&self, object: &ObjectRef, relation: &str) -> Result<Vec<Relationship>, EvalError> {
        let ids = [object.object_id()];
        let query = ResourceQuery {
            resource_type: object.object_type(),
            resource_ids: &ids,
            relation,
            subject: None,
        };
        let mut found = Vec::new();
        self.snapshot.read_resources(&query, &mut |relationship| {
            found.push(relationship);
            ControlFlow::Continue(())
        })?;
        Ok(found)
    }
}

fn is_operator(rewrite: &Rewrite) -> bool {
    matches!(
        rewrite,
        Rewrite::Union(_) | Rewrite::Intersection(_) | Rewrite::Exclusion(_)
    )
}
