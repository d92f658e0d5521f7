//! The service traits tonic generated, implemented by delegating to [`Inner`]: unary RPCs
//! run on the blocking pool, streams are fed from it.

use std::sync::Arc;
use std::time::Instant;

use prost::Message;
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::experimental_service_server::ExperimentalService;
use tessera_proto::authzed::api::v1::permissions_service_server::PermissionsService;
use tessera_proto::authzed::api::v1::schema_service_server::SchemaService;
use tessera_proto::authzed::api::v1::watch_service_server::WatchService;
use tessera_types::Revision;
use tokio::sync::mpsc;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::convert::Field;
use crate::error::ApiError;
use crate::scope::{
    AllowedScope, filter_type, object_type, precondition_types, relationship_type, watch_types,
};
use crate::service::{ApiService, ResponseStream};
use crate::watch;

/// The response header that carries the ZedToken of an ImportBulkRelationships (whose
/// response message has no field for it).
pub const WRITTEN_AT_METADATA_KEY: &str = "io.tessera.written-at";

/// How many Watch responses are buffered ahead of a slow client.
const WATCH_BUFFER: usize = 64;

/// Re-types a message as another with the same fields and numbers (SpiceDB's deprecated
/// experimental messages mirror the stable ones), through its wire encoding.
fn transcode<A: Message, B: Message + Default>(message: &A) -> Result<B, Status> {
    B::decode(message.encode_to_vec().as_slice())
        .map_err(|err| ApiError::Internal(format!("re-encoding a message failed: {err}")).into())
}

/// A stream of one message type re-typed as another.
fn transcode_stream<A, B>(stream: ResponseStream<A>) -> ResponseStream<B>
where
    A: Message + 'static,
    B: Message + Default + 'static,
{
    Box::pin(stream.map(|item| item.and_then(|message| transcode(&message))))
}

fn stream_of<T: Send + 'static>(items: Vec<T>) -> ResponseStream<T> {
    Box::pin(tokio_stream::iter(items.into_iter().map(Ok)))
}

impl ApiService {
    /// Validates every relationship of an import stream as it arrives, then imports them
    /// all at one revision.
    async fn import<T: Message + Default + 'static>(
        &self,
        request: Request<Streaming<T>>,
        relationships_of: fn(T) -> Vec<wire::Relationship>,
    ) -> Result<Response<u64>, Status> {
        let scope = AllowedScope::of(&request);
        let mut stream = request.into_inner();
        let schema = self.blocking(|inner| inner.import_schema()).await?;
        let root = Field::root("ImportBulkRelationshipsRequest");
        let field = root.child("relationships");
        let mut relationships = Vec::new();
        while let Some(message) = stream.message().await? {
            let batch = relationships_of(message);
            scope.authorize(
                batch
                    .iter()
                    .map(|relationship| relationship_type(Some(relationship))),
            )?;
            for relationship in batch {
                let item = field.item(relationships.len());
                relationships.push(
                    self.inner
                        .import_relationship(&schema, relationship, item)?,
                );
            }
        }
        let (revision, loaded): (Revision, u64) = self
            .blocking(move |inner| inner.import(relationships))
            .await?;
        let mut response = Response::new(loaded);
        let token = self.inner.committed(revision).token;
        let value = token
            .parse()
            .map_err(|_| ApiError::Internal("a ZedToken is not ASCII".to_owned()))?;
        response
            .metadata_mut()
            .insert(WRITTEN_AT_METADATA_KEY, value);
        Ok(response)
    }

    async fn read(
        &self,
        request: wire::ReadRelationshipsRequest,
        scope: &AllowedScope,
    ) -> Result<ResponseStream<wire::ReadRelationshipsResponse>, Status> {
        scope.authorize([filter_type(request.relationship_filter.as_ref())])?;
        let read = self
            .blocking(move |inner| inner.prepare_read(request))
            .await?;
        Ok(self.produce(move |inner, emitter| inner.stream_read(read, emitter)))
    }

    async fn export(
        &self,
        request: wire::ExportBulkRelationshipsRequest,
        scope: &AllowedScope,
    ) -> Result<ResponseStream<wire::ExportBulkRelationshipsResponse>, Status> {
        scope.authorize([filter_type(request.optional_relationship_filter.as_ref())])?;
        let read = self
            .blocking(move |inner| inner.prepare_export(request))
            .await?;
        Ok(self.produce(move |inner, emitter| inner.stream_export(read, emitter)))
    }
}

