//! `--load`: the dataset's schema (WriteSchema) and relationships (ImportBulkRelationships in
//! calls of `--load-call-size`, or WriteRelationships batches where the server has no bulk
//! import, like the embedded SpiceDB gateway).

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use tessera_datasets::Dataset;
use tessera_proto::authzed::api::v1 as wire;
use tessera_proto::authzed::api::v1::permissions_service_client::PermissionsServiceClient;
use tessera_proto::authzed::api::v1::schema_service_client::SchemaServiceClient;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::wire::relationship;
use crate::AuthedChannel;

/// Relationships per ImportBulkRelationships message.
const IMPORT_MESSAGE: usize = 1_000;
/// Relationships per WriteRelationships call: SpiceDB's default limit.
const WRITE_BATCH: usize = 1_000;
/// WriteRelationships calls in flight when loading without bulk import.
const WRITES_IN_FLIGHT: usize = 4;
/// Large enough for any response a benchmark reads.
pub(crate) const MAX_MESSAGE: usize = 256 << 20;

/// How the dataset was loaded.
#[derive(Clone, Debug)]
pub(crate) struct LoadReport {
    pub(crate) relationships: u64,
    pub(crate) method: &'static str,
    pub(crate) elapsed: Duration,
}

impl LoadReport {
    /// Relationships per second.
    pub(crate) fn rate(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.relationships as f64 / seconds
        } else {
            0.0
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({
            "relationships": self.relationships,
            "method": self.method,
            "seconds": (self.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
            "relationships_per_second": self.rate().round(),
        })
    }
}

/// Writes the schema, then every relationship of `dataset` through `channel`.
///
/// # Errors
/// An unreadable dataset or a call the server refuses (e.g. a duplicate relationship:
/// load into an empty server).
pub(crate) async fn load(
    channel: AuthedChannel,
    dataset: &Dataset,
    call_size: usize,
) -> anyhow::Result<LoadReport> {
    let started = Instant::now();
    SchemaServiceClient::new(channel.clone())
        .max_encoding_message_size(MAX_MESSAGE)
        .write_schema(wire::WriteSchemaRequest {
            schema: dataset.schema_text().to_owned(),
        })
        .await
        .context("WriteSchema failed")?;
    let client = PermissionsServiceClient::new(channel)
        .max_encoding_message_size(MAX_MESSAGE)
        .max_decoding_message_size(MAX_MESSAGE);
    let (relationships, method) = match import(client.clone(), dataset, call_size.max(1)).await {
        Ok(loaded) => (loaded, "import_bulk_relationships"),
        Err(Refused::Unimplemented) => {
            tracing::info!(
                "ImportBulkRelationships is unimplemented; loading with WriteRelationships"
            );
            (write(client, dataset).await?, "write_relationships")
        }
        Err(Refused::Failed(err)) => return Err(err),
    };
    Ok(LoadReport {
        relationships,
        method,
        elapsed: started.elapsed(),
    })
}

enum Refused {
    /// The server has no bulk import (and nothing was loaded).
    Unimplemented,
    Failed(anyhow::Error),
}

/// Streams the relationships in batches of `size` from a blocking reader thread.
fn batches(
    dataset: &Dataset,
    size: usize,
) -> anyhow::Result<mpsc::Receiver<anyhow::Result<Vec<wire::Relationship>>>> {
    let mut lines = dataset.relationships()?;
    let (sender, receiver) = mpsc::channel(8);
    tokio::task::spawn_blocking(move || {
        loop {
            let mut batch = Vec::with_capacity(size);
            for line in lines.by_ref().take(size) {
                match line
                    .map_err(anyhow::Error::from)
                    .and_then(|r| relationship(&r))
                {
                    Ok(relationship) => batch.push(relationship),
                    Err(err) => {
                        drop(sender.blocking_send(Err(err)));
                        return;
                    }
                }
            }
            if batch.is_empty() || sender.blocking_send(Ok(batch)).is_err() {
                return;
            }
        }
    });
    Ok(receiver)
}

/// Loads with ImportBulkRelationships calls of `call_size` relationships each.
async fn import(
    mut client: PermissionsServiceClient<AuthedChannel>,
    dataset: &Dataset,
    call_size: usize,
) -> Result<u64, Refused> {
    let mut source = batches(dataset, IMPORT_MESSAGE).map_err(Refused::Failed)?;
    let mut loaded = 0;
    let mut first = true;
    loop {
        // One call's messages, read ahead of sending so a bad line fails before the call.
        let mut messages = Vec::new();
        let mut in_call = 0;
        while in_call < call_size {
            let Some(batch) = source.recv().await else {
                break;
            };
            let batch = batch.map_err(Refused::Failed)?;
            in_call += batch.len();
            messages.push(wire::ImportBulkRelationshipsRequest {
                relationships: batch,
            });
        }
        if messages.is_empty() {
            return Ok(loaded);
        }
        let (sender, receiver) = mpsc::channel(4);
        let feed = tokio::spawn(async move {
            for message in messages {
                if sender.send(message).await.is_err() {
                    break;
                }
            }
        });
        let answer = client
            .import_bulk_relationships(ReceiverStream::new(receiver))
            .await;
        feed.abort();
        match answer {
            Ok(response) => loaded += response.into_inner().num_loaded,
            Err(status) if first && status.code() == tonic::Code::Unimplemented => {
                return Err(Refused::Unimplemented);
            }
            Err(status) => {
                return Err(Refused::Failed(anyhow::anyhow!(
                    "ImportBulkRelationships failed after {loaded} relationships: {status}"
                )));
            }
        }
        first = false;
    }
}

/// Loads with WriteRelationships (TOUCH) batches, a few in flight.
async fn write(
    client: PermissionsServiceClient<AuthedChannel>,
    dataset: &Dataset,
) -> anyhow::Result<u64> {
    let mut source = batches(dataset, WRITE_BATCH)?;
    let mut in_flight = tokio::task::JoinSet::new();
    let mut loaded = 0;
    while let Some(batch) = source.recv().await {
        let batch = batch?;
        if in_flight.len() >= WRITES_IN_FLIGHT {
            if let Some(done) = in_flight.join_next().await {
                loaded += done??;
            }
        }
        let mut client = client.clone();
        in_flight.spawn(async move {
            let count = batch.len() as u64;
            let updates = batch
                .into_iter()
                .map(|relationship| wire::RelationshipUpdate {
                    operation: wire::relationship_update::Operation::Touch as i32,
                    relationship: Some(relationship),
                })
                .collect();
            client
                .write_relationships(wire::WriteRelationshipsRequest {
                    updates,
                    optional_preconditions: Vec::new(),
                    optional_transaction_metadata: None,
                })
                .await
                .context("WriteRelationships failed")?;
            anyhow::Ok(count)
        });
    }
    while let Some(done) = in_flight.join_next().await {
        loaded += done??;
    }
    if loaded == 0 {
        bail!("the dataset has no relationships to load");
    }
    Ok(loaded)
}
