//! Watch: the changelog as a stream, resumable from any ZedToken inside the GC window.
//!
//! The stream reads committed revisions with [`tessera_store::Datastore::changes_after`] and
//! sleeps on [`tessera_store::Datastore::subscribe`] when it has caught up. Relationship
//! updates, schema updates and checkpoints are separate messages, as in SpiceDB.

use std::collections::HashSet;
use std::sync::Arc;

use tessera_proto::authzed::api::v1 as wire;
use tessera_store::{Change, ChangeSet, RelationshipFilter};
use tessera_types::{NameKind, Revision};
use tokio::sync::mpsc;

use crate::convert::{Field, FromWire, ToWire, name};
use crate::error::ApiError;
use crate::service::Inner;
use crate::token::ZedToken;

/// How many revisions one read of the changelog returns.
const CHANGELOG_PAGE: usize = 256;

/// A validated Watch request.
#[derive(Debug)]
pub(crate) struct WatchPlan {
    /// Changes after this revision are sent.
    after: Revision,
    object_types: HashSet<String>,
    filters: Vec<RelationshipFilter>,
    relationships: bool,
    schema: bool,
    checkpoints: bool,
}

impl WatchPlan {
    fn wants(&self, change: &Change) -> bool {
        let relationship = match change {
            Change::Touch(relationship) | Change::Delete(relationship) => relationship,
        };
        (self.object_types.is_empty()
            || self
                .object_types
                .contains(relationship.resource().object_type()))
            && (self.filters.is_empty() || self.filters.iter().any(|f| f.matches(relationship)))
    }

    /// The messages one committed revision produces.
    fn messages(&self, inner: &Inner, change_set: &ChangeSet) -> Vec<wire::WatchResponse> {
        let ChangeSet {
            revision,
            changes,
            schema_changed,
            metadata,
        } = change_set;
        let metadata = metadata.as_ref().map(ToWire::to_wire);
        let response = || wire::WatchResponse {
            updates: Vec::new(),
            changes_through: Some(inner.token(*revision)),
            optional_transaction_metadata: metadata.clone(),
            schema_updated: false,
            is_checkpoint: false,
            full_revision_metadata: metadata.clone().into_iter().collect(),
        };
        let mut messages = Vec::new();
        if self.relationships {
            let updates: Vec<_> = changes
                .iter()
                .filter(|change| self.wants(change))
                .map(ToWire::to_wire)
                .collect();
            if !updates.is_empty() {
                messages.push(wire::WatchResponse {
                    updates,
                    ..response()
                });
            }
        }
        if self.schema && *schema_changed {
            messages.push(wire::WatchResponse {
                schema_updated: true,
                ..response()
            });
        }
        messages
    }
}

impl Inner {
    pub(crate) fn prepare_watch(&self, request: wire::WatchRequest) -> Result<WatchPlan, ApiError> {
        use wire::WatchKind;
        let field = Field::root("WatchRequest");
        let wire::WatchRequest {
            optional_object_types,
            optional_start_cursor,
            optional_relationship_filters,
            optional_update_kinds,
        } = request;
        if !optional_object_types.is_empty() && !optional_relationship_filters.is_empty() {
            return Err(field.invalid(
                "cannot specify both `optional_object_types` and `optional_relationship_filters`",
            ));
        }
        let types_field = field.child("optional_object_types");
        for (index, object_type) in optional_object_types.iter().enumerate() {
            name(NameKind::Definition, object_type, types_field.item(index))?;
        }
        let filters_field = field.child("optional_relationship_filters");
        let filters = optional_relationship_filters
            .into_iter()
            .enumerate()
            .map(|(index, filter)| RelationshipFilter::from_wire(filter, filters_field.item(index)))
            .collect::<Result<Vec<_>, _>>()?;
        let kinds_field = field.child("optional_update_kinds");
        let mut kinds = HashSet::new();
        for (index, kind) in optional_update_kinds.iter().enumerate() {
            let kind = WatchKind::try_from(*kind).map_err(|_| {
                kinds_field
                    .item(index)
                    .invalid(format!("`{kind}` is not a watch kind"))
            })?;
            kinds.insert(kind);
        }
        // No kind (or only the unspecified one) is the legacy default: relationships only.
        let relationships = kinds.is_empty()
            || kinds.contains(&WatchKind::Unspecified)
            || kinds.contains(&WatchKind::IncludeRelationshipUpdates);
        let after = match optional_start_cursor {
            None => self.revisions.head(),
            Some(wire::ZedToken { token }) => {
                let token = ZedToken::decode(&token)?;
                if !token.is_from(self.store.datastore_id()) {
                    return Err(ApiError::ForeignZedToken {
                        token: token.datastore().to_owned(),
                        ours: ZedToken::new(Revision::ZERO, self.store.datastore_id())
                            .datastore()
                            .to_owned(),
                    });
                }
                token.revision()
            }
        };
        // Refuse an expired or future start now, rather than as the stream's first message.
        self.store.changes_after(after, 0)?;
        Ok(WatchPlan {
            after,
            object_types: optional_object_types.into_iter().collect(),
            filters,
            relationships,
            schema: kinds.contains(&WatchKind::IncludeSchemaUpdates),
            checkpoints: kinds.contains(&WatchKind::IncludeCheckpoints),
        })
    }
}

/// Streams changes after `plan.after` to `tx` until the client leaves, the store goes away
/// or the server shuts down.
pub(crate) async fn run(
    inner: Arc<Inner>,
    mut plan: WatchPlan,
    tx: mpsc::Sender<Result<wire::WatchResponse, tonic::Status>>,
) {
    let mut heads = inner.store.subscribe();
    let mut shutdown = inner.shutdown.subscribe();
    // The first catch-up is checkpointed too, so a client knows when it is live.
    let mut checkpointed = None;
    loop {
        let stopping = *shutdown.borrow_and_update();
        if stopping {
            return fail(&tx, ApiError::ShuttingDown).await;
        }
        // Marked seen before reading, so a commit during the read wakes the wait below.
        heads.borrow_and_update();
        let reader = Arc::clone(&inner);
        let after = plan.after;
        let read =
            tokio::task::spawn_blocking(move || reader.store.changes_after(after, CHANGELOG_PAGE))
                .await;
        let page = match read {
            Ok(Ok(page)) => page,
            Ok(Err(err)) => return fail(&tx, err.into()).await,
            Err(err) => {
                return fail(&tx, ApiError::Internal(format!("watch read failed: {err}"))).await;
            }
        };
        let full = page.len() == CHANGELOG_PAGE;
        for change_set in &page {
            for message in plan.messages(&inner, change_set) {
                if tx.send(Ok(message)).await.is_err() {
                    return;
                }
            }
            plan.after = change_set.revision;
        }
        if full {
            continue;
        }
        if plan.checkpoints && checkpointed != Some(plan.after) {
            checkpointed = Some(plan.after);
            let checkpoint = wire::WatchResponse {
                changes_through: Some(inner.token(plan.after)),
                is_checkpoint: true,
                ..wire::WatchResponse::default()
            };
            if tx.send(Ok(checkpoint)).await.is_err() {
                return;
            }
        }
        tokio::select! {
            changed = heads.changed() => {
                if changed.is_err() {
                    return fail(&tx, ApiError::ShuttingDown).await;
                }
            }
            // Checked at the top of the loop.
            _ = shutdown.changed() => {}
            () = tx.closed() => return,
        }
    }
}

async fn fail(tx: &mpsc::Sender<Result<wire::WatchResponse, tonic::Status>>, error: ApiError) {
    // If the client is gone there is nobody to tell.
    drop(tx.send(Err(error.into())).await);
}