#[tonic::async_trait]
impl PermissionsService for ApiService {
    type ReadRelationshipsStream = ResponseStream<wire::ReadRelationshipsResponse>;
    type LookupResourcesStream = ResponseStream<wire::LookupResourcesResponse>;
    type LookupSubjectsStream = ResponseStream<wire::LookupSubjectsResponse>;
    type ExportBulkRelationshipsStream = ResponseStream<wire::ExportBulkRelationshipsResponse>;

    async fn read_relationships(
        &self,
        request: Request<wire::ReadRelationshipsRequest>,
    ) -> Result<Response<Self::ReadRelationshipsStream>, Status> {
        let scope = AllowedScope::of(&request);
        self.read(request.into_inner(), &scope)
            .await
            .map(Response::new)
    }

    async fn write_relationships(
        &self,
        request: Request<wire::WriteRelationshipsRequest>,
    ) -> Result<Response<wire::WriteRelationshipsResponse>, Status> {
        let scope = AllowedScope::of(&request);
        let request = request.into_inner();
        scope.authorize(
            request
                .updates
                .iter()
                .map(|update| relationship_type(update.relationship.as_ref()))
                .chain(precondition_types(&request.optional_preconditions)),
        )?;
        self.blocking(move |inner| inner.write_relationships(request))
            .await
            .map(Response::new)
    }

    async fn delete_relationships(
        &self,
        request: Request<wire::DeleteRelationshipsRequest>,
    ) -> Result<Response<wire::DeleteRelationshipsResponse>, Status> {
        let scope = AllowedScope::of(&request);
        let request = request.into_inner();
        scope.authorize(
            std::iter::once(filter_type(request.relationship_filter.as_ref()))
                .chain(precondition_types(&request.optional_preconditions)),
        )?;
        self.blocking(move |inner| inner.delete_relationships(request))
            .await
            .map(Response::new)
    }

    async fn check_permission(
        &self,
        request: Request<wire::CheckPermissionRequest>,
    ) -> Result<Response<wire::CheckPermissionResponse>, Status> {
        let started = Instant::now();
        let caller = self.caller(
            &request,
            "authzed.api.v1.PermissionsService/CheckPermission",
        );
        AllowedScope::of(&request).authorize([object_type(request.get_ref().resource.as_ref())])?;
        self.audited_check(caller, request.into_inner(), started)
            .await
            .map(Response::new)
    }

    async fn check_bulk_permissions(
        &self,
        request: Request<wire::CheckBulkPermissionsRequest>,
    ) -> Result<Response<wire::CheckBulkPermissionsResponse>, Status> {
        let started = Instant::now();
        let caller = self.caller(
            &request,
            "authzed.api.v1.PermissionsService/CheckBulkPermissions",
        );
        AllowedScope::of(&request).authorize(
            request
                .get_ref()
                .items
                .iter()
                .map(|item| object_type(item.resource.as_ref())),
        )?;
        let response = self
            .blocking(move |inner| inner.check_bulk_permissions(request.into_inner()))
            .await?;
        self.audit_bulk(&caller, &response, started);
        Ok(Response::new(response))
    }

    async fn expand_permission_tree(
        &self,
        request: Request<wire::ExpandPermissionTreeRequest>,
    ) -> Result<Response<wire::ExpandPermissionTreeResponse>, Status> {
        AllowedScope::of(&request).authorize([object_type(request.get_ref().resource.as_ref())])?;
        let request = request.into_inner();
        self.blocking(move |inner| inner.expand_permission_tree(request))
            .await
            .map(Response::new)
    }

    async fn lookup_resources(
        &self,
        request: Request<wire::LookupResourcesRequest>,
    ) -> Result<Response<Self::LookupResourcesStream>, Status> {
        AllowedScope::of(&request)
            .authorize([Some(request.get_ref().resource_object_type.as_str())
                .filter(|object_type| !object_type.is_empty())])?;
        let request = request.into_inner();
        let found = self
            .blocking(move |inner| inner.lookup_resources(request))
            .await?;
        Ok(Response::new(stream_of(found)))
    }

