//! The relationship RPCs: ReadRelationships, WriteRelationships, DeleteRelationships,
//! ImportBulkRelationships and ExportBulkRelationships.

use std::collections::HashSet;
use std::sync::Arc;

use prost::Message;
use tessera_eval::Evaluator;
use tessera_proto::authzed::api::v1 as wire;
use tessera_schema::{UpdateOperation, validate_relationship};
use tessera_store::{
    DeleteByFilter, Operation, OrderKey, Precondition, RelationshipFilter, StoreError,
    SubjectRelationFilter, TransactionMetadata, Update, WriteTransaction,
};
use tessera_types::{Relationship, Revision};

use crate::consistency::Consistency;
use crate::convert::{Field, FromWire, ToWire, required};
use crate::error::ApiError;
use crate::schemas::LoadedSchema;
use crate::service::{Emitter, Inner, View};
use crate::token::{RequestHash, request_hash};

/// How often a write is validated again when the schema changes under it before it commits.
const WRITE_ATTEMPTS: usize = 3;

/// A paged read, validated and pinned at a revision, ready to stream.
pub(crate) struct PagedRead {
    view: View,
    filter: RelationshipFilter,
    after: Option<Relationship>,
    /// Stop after this many relationships (ReadRelationships' limit).
    limit: Option<usize>,
    /// Relationships per read from the store (and per Export message).
    page_size: usize,
    hash: RequestHash,
}

/// The key of a relationship as a cursor position: its text without caveat or expiration.
fn position(relationship: &Relationship) -> String {
    format!(
        "{}#{}@{}",
        relationship.resource(),
        relationship.relation(),
        relationship.subject()
    )
}

