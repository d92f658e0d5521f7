//! What each loop sends, and how its answer is judged against the dataset.

use tessera_datasets::Dataset;
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::permissions_service_client::PermissionsServiceClient;

use super::wire::{HAS_PERMISSION, Query, relationship, subject_found};
use crate::AuthedChannel;

/// How a call went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The expected answer (or, for a write, success).
    Right,
    /// An answer other than the expected one.
    Wrong,
    /// An error status, as `CODE: message`.
    Error(String),
}

/// One call's phase (index into [`Workload::phases`]), category (index into
/// [`Workload::categories`]) and outcome.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) phase: usize,
    pub(crate) category: usize,
    pub(crate) outcome: Outcome,
}

/// Fresh relationships to write: dataset relationships of every kind, each written again
/// under a new resource id. Nothing points at a new resource, so no expected answer changes.
#[derive(Clone, Debug)]
pub(crate) struct Writes {
    templates: Vec<wire::Relationship>,
    /// Tells this run's resources from earlier runs' (TOUCH would make repeats cheap).
    run_id: u64,
    batch: usize,
    /// The category index of writes.
    category: usize,
}

/// Relationship lines read while looking for one template of each kind.
const TEMPLATE_SCAN: usize = 100_000;

impl Writes {
    /// Templates from the start of `dataset`'s relationships, `batch` per call.
    ///
    /// # Errors
    /// An unreadable dataset, or one without relationships.
    pub(crate) fn new(dataset: &Dataset, batch: usize, category: usize) -> anyhow::Result<Self> {
        let mut kinds = std::collections::BTreeSet::new();
        let mut templates = Vec::new();
        for line in dataset.relationships()?.take(TEMPLATE_SCAN) {
            let line = line?;
            let kind = (
                line.resource().object_type().to_owned(),
                line.relation().to_owned(),
                line.subject().object_type().to_owned(),
                line.subject().relation().map(str::to_owned),
                line.subject().is_wildcard(),
            );
            if kinds.insert(kind) {
                templates.push(relationship(&line)?);
            }
        }
        if templates.is_empty() {
            anyhow::bail!("the dataset has no relationships to model writes on");
        }
        let run_id = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|since| since.as_secs())
            .unwrap_or_default();
        Ok(Self {
            templates,
            run_id,
            batch: batch.max(1),
            category,
        })
    }

    fn request(&self, worker: usize, iteration: u64) -> wire::WriteRelationshipsRequest {
        let updates = (0..self.batch)
            .map(|j| {
                let index = (iteration as usize)
                    .wrapping_mul(self.batch)
                    .wrapping_add(j);
                let mut relationship = self
                    .templates
                    .get(index % self.templates.len())
                    .cloned()
                    .unwrap_or_default();
                if let Some(resource) = relationship.resource.as_mut() {
                    resource.object_id = format!("bench_{}_{worker}_{iteration}_{j}", self.run_id);
                }
                wire::RelationshipUpdate {
                    operation: wire::relationship_update::Operation::Touch as i32,
                    relationship: Some(relationship),
                }
            })
            .collect();
        wire::WriteRelationshipsRequest {
            updates,
            optional_preconditions: Vec::new(),
            optional_transaction_metadata: None,
        }
    }

    async fn call(
        &self,
        client: &mut PermissionsServiceClient<AuthedChannel>,
        phase: usize,
        worker: usize,
        iteration: u64,
    ) -> Call {
        let outcome = match client
            .write_relationships(self.request(worker, iteration))
            .await
        {
            Ok(_) => Outcome::Right,
            Err(status) => error(&status),
        };
        Call {
            phase,
            category: self.category,
            outcome,
        }
    }
}

/// A benchmark's calls.
#[derive(Debug)]
pub(crate) enum Workload {
    Checks {
        queries: Vec<Query<wire::CheckPermissionRequest>>,
        categories: Vec<String>,
    },
    LookupResources {
        queries: Vec<Query<(wire::LookupResourcesRequest, String)>>,
        categories: Vec<String>,
    },
    LookupSubjects {
        queries: Vec<Query<(wire::LookupSubjectsRequest, String)>>,
        categories: Vec<String>,
    },
    Writes {
        writes: Writes,
        categories: Vec<String>,
    },
    /// Checks, with `write_percent` % of the calls writes instead.
    Mixed {
        queries: Vec<Query<wire::CheckPermissionRequest>>,
        writes: Writes,
        write_percent: u8,
        categories: Vec<String>,
    },
}

