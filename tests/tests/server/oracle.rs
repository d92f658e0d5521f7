//! [`GrpcOracle`]: the validation oracle over the generated gRPC client, and
//! [`Differential`]: an oracle that asks two others and records where they differ.

use std::cell::{Cell, RefCell};

use tessera_eval::{
    CheckRequest, CheckResult, ExpandNode, ExpandTree, ExpandedSubject, FoundResource,
    FoundSubject, LookupResourcesRequest, LookupSubjectsRequest,
};
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::permissions_service_client::PermissionsServiceClient;
use tessera_types::{ObjectRef, Relationship, SubjectRef, Timestamp};
use tessera_validation::{Oracle, ValidationFile};
use tokio::runtime::Handle;

use crate::convert::{
    check_permissionship, context, exact_filter, lookup_permissionship, object, relationship,
    status_text, subject,
};
use crate::support::{Authed, TestServer, fully_consistent};

/// Relationships per ImportBulkRelationships message.
const IMPORT_CHUNK: usize = 500;

/// Loads a validation file into a fresh server the way a user would: WriteSchema, then every
/// relationship in one ImportBulkRelationships stream. Then it writes each relationship again
/// with TOUCH under a MUST_MATCH precondition on itself, as SpiceDB's own consistency suite
/// does (`v1ServiceTester.Write`): the import must have stored exactly what was sent.
///
/// # Errors
/// The first call that fails, naming the relationship.
pub(crate) async fn load(server: &TestServer, file: &ValidationFile) -> Result<(), String> {
    server
        .schema()
        .await
        .write_schema(wire::WriteSchemaRequest {
            schema: file.schema.clone(),
        })
        .await
        .map_err(|status| format!("WriteSchema: {}", status_text(&status)))?;

    let mut permissions = server.permissions().await;
    let relationships: Vec<&Relationship> = file.relationships.iter().map(|(r, _)| r).collect();
    let messages: Vec<wire::ImportBulkRelationshipsRequest> = relationships
        .chunks(IMPORT_CHUNK)
        .map(|chunk| wire::ImportBulkRelationshipsRequest {
            relationships: chunk.iter().map(|r| relationship(r)).collect(),
        })
        .collect();
    let loaded = permissions
        .import_bulk_relationships(tokio_stream::iter(messages))
        .await
        .map_err(|status| format!("ImportBulkRelationships: {}", status_text(&status)))?
        .into_inner()
        .num_loaded;
    if loaded != relationships.len() as u64 {
        return Err(format!(
            "ImportBulkRelationships loaded {loaded} of {} relationships",
            relationships.len()
        ));
    }

    let now = Timestamp::now();
    for relationship_ in relationships {
        // An expired relationship matches no filter, so SpiceDB's suite writes relationships
        // with an expiration without the precondition; so do we.
        let preconditions = if relationship_.expires_at().is_some() {
            Vec::new()
        } else {
            vec![wire::Precondition {
                operation: wire::precondition::Operation::MustMatch as i32,
                filter: Some(exact_filter(relationship_)),
            }]
        };
        let still_live = !relationship_.is_expired_at(now);
        permissions
            .write_relationships(wire::WriteRelationshipsRequest {
                updates: vec![wire::RelationshipUpdate {
                    operation: wire::relationship_update::Operation::Touch as i32,
                    relationship: Some(relationship(relationship_)),
                }],
                optional_preconditions: preconditions,
                optional_transaction_metadata: None,
            })
            .await
            .map_err(|status| {
                format!(
                    "TOUCH `{relationship_}` (live: {still_live}) under MUST_MATCH: {}",
                    status_text(&status)
                )
            })?;
    }
    Ok(())
}

/// Answers validation questions with gRPC calls at full consistency. Lookups are asked
/// twice: in one call, and in pages of [`GrpcOracle::PAGE_SIZE`] following the cursors; the
/// pages must add up to the single answer.
#[derive(Debug)]
pub(crate) struct GrpcOracle {
    runtime: Handle,
    permissions: PermissionsServiceClient<Authed>,
}

impl GrpcOracle {
    /// Small, so that most lookups with answers span several pages.
    pub(crate) const PAGE_SIZE: u32 = 2;

    /// An oracle whose calls run on `runtime` (from a thread outside it).
    pub(crate) fn new(runtime: Handle, permissions: PermissionsServiceClient<Authed>) -> Self {
        Self {
            runtime,
            permissions,
        }
    }