    async fn lookup_subjects(
        &self,
        request: Request<wire::LookupSubjectsRequest>,
    ) -> Result<Response<Self::LookupSubjectsStream>, Status> {
        AllowedScope::of(&request).authorize([object_type(request.get_ref().resource.as_ref())])?;
        let request = request.into_inner();
        let found = self
            .blocking(move |inner| inner.lookup_subjects(request))
            .await?;
        Ok(Response::new(stream_of(found)))
    }

    async fn import_bulk_relationships(
        &self,
        request: Request<Streaming<wire::ImportBulkRelationshipsRequest>>,
    ) -> Result<Response<wire::ImportBulkRelationshipsResponse>, Status> {
        let response = self
            .import(request, |message| message.relationships)
            .await?;
        Ok(response.map(|num_loaded| wire::ImportBulkRelationshipsResponse { num_loaded }))
    }

    async fn export_bulk_relationships(
        &self,
        request: Request<wire::ExportBulkRelationshipsRequest>,
    ) -> Result<Response<Self::ExportBulkRelationshipsStream>, Status> {
        let scope = AllowedScope::of(&request);
        self.export(request.into_inner(), &scope)
            .await
            .map(Response::new)
    }
}

#[tonic::async_trait]
impl SchemaService for ApiService {
    async fn read_schema(
        &self,
        request: Request<wire::ReadSchemaRequest>,
    ) -> Result<Response<wire::ReadSchemaResponse>, Status> {
        let request = request.into_inner();
        self.blocking(move |inner| inner.read_schema(request))
            .await
            .map(Response::new)
    }

    async fn write_schema(
        &self,
        request: Request<wire::WriteSchemaRequest>,
    ) -> Result<Response<wire::WriteSchemaResponse>, Status> {
        let request = request.into_inner();
        self.blocking(move |inner| inner.write_schema(request))
            .await
            .map(Response::new)
    }

    async fn reflect_schema(
        &self,
        request: Request<wire::ReflectSchemaRequest>,
    ) -> Result<Response<wire::ReflectSchemaResponse>, Status> {
        let request = request.into_inner();
        self.blocking(move |inner| inner.reflect_schema(request))
            .await
            .map(Response::new)
    }

    async fn computable_permissions(
        &self,
        request: Request<wire::ComputablePermissionsRequest>,
    ) -> Result<Response<wire::ComputablePermissionsResponse>, Status> {
        let request = request.into_inner();
        self.blocking(move |inner| inner.computable_permissions(request))
            .await
            .map(Response::new)
    }

    async fn dependent_relations(
        &self,
        request: Request<wire::DependentRelationsRequest>,
    ) -> Result<Response<wire::DependentRelationsResponse>, Status> {
        let request = request.into_inner();
        self.blocking(move |inner| inner.dependent_relations(request))
            .await
            .map(Response::new)
    }

    async fn diff_schema(
        &self,
        request: Request<wire::DiffSchemaRequest>,
    ) -> Result<Response<wire::DiffSchemaResponse>, Status> {
        let request = request.into_inner();
        self.blocking(move |inner| inner.diff_schema(request))
            .await
            .map(Response::new)
    }
}

#[tonic::async_trait]
impl WatchService for ApiService {
    type WatchStream = ResponseStream<wire::WatchResponse>;