/// Checks that the types and relations a filter names exist in the schema, as SpiceDB does.
fn check_filter(evaluator: &Evaluator, filter: &RelationshipFilter) -> Result<(), ApiError> {
    let schema = evaluator.schema();
    let relation_exists = |definition: &str, relation: &str| {
        evaluator
            .resolve_relation(definition, relation)
            .map(drop)
            .map_err(ApiError::from)
    };
    if let Some(resource_type) = &filter.resource_type {
        match &filter.relation {
            Some(relation) => relation_exists(resource_type, relation)?,
            None if schema.definition_id(resource_type).is_none() => {
                return Err(ApiError::UnknownDefinition(resource_type.clone()));
            }
            None => {}
        }
    }
    if let Some(subject) = &filter.subject {
        match &subject.relation {
            Some(SubjectRelationFilter::Named(relation)) => {
                relation_exists(&subject.subject_type, relation)?;
            }
            _ if schema.definition_id(&subject.subject_type).is_none() => {
                return Err(ApiError::UnknownDefinition(subject.subject_type.clone()));
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_preconditions(
    evaluator: &Evaluator,
    preconditions: &[Precondition],
) -> Result<(), ApiError> {
    preconditions
        .iter()
        .try_for_each(|precondition| check_filter(evaluator, &precondition.filter))
}

/// The encoded size of a wire relationship's caveat, what SpiceDB limits.
fn caveat_size(relationship: Option<&wire::Relationship>) -> usize {
    relationship
        .and_then(|relationship| relationship.optional_caveat.as_ref())
        .map_or(0, Message::encoded_len)
}

fn update_operation(operation: Operation) -> UpdateOperation {
    match operation {
        Operation::Create => UpdateOperation::Create,
        Operation::Touch => UpdateOperation::Touch,
        Operation::Delete => UpdateOperation::Delete,
    }
}

impl Inner {
    /// Transaction metadata within its size limit.
    fn metadata(
        &self,
        metadata: Option<prost_types::Struct>,
        field: Field<'_>,
    ) -> Result<Option<TransactionMetadata>, ApiError> {
        let Some(metadata) = metadata else {
            return Ok(None);
        };
        let size = metadata.encoded_len();
        let limit = self.config.max_transaction_metadata_bytes;
        if size > limit {
            return Err(ApiError::TransactionMetadataTooLarge { size, limit });
        }
        TransactionMetadata::from_wire(metadata, field).map(Some)
    }

    fn preconditions(
        &self,
        preconditions: Vec<wire::Precondition>,
        field: Field<'_>,
    ) -> Result<Vec<Precondition>, ApiError> {
        let limit = self.config.max_preconditions_per_write;
        if preconditions.len() > limit {
            return Err(ApiError::TooManyPreconditions {
                count: preconditions.len(),
                limit,
            });
        }
        preconditions
            .into_iter()
            .enumerate()
            .map(|(index, precondition)| Precondition::from_wire(precondition, field.item(index)))
            .collect()
    }

    /// Refuses a relationship whose caveat (`caveat_size` bytes encoded) is too large to store.
    fn check_caveat_size(
        &self,
        caveat_size: usize,
        relationship: &Relationship,
    ) -> Result<(), ApiError> {
        let limit = self.config.max_relationship_context_bytes;
        if caveat_size > limit {
            return Err(ApiError::RelationshipContextTooLarge {
                relationship: position(relationship),
                size: caveat_size,
                limit,
            });
        }
        Ok(())
    }

    pub(crate) fn write_relationships(
        &self,
        request: wire::WriteRelationshipsRequest,
    ) -> Result<wire::WriteRelationshipsResponse, ApiError> {
        let field = Field::root("WriteRelationshipsRequest");
        let wire::WriteRelationshipsRequest {
            updates,
            optional_preconditions,
            optional_transaction_metadata,
        } = request;
        let limit = self.config.max_updates_per_write;
        if updates.len() > limit {
            return Err(ApiError::TooManyUpdates {
                count: updates.len(),
                limit,
            });
        }
        let preconditions = self.preconditions(
            optional_preconditions,
            field.child("optional_preconditions"),
        )?;
        let metadata = self.metadata(
            optional_transaction_metadata,
            field.child("optional_transaction_metadata"),
        )?;
        let updates_field = field.child("updates");
        let mut seen = HashSet::with_capacity(updates.len());
        let updates = updates
            .into_iter()
            .enumerate()
            .map(|(index, update)| {
                let size = caveat_size(update.relationship.as_ref());
                let update = Update::from_wire(update, updates_field.item(index))?;
                self.check_caveat_size(size, &update.relationship)?;
                if !seen.insert(OrderKey::of(&update.relationship).to_owned_key()) {
                    return Err(ApiError::DuplicateUpdate(position(&update.relationship)));
                }
                Ok(update)
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let mut transaction = WriteTransaction {
            updates,
            preconditions,
            metadata,
            schema_revision: None,
        };
        let mut attempt = 1;
        loop {
            let view = self.view_at_head()?;
            for update in &transaction.updates {
                validate_relationship(
                    view.schema.schema(),
                    &update.relationship,
                    update_operation(update.operation),
                )?;
            }
            check_preconditions(&view.schema.evaluator, &transaction.preconditions)?;
            // The store refuses the write if another schema was written meanwhile.
            transaction.schema_revision = Some(view.schema.revision.unwrap_or(Revision::ZERO));
            match self.store.write(transaction.clone()) {
                Ok(revision) => {
                    return Ok(wire::WriteRelationshipsResponse {
                        written_at: Some(self.committed(revision)),
                    });
                }
                Err(StoreError::SchemaChanged { .. }) if attempt < WRITE_ATTEMPTS => attempt += 1,
                Err(err) => return Err(err.into()),
            }
        }
    }

    pub(crate) fn delete_relationships(
        &self,
        request: wire::DeleteRelationshipsRequest,
    ) -> Result<wire::DeleteRelationshipsResponse, ApiError> {
        use wire::delete_relationships_response::DeletionProgress;
        let field = Field::root("DeleteRelationshipsRequest");
        let wire::DeleteRelationshipsRequest {
            relationship_filter,
            optional_preconditions,
            optional_limit,
            optional_allow_partial_deletions,
            optional_transaction_metadata,
        } = request;
        let filter_field = field.child("relationship_filter");
        let filter = RelationshipFilter::from_wire(
            required(relationship_filter, filter_field)?,
            filter_field,
        )?;
        let preconditions = self.preconditions(
            optional_preconditions,
            field.child("optional_preconditions"),
        )?;
        let limit = Self::limit(
            optional_limit,
            self.config.max_delete_limit,
            "optional_limit",
        )?;
        let metadata = self.metadata(
            optional_transaction_metadata,
            field.child("optional_transaction_metadata"),
        )?;
        let view = self.view_at_head()?;
        check_filter(&view.schema.evaluator, &filter)?;
        check_preconditions(&view.schema.evaluator, &preconditions)?;
        let outcome = self.store.delete_by_filter(DeleteByFilter {
            filter,
            preconditions,
            limit: limit.map(|limit| limit as u64),
            allow_partial: optional_allow_partial_deletions,
            metadata,
        })?;
        Ok(wire::DeleteRelationshipsResponse {
            deleted_at: Some(self.committed(outcome.revision)),
            deletion_progress: if outcome.complete {
                DeletionProgress::Complete
            } else {
                DeletionProgress::Partial
            } as i32,
            relationships_deleted_count: outcome.deleted,
        })
    }

    /// Validates a ReadRelationships request and pins its revision.
    pub(crate) fn prepare_read(
        &self,
        request: wire::ReadRelationshipsRequest,
    ) -> Result<PagedRead, ApiError> {
        let field = Field::root("ReadRelationshipsRequest");
        let hash = request_hash(&wire::ReadRelationshipsRequest {
            consistency: None,
            optional_limit: 0,
            optional_cursor: None,
            ..request.clone()
        });
        let wire::ReadRelationshipsRequest {
            consistency,
            relationship_filter,
            optional_limit,
            optional_cursor,
        } = request;
        let consistency = Consistency::from_wire(consistency, field.child("consistency"))?;
        let filter_field = field.child("relationship_filter");
        let filter = RelationshipFilter::from_wire(
            required(relationship_filter, filter_field)?,
            filter_field,
        )?;
        let limit = Self::limit(optional_limit, self.config.max_read_limit, "optional_limit")?;
        self.prepare_paged(consistency, filter, optional_cursor, hash, limit, None)
    }

    /// Validates an ExportBulkRelationships request and pins its revision.
    pub(crate) fn prepare_export(
        &self,
        request: wire::ExportBulkRelationshipsRequest,
    ) -> Result<PagedRead, ApiError> {
        let field = Field::root("ExportBulkRelationshipsRequest");
        let hash = request_hash(&wire::ExportBulkRelationshipsRequest {
            consistency: None,
            optional_limit: 0,
            optional_cursor: None,
            ..request.clone()
        });
        let wire::ExportBulkRelationshipsRequest {
            consistency,
            optional_limit,
            optional_cursor,
            optional_relationship_filter,
        } = request;
        let consistency = Consistency::from_wire(consistency, field.child("consistency"))?;
        let filter = optional_relationship_filter
            .map(|filter| {
                RelationshipFilter::from_wire(filter, field.child("optional_relationship_filter"))
            })
            .transpose()?
            .unwrap_or_default();
        let page_size = Self::limit(
            optional_limit,
            self.config.max_export_limit,
            "optional_limit",
        )?;
        self.prepare_paged(consistency, filter, optional_cursor, hash, None, page_size)
    }

    fn prepare_paged(
        &self,
        consistency: Consistency,
        filter: RelationshipFilter,
        cursor: Option<wire::Cursor>,
        hash: RequestHash,
        limit: Option<usize>,
        page_size: Option<usize>,
    ) -> Result<PagedRead, ApiError> {
        let cursor = self.cursor(cursor, &hash)?;
        let view = match &cursor {
            Some(cursor) => self.view_at(cursor.revision)?,
            None => self.view(&consistency)?,
        };
        check_filter(&view.schema.evaluator, &filter)?;
        let after = cursor
            .map(|cursor| {
                cursor.after.parse::<Relationship>().map_err(|err| {
                    ApiError::InvalidCursor(format!("the cursor's position is unreadable: {err}"))
                })
            })
            .transpose()?;
        Ok(PagedRead {
            view,
            filter,
            after,
            limit,
            page_size: page_size
                .unwrap_or(self.config.read_page_size as usize)
                .max(1),
            hash,
        })
    }

    /// Sends pages of `read` to `send` until the store or the limit runs out.
    fn pages(
        read: PagedRead,
        mut send: impl FnMut(&View, Vec<Relationship>, &RequestHash) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let PagedRead {
            view,
            filter,
            mut after,
            mut limit,
            page_size,
            hash,
        } = read;
        loop {
            let wanted = limit.map_or(page_size, |limit| limit.min(page_size));
            if wanted == 0 {
                return Ok(());
            }
            let page = view
                .snapshot
                .read_filtered(&filter, after.as_ref(), Some(wanted))?;
            let full = page.len() == wanted;
            limit = limit.map(|limit| limit - page.len());
            after = page.last().cloned();
            if !page.is_empty() {
                send(&view, page, &hash)?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    pub(crate) fn stream_read(
        &self,
        read: PagedRead,
        emitter: &Emitter<wire::ReadRelationshipsResponse>,
    ) -> Result<(), ApiError> {
        Self::pages(read, |view, page, hash| {
            let read_at = self.token(view.revision());
            page.into_iter().try_for_each(|relationship| {
                emitter.emit(wire::ReadRelationshipsResponse {
                    read_at: Some(read_at.clone()),
                    after_result_cursor: Some(self.wire_cursor(
                        view,
                        position(&relationship),
                        hash,
                    )),
                    relationship: Some(relationship.to_wire()),
                })
            })
        })
    }

    pub(crate) fn stream_export(
        &self,
        read: PagedRead,
        emitter: &Emitter<wire::ExportBulkRelationshipsResponse>,
    ) -> Result<(), ApiError> {
        Self::pages(read, |view, page, hash| {
            let after_result_cursor = page
                .last()
                .map(|last| self.wire_cursor(view, position(last), hash));
            emitter.emit(wire::ExportBulkRelationshipsResponse {
                after_result_cursor,
                relationships: page.iter().map(ToWire::to_wire).collect(),
            })
        })
    }

    /// The schema imports are validated against: the head's.
    pub(crate) fn import_schema(&self) -> Result<Arc<LoadedSchema>, ApiError> {
        Ok(self.view_at_head()?.schema)
    }

    /// Checks one imported relationship against the schema.
    pub(crate) fn import_relationship(
        &self,
        schema: &LoadedSchema,
        relationship: wire::Relationship,
        field: Field<'_>,
    ) -> Result<Relationship, ApiError> {
        let size = caveat_size(Some(&relationship));
        let relationship = Relationship::from_wire(relationship, field)?;
        self.check_caveat_size(size, &relationship)?;
        validate_relationship(schema.schema(), &relationship, UpdateOperation::Create)?;
        Ok(relationship)
    }

    /// Imports validated relationships atomically; returns the revision and the count.
    pub(crate) fn import(
        &self,
        relationships: Vec<Relationship>,
    ) -> Result<(Revision, u64), ApiError> {
        Ok(self.store.bulk_import(&mut relationships.into_iter())?)
    }
}