    /// One LookupResources call; each found resource with the cursor after it.
    async fn lookup_resources_call(
        &self,
        request: &LookupResourcesRequest,
        limit: u32,
        cursor: Option<wire::Cursor>,
    ) -> Result<Vec<(FoundResource, Option<wire::Cursor>)>, String> {
        let mut client = self.permissions.clone();
        let mut stream = client
            .lookup_resources(wire::LookupResourcesRequest {
                consistency: fully_consistent(),
                resource_object_type: request.resource_type.clone(),
                permission: request.permission.clone(),
                subject: Some(subject(&request.subject)),
                context: context(&request.context),
                optional_limit: limit,
                optional_cursor: cursor,
            })
            .await
            .map_err(|status| status_text(&status))?
            .into_inner();
        let mut found = Vec::new();
        while let Some(response) = stream.message().await.map_err(|s| status_text(&s))? {
            let permissionship = lookup_permissionship(
                response.permissionship,
                response.partial_caveat_info.as_ref(),
            )?;
            found.push((
                FoundResource {
                    resource_id: response.resource_object_id,
                    permissionship,
                },
                response.after_result_cursor,
            ));
        }
        Ok(found)
    }

    /// Every page of `request`, following the cursor of each page's last item.
    async fn lookup_resources_paged(
        &self,
        request: &LookupResourcesRequest,
        expected_len: usize,
    ) -> Result<Vec<FoundResource>, String> {
        let page_size = Self::PAGE_SIZE as usize;
        let mut all = Vec::new();
        let mut cursor = None;
        // Bounded, so a server that never ends a paging loop fails instead of hanging.
        for _ in 0..=expected_len / page_size + 1 {
            let page = self
                .lookup_resources_call(request, Self::PAGE_SIZE, cursor)
                .await?;
            let full = page.len() == page_size;
            if page.len() > page_size {
                return Err(format!(
                    "a page of {} results with optional_limit {page_size}",
                    page.len()
                ));
            }
            cursor = page.last().and_then(|(_, cursor)| cursor.clone());
            all.extend(page.into_iter().map(|(found, _)| found));
            if !full {
                return Ok(all);
            }
            if cursor.is_none() {
                return Err("a full page without after_result_cursor".to_owned());
            }
        }
        Err(format!(
            "paging with optional_limit {page_size} went on past {} results",
            all.len()
        ))
    }

    async fn lookup_subjects_call(
        &self,
        request: &LookupSubjectsRequest,
    ) -> Result<Vec<FoundSubject>, String> {
        use wire::lookup_subjects_request::WildcardOption;
        let mut client = self.permissions.clone();
        let wildcard_option = if request.include_wildcards {
            WildcardOption::IncludeWildcards
        } else {
            WildcardOption::ExcludeWildcards
        };
        let mut stream = client
            .lookup_subjects(wire::LookupSubjectsRequest {
                consistency: fully_consistent(),
                resource: Some(object(&request.resource)),
                permission: request.permission.clone(),
                subject_object_type: request.subject_type.clone(),
                optional_subject_relation: request.subject_relation.clone().unwrap_or_default(),
                context: context(&request.context),
                optional_concrete_limit: 0,
                optional_cursor: None,
                wildcard_option: wildcard_option as i32,
            })
            .await
            .map_err(|status| status_text(&status))?
            .into_inner();
        let resolved = |resolved: &wire::ResolvedSubject| -> Result<FoundSubject, String> {
            Ok(FoundSubject {
                subject_id: resolved.subject_object_id.clone(),
                permissionship: lookup_permissionship(
                    resolved.permissionship,
                    resolved.partial_caveat_info.as_ref(),
                )?,
                excluded: Vec::new(),
            })
        };
        let mut found = Vec::new();
        while let Some(response) = stream.message().await.map_err(|s| status_text(&s))? {
            let main = response
                .subject
                .as_ref()
                .ok_or("a LookupSubjectsResponse without `subject`")?;
            found.push(FoundSubject {
                excluded: response
                    .excluded_subjects
                    .iter()
                    .map(resolved)
                    .collect::<Result<_, _>>()?,
                ..resolved(main)?
            });
        }
        Ok(found)
    }