impl Workload {
    /// The names of the phases calls are tallied under.
    pub(crate) fn phases(&self) -> Vec<&'static str> {
        match self {
            Workload::Checks { .. } => vec!["check"],
            Workload::LookupResources { .. } => vec!["lookup_resources"],
            Workload::LookupSubjects { .. } => vec!["lookup_subjects"],
            Workload::Writes { .. } => vec!["write"],
            Workload::Mixed { .. } => vec!["check", "write"],
        }
    }

    /// The category names.
    pub(crate) fn categories(&self) -> &[String] {
        match self {
            Workload::Checks { categories, .. }
            | Workload::LookupResources { categories, .. }
            | Workload::LookupSubjects { categories, .. }
            | Workload::Writes { categories, .. }
            | Workload::Mixed { categories, .. } => categories,
        }
    }

    /// Sends loop `worker`'s (of `loops`) call number `iteration` and judges the answer.
    /// Loops start at evenly spread offsets of the queries, so they ask different things.
    pub(crate) async fn call(
        &self,
        client: &mut PermissionsServiceClient<AuthedChannel>,
        worker: usize,
        loops: usize,
        iteration: u64,
    ) -> Call {
        match self {
            Workload::Checks { queries, .. } => {
                check(client, pick(queries, worker, loops, iteration), 0).await
            }
            Workload::LookupResources { queries, .. } => {
                lookup_resources(client, pick(queries, worker, loops, iteration)).await
            }
            Workload::LookupSubjects { queries, .. } => {
                lookup_subjects(client, pick(queries, worker, loops, iteration)).await
            }
            Workload::Writes { writes, .. } => writes.call(client, 0, worker, iteration).await,
            Workload::Mixed {
                queries,
                writes,
                write_percent,
                ..
            } => {
                // Every loop writes on the same share of its calls, at staggered moments.
                let slot = (iteration + worker as u64 * 37) % 100;
                if slot < u64::from(*write_percent) {
                    writes.call(client, 1, worker, iteration).await
                } else {
                    check(client, pick(queries, worker, loops, iteration), 0).await
                }
            }
        }
    }
}

/// The query for loop `worker`'s call `iteration`; `None` when there are none.
fn pick<T>(queries: &[T], worker: usize, loops: usize, iteration: u64) -> Option<&T> {
    if queries.is_empty() {
        return None;
    }
    let start = worker * (queries.len() / loops.max(1));
    let index = (start as u64).wrapping_add(iteration) % queries.len() as u64;
    queries.get(usize::try_from(index).unwrap_or_default())
}

fn error(status: &tonic::Status) -> Outcome {
    Outcome::Error(format!("{:?}: {}", status.code(), status.message()))
}

fn nothing_to_ask(phase: usize) -> Call {
    Call {
        phase,
        category: 0,
        outcome: Outcome::Error("the dataset has no queries of this kind".to_owned()),
    }
}

async fn check(
    client: &mut PermissionsServiceClient<AuthedChannel>,
    query: Option<&Query<wire::CheckPermissionRequest>>,
    phase: usize,
) -> Call {
    let Some(query) = query else {
        return nothing_to_ask(phase);
    };
    let outcome = match client.check_permission(query.request.clone()).await {
        Ok(response) => {
            let allowed = response.into_inner().permissionship == HAS_PERMISSION;
            judge(allowed, query.expected)
        }
        Err(status) => error(&status),
    };
    Call {
        phase,
        category: query.category,
        outcome,
    }
}

async fn lookup_resources(
    client: &mut PermissionsServiceClient<AuthedChannel>,
    query: Option<&Query<(wire::LookupResourcesRequest, String)>>,
) -> Call {
    let Some(query) = query else {
        return nothing_to_ask(0);
    };
    let (request, resource_id) = &query.request;
    let outcome = judge_stream(
        client.lookup_resources(request.clone()).await,
        query.expected,
        |item| item.resource_object_id == *resource_id,
    )
    .await;
    Call {
        phase: 0,
        category: query.category,
        outcome,
    }
}

async fn lookup_subjects(
    client: &mut PermissionsServiceClient<AuthedChannel>,
    query: Option<&Query<(wire::LookupSubjectsRequest, String)>>,
) -> Call {
    let Some(query) = query else {
        return nothing_to_ask(0);
    };
    let (request, subject_id) = &query.request;
    let outcome = judge_stream(
        client.lookup_subjects(request.clone()).await,
        query.expected,
        |item| subject_found(item, subject_id),
    )
    .await;
    Call {
        phase: 0,
        category: query.category,
        outcome,
    }
}

/// Reads a lookup's whole stream and judges whether `wanted` was among the results.
async fn judge_stream<T>(
    call: Result<tonic::Response<tonic::Streaming<T>>, tonic::Status>,
    expected: bool,
    wanted: impl Fn(&T) -> bool,
) -> Outcome {
    let mut stream = match call {
        Ok(response) => response.into_inner(),
        Err(status) => return error(&status),
    };
    let mut found = false;
    loop {
        match stream.message().await {
            Ok(Some(item)) => found |= wanted(&item),
            Ok(None) => return judge(found, expected),
            Err(status) => return error(&status),
        }
    }
}

fn judge(answer: bool, expected: bool) -> Outcome {
    if answer == expected {
        Outcome::Right
    } else {
        Outcome::Wrong
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_start_spread_out_and_wrap_around() {
        let queries: Vec<u32> = (0..10).collect();
        assert_eq!(pick(&queries, 0, 2, 0), Some(&0));
        assert_eq!(pick(&queries, 1, 2, 0), Some(&5));
        assert_eq!(pick(&queries, 1, 2, 7), Some(&2));
        assert_eq!(pick::<u32>(&[], 0, 1, 0), None);
        assert_eq!(pick(&queries, 3, 16, 1), Some(&1));
    }

    #[test]
    fn answers_are_judged_against_expectations() {
        assert_eq!(judge(true, true), Outcome::Right);
        assert_eq!(judge(false, true), Outcome::Wrong);
        assert_eq!(judge(true, false), Outcome::Wrong);
    }
}