    async fn watch(
        &self,
        request: Request<wire::WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let scope = AllowedScope::of(&request);
        let request = request.into_inner();
        scope.authorize(watch_types(&request))?;
        let plan = self
            .blocking(move |inner| inner.prepare_watch(request))
            .await?;
        let (tx, rx) = mpsc::channel(WATCH_BUFFER);
        tokio::spawn(watch::run(Arc::clone(&self.inner), plan, tx));
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

/// The deprecated names of stable RPCs answer exactly as the stable ones; the relationship
/// counters are not implemented.
#[tonic::async_trait]
impl ExperimentalService for ApiService {
    type BulkExportRelationshipsStream = ResponseStream<wire::BulkExportRelationshipsResponse>;

    async fn bulk_import_relationships(
        &self,
        request: Request<Streaming<wire::BulkImportRelationshipsRequest>>,
    ) -> Result<Response<wire::BulkImportRelationshipsResponse>, Status> {
        let response = self
            .import(request, |message| message.relationships)
            .await?;
        Ok(response.map(|num_loaded| wire::BulkImportRelationshipsResponse { num_loaded }))
    }

    async fn bulk_export_relationships(
        &self,
        request: Request<wire::BulkExportRelationshipsRequest>,
    ) -> Result<Response<Self::BulkExportRelationshipsStream>, Status> {
        let scope = AllowedScope::of(&request);
        let stream = self.export(transcode(request.get_ref())?, &scope).await?;
        Ok(Response::new(transcode_stream(stream)))
    }

    async fn bulk_check_permission(
        &self,
        request: Request<wire::BulkCheckPermissionRequest>,
    ) -> Result<Response<wire::BulkCheckPermissionResponse>, Status> {
        let started = Instant::now();
        let caller = self.caller(
            &request,
            "authzed.api.v1.ExperimentalService/BulkCheckPermission",
        );
        let scope = AllowedScope::of(&request);
        let request: wire::CheckBulkPermissionsRequest = transcode(request.get_ref())?;
        scope.authorize(
            request
                .items
                .iter()
                .map(|item| object_type(item.resource.as_ref())),
        )?;
        let response = self
            .blocking(move |inner| inner.check_bulk_permissions(request))
            .await?;
        self.audit_bulk(&caller, &response, started);
        transcode(&response).map(Response::new)
    }

    async fn experimental_reflect_schema(
        &self,
        request: Request<wire::ExperimentalReflectSchemaRequest>,
    ) -> Result<Response<wire::ExperimentalReflectSchemaResponse>, Status> {
        let request: wire::ReflectSchemaRequest = transcode(request.get_ref())?;
        let response = self
            .blocking(move |inner| inner.reflect_schema(request))
            .await?;
        transcode(&response).map(Response::new)
    }

    async fn experimental_computable_permissions(
        &self,
        request: Request<wire::ExperimentalComputablePermissionsRequest>,
    ) -> Result<Response<wire::ExperimentalComputablePermissionsResponse>, Status> {
        let request: wire::ComputablePermissionsRequest = transcode(request.get_ref())?;
        let response = self
            .blocking(move |inner| inner.computable_permissions(request))
            .await?;
        transcode(&response).map(Response::new)
    }

    async fn experimental_dependent_relations(
        &self,
        request: Request<wire::ExperimentalDependentRelationsRequest>,
    ) -> Result<Response<wire::ExperimentalDependentRelationsResponse>, Status> {
        let request: wire::DependentRelationsRequest = transcode(request.get_ref())?;
        let response = self
            .blocking(move |inner| inner.dependent_relations(request))
            .await?;
        transcode(&response).map(Response::new)
    }

    async fn experimental_diff_schema(
        &self,
        request: Request<wire::ExperimentalDiffSchemaRequest>,
    ) -> Result<Response<wire::ExperimentalDiffSchemaResponse>, Status> {
        let request: wire::DiffSchemaRequest = transcode(request.get_ref())?;
        let response = self
            .blocking(move |inner| inner.diff_schema(request))
            .await?;
        transcode(&response).map(Response::new)
    }

    async fn experimental_register_relationship_counter(
        &self,
        _request: Request<wire::ExperimentalRegisterRelationshipCounterRequest>,
    ) -> Result<Response<wire::ExperimentalRegisterRelationshipCounterResponse>, Status> {
        Err(ApiError::Unimplemented("ExperimentalRegisterRelationshipCounter").into())
    }

    async fn experimental_count_relationships(
        &self,
        _request: Request<wire::ExperimentalCountRelationshipsRequest>,
    ) -> Result<Response<wire::ExperimentalCountRelationshipsResponse>, Status> {
        Err(ApiError::Unimplemented("ExperimentalCountRelationships").into())
    }

    async fn experimental_unregister_relationship_counter(
        &self,
        _request: Request<wire::ExperimentalUnregisterRelationshipCounterRequest>,
    ) -> Result<Response<wire::ExperimentalUnregisterRelationshipCounterResponse>, Status> {
        Err(ApiError::Unimplemented("ExperimentalUnregisterRelationshipCounter").into())
    }
}