    /// One ExpandPermissionTree call: SpiceDB's API expands a single level.
    fn expand_one_level(&self, resource: &ObjectRef, relation: &str) -> Result<ExpandTree, String> {
        let mut client = self.permissions.clone();
        let response = self
            .runtime
            .block_on(
                client.expand_permission_tree(wire::ExpandPermissionTreeRequest {
                    consistency: fully_consistent(),
                    resource: Some(object(resource)),
                    permission: relation.to_owned(),
                }),
            )
            .map_err(|status| format!("expand {resource}#{relation}: {}", status_text(&status)))?
            .into_inner();
        expand_tree(
            response
                .tree_root
                .ok_or("an expansion without `tree_root`")?,
        )
    }

    /// Expands, client-side, every subject set the server left in the leaves of `tree`.
    ///
    /// The in-process evaluator cuts a cycle by answering an empty leaf for an
    /// `object#relation` already being expanded on the path from the root; `path` holds those
    /// keys (every node whose key differs from its parent's), so both cut at the same place.
    fn expand_subject_sets(
        &self,
        tree: ExpandTree,
        path: &mut Vec<(ObjectRef, String)>,
    ) -> Result<ExpandTree, String> {
        let ExpandTree {
            object,
            relation,
            node,
        } = tree;
        let node = match node {
            ExpandNode::Leaf(subjects) => {
                let mut nested = Vec::new();
                for expanded in &subjects {
                    let Some(set_relation) = expanded.subject.relation() else {
                        continue;
                    };
                    let set_object = ObjectRef::new(
                        expanded.subject.object_type(),
                        expanded.subject.object_id(),
                    )
                    .map_err(|err| err.to_string())?;
                    let key = (set_object, set_relation.to_owned());
                    nested.push(if path.contains(&key) {
                        empty_leaf(key)
                    } else {
                        let one_level = self.expand_one_level(&key.0, &key.1)?;
                        self.descend(one_level, path)?
                    });
                }
                let leaf = ExpandNode::Leaf(subjects);
                if nested.is_empty() {
                    leaf
                } else {
                    let leaf = ExpandTree {
                        object: object.clone(),
                        relation: relation.clone(),
                        node: leaf,
                    };
                    nested.insert(0, leaf);
                    ExpandNode::Union(nested)
                }
            }
            ExpandNode::Union(children) => {
                ExpandNode::Union(self.children(&object, &relation, children, path)?)
            }
            ExpandNode::Intersection(children) => {
                ExpandNode::Intersection(self.children(&object, &relation, children, path)?)
            }
            ExpandNode::Exclusion(children) => {
                ExpandNode::Exclusion(self.children(&object, &relation, children, path)?)
            }
        };
        Ok(ExpandTree {
            object,
            relation,
            node,
        })
    }

    fn children(
        &self,
        object: &ObjectRef,
        relation: &str,
        children: Vec<ExpandTree>,
        path: &mut Vec<(ObjectRef, String)>,
    ) -> Result<Vec<ExpandTree>, String> {
        children
            .into_iter()
            .map(|child| {
                if child.object == *object && child.relation == relation {
                    // An operand of the same permission, not a step along the path.
                    return self.expand_subject_sets(child, path);
                }
                let key = (child.object.clone(), child.relation.clone());
                if path.contains(&key) {
                    Ok(empty_leaf(key))
                } else {
                    self.descend(child, path)
                }
            })
            .collect()
    }

    /// Expands `tree` one step further down the path.
    fn descend(
        &self,
        tree: ExpandTree,
        path: &mut Vec<(ObjectRef, String)>,
    ) -> Result<ExpandTree, String> {
        path.push((tree.object.clone(), tree.relation.clone()));
        let expanded = self.expand_subject_sets(tree, path);
        path.pop();
        expanded
    }
}

fn empty_leaf((object, relation): (ObjectRef, String)) -> ExpandTree {
    ExpandTree {
        object,
        relation,
        node: ExpandNode::Leaf(Vec::new()),
    }
}

/// A wire tree in the evaluator's terms. The wire has no caveat on a leaf's subjects, so every
/// subject reads as uncaveated.
fn expand_tree(tree: wire::PermissionRelationshipTree) -> Result<ExpandTree, String> {
    use wire::algebraic_subject_set::Operation;
    use wire::permission_relationship_tree::TreeType;
    let wire::PermissionRelationshipTree {
        tree_type,
        expanded_object,
        expanded_relation,
    } = tree;
    let expanded_object = expanded_object.ok_or("a tree node without `expanded_object`")?;
    let object = ObjectRef::new(expanded_object.object_type, expanded_object.object_id)
        .map_err(|err| err.to_string())?;
    let node = match tree_type.ok_or("a tree node without `tree_type`")? {
        TreeType::Leaf(set) => ExpandNode::Leaf(
            set.subjects
                .into_iter()
                .map(|wire_subject| {
                    let wire_object = wire_subject.object.ok_or("a subject without `object`")?;
                    let relation = Some(wire_subject.optional_relation);
                    SubjectRef::new(wire_object.object_type, wire_object.object_id, relation)
                        .map(|subject| ExpandedSubject {
                            subject,
                            caveated: false,
                        })
                        .map_err(|err| err.to_string())
                })
                .collect::<Result<_, String>>()?,
        ),
        TreeType::Intermediate(set) => {
            let children = set
                .children
                .into_iter()
                .map(expand_tree)
                .collect::<Result<_, _>>()?;
            match Operation::try_from(set.operation) {
                Ok(Operation::Union) => ExpandNode::Union(children),
                Ok(Operation::Intersection) => ExpandNode::Intersection(children),
                Ok(Operation::Exclusion) => ExpandNode::Exclusion(children),
                Ok(Operation::Unspecified) | Err(_) => {
                    return Err(format!("a tree node with operation {}", set.operation));
                }
            }
        }
    };
    Ok(ExpandTree {
        object,
        relation: expanded_relation,
        node,
    })
}

impl Oracle for GrpcOracle {
    fn check(&self, request: &CheckRequest, explain: bool) -> Result<CheckResult, String> {
        let mut client = self.permissions.clone();
        let response = self
            .runtime
            .block_on(client.check_permission(wire::CheckPermissionRequest {
                consistency: fully_consistent(),
                resource: Some(object(&request.resource)),
                permission: request.permission.clone(),
                subject: Some(subject(&request.subject)),
                context: context(&request.context),
                with_tracing: explain,
            }))
            .map_err(|status| status_text(&status))?
            .into_inner();
        Ok(CheckResult {
            permissionship: check_permissionship(
                response.permissionship,
                response.partial_caveat_info.as_ref(),
            )?,
            // SpiceDB's debug trace is a different shape; the in-process oracle explains.
            trace: None,
        })
    }

    fn lookup_resources(
        &self,
        request: &LookupResourcesRequest,
    ) -> Result<Vec<FoundResource>, String> {
        if request.limit.is_some() || request.after.is_some() {
            return Err("the gRPC oracle pages with cursors itself: ask without limit".to_owned());
        }
        self.runtime.block_on(async {
            let whole: Vec<FoundResource> = self
                .lookup_resources_call(request, 0, None)
                .await?
                .into_iter()
                .map(|(found, _)| found)
                .collect();
            let paged = self.lookup_resources_paged(request, whole.len()).await?;
            let sorted = |found: &[FoundResource]| {
                let mut keys: Vec<String> = found.iter().map(|f| format!("{f:?}")).collect();
                keys.sort();
                keys
            };
            if sorted(&paged) != sorted(&whole) {
                return Err(format!(
                    "pages of {} found {paged:?}; one call found {whole:?}",
                    Self::PAGE_SIZE
                ));
            }
            Ok(whole)
        })
    }

    fn lookup_subjects(
        &self,
        request: &LookupSubjectsRequest,
    ) -> Result<Vec<FoundSubject>, String> {
        if request.limit.is_some() || request.after.is_some() {
            return Err("the gRPC oracle asks for every subject: ask without limit".to_owned());
        }
        self.runtime.block_on(self.lookup_subjects_call(request))
    }

    fn expand(&self, resource: &ObjectRef, relation: &str) -> Result<ExpandTree, String> {
        let root = self.expand_one_level(resource, relation)?;
        let mut path = vec![(resource.clone(), relation.to_owned())];
        self.expand_subject_sets(root, &mut path)
    }
}

/// Asks every question of two oracles, answers with the first's answer, and records every
/// question on which the second answered differently. Errors count as equal answers when
/// both oracles fail (their messages differ by design: a gRPC status against an evaluator
/// error).
#[derive(Debug)]
pub(crate) struct Differential<'o, A, B> {
    answering: &'o A,
    reference: &'o B,
    compared: Cell<usize>,
    differences: RefCell<Vec<String>>,
}

impl<'o, A: Oracle, B: Oracle> Differential<'o, A, B> {
    pub(crate) fn new(answering: &'o A, reference: &'o B) -> Self {
        Self {
            answering,
            reference,
            compared: Cell::new(0),
            differences: RefCell::new(Vec::new()),
        }
    }

    /// How many questions were asked of both.
    pub(crate) fn compared(&self) -> usize {
        self.compared.get()
    }

    /// One line per question the two answered differently.
    pub(crate) fn differences(&self) -> Vec<String> {
        self.differences.borrow().clone()
    }

    fn compare<T: PartialEq + std::fmt::Debug>(
        &self,
        question: impl FnOnce() -> String,
        answer: &Result<T, String>,
        reference: &Result<T, String>,
    ) {
        self.compared.set(self.compared.get() + 1);
        let same = match (answer, reference) {
            (Ok(answer), Ok(reference)) => answer == reference,
            (Err(_), Err(_)) => true,
            _ => false,
        };
        if !same {
            self.differences.borrow_mut().push(format!(
                "{}\n  over gRPC:  {answer:?}\n  in process: {reference:?}",
                question()
            ));
        }
    }
}

impl<A: Oracle, B: Oracle> Oracle for Differential<'_, A, B> {
    fn check(&self, request: &CheckRequest, explain: bool) -> Result<CheckResult, String> {
        let answer = self.answering.check(request, explain);
        let reference = self.reference.check(request, false);
        self.compare(
            || {
                format!(
                    "check {}#{}@{} with {:?}",
                    request.resource, request.permission, request.subject, request.context
                )
            },
            &answer
                .as_ref()
                .map(|a| a.permissionship.clone())
                .map_err(Clone::clone),
            &reference.map(|r| r.permissionship),
        );
        answer
    }

    fn lookup_resources(
        &self,
        request: &LookupResourcesRequest,
    ) -> Result<Vec<FoundResource>, String> {
        let answer = self.answering.lookup_resources(request);
        let reference = self.reference.lookup_resources(request);
        self.compare(
            || {
                format!(
                    "lookup resources {}#{}@{}",
                    request.resource_type, request.permission, request.subject
                )
            },
            &answer,
            &reference,
        );
        answer
    }

    fn lookup_subjects(
        &self,
        request: &LookupSubjectsRequest,
    ) -> Result<Vec<FoundSubject>, String> {
        let answer = self.answering.lookup_subjects(request);
        let reference = self.reference.lookup_subjects(request);
        self.compare(
            || {
                format!(
                    "lookup subjects {}#{}@{}{}",
                    request.resource,
                    request.permission,
                    request.subject_type,
                    request
                        .subject_relation
                        .as_ref()
                        .map(|r| format!("#{r}"))
                        .unwrap_or_default()
                )
            },
            &answer,
            &reference,
        );
        answer
    }

    fn expand(&self, resource: &ObjectRef, relation: &str) -> Result<ExpandTree, String> {
        let answer = self.answering.expand(resource, relation);
        // The wire cannot say whether a leaf's subject is caveated; compare without it.
        let reference = self.reference.expand(resource, relation).map(uncaveated);
        self.compare(
            || format!("expand {resource}#{relation}"),
            &answer.clone().map(uncaveated),
            &reference,
        );
        answer
    }
}

fn uncaveated(tree: ExpandTree) -> ExpandTree {
    let ExpandTree {
        object,
        relation,
        node,
    } = tree;
    let all = |children: Vec<ExpandTree>| children.into_iter().map(uncaveated).collect();
    let node = match node {
        ExpandNode::Leaf(subjects) => ExpandNode::Leaf(
            subjects
                .into_iter()
                .map(|expanded| ExpandedSubject {
                    caveated: false,
                    ..expanded
                })
                .collect(),
        ),
        ExpandNode::Union(children) => ExpandNode::Union(all(children)),
        ExpandNode::Intersection(children) => ExpandNode::Intersection(all(children)),
        ExpandNode::Exclusion(children) => ExpandNode::Exclusion(all(children)),
    };
    ExpandTree {
        object,
        relation,
        node,
    }
}
