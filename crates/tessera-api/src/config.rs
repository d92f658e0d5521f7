use std::time::Duration;

use tessera_eval::DEFAULT_MAX_DEPTH;

/// The API's limits and tunables; the defaults are SpiceDB's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiConfig {
    /// Most updates in one WriteRelationships (`--write-relationships-max-updates-per-call`).
    pub max_updates_per_write: usize,
    /// Most preconditions in one write or delete
    /// (`--update-relationships-max-preconditions-per-call`).
    pub max_preconditions_per_write: usize,
    /// Highest `optional_limit` of ReadRelationships (`--max-read-relationships-limit`).
    pub max_read_limit: u32,
    /// Highest `optional_limit` of DeleteRelationships (`--max-delete-relationships-limit`).
    pub max_delete_limit: u32,
    /// Highest `optional_limit` of LookupResources and `optional_concrete_limit` of
    /// LookupSubjects (`--max-lookup-resources-limit`).
    pub max_lookup_limit: u32,
    /// Highest page size of ExportBulkRelationships (`--max-bulk-export-relationships-limit`).
    pub max_export_limit: u32,
    /// Page size of ExportBulkRelationships when none is asked for, and of reads from the
    /// store (`--max-datastore-read-page-size`).
    pub read_page_size: u32,
    /// Most items in one CheckBulkPermissions.
    pub max_bulk_checks: usize,
    /// Largest caveat context of a request, in encoded bytes (`--max-caveat-context-size`).
    pub max_caveat_context_bytes: usize,
    /// Largest caveat (name and context) stored with a relationship, in encoded bytes
    /// (`--max-relationship-context-size`).
    pub max_relationship_context_bytes: usize,
    /// Largest transaction metadata, in encoded bytes.
    pub max_transaction_metadata_bytes: usize,
    /// Largest schema text, in bytes.
    pub max_schema_bytes: usize,
    /// How deep one evaluation may go (`--dispatch-max-depth`).
    pub max_depth: u32,
    /// How old a revision `minimize_latency` may reuse (SpiceDB quantizes to 5 s; a shorter
    /// bound keeps answers fresh while still sharing revisions between bursts of requests).
    pub max_revision_staleness: Duration,
    /// Check answers cached per schema (0 disables the cache).
    pub check_cache_capacity: usize,
    /// How long a stream waits for a client that does not read before giving up
    /// (`--streaming-api-response-delay-timeout`).
    pub stream_send_timeout: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            max_updates_per_write: 1000,
            max_preconditions_per_write: 1000,
            max_read_limit: 1000,
            max_delete_limit: 1000,
            max_lookup_limit: 1000,
            max_export_limit: 10_000,
            read_page_size: 1000,
            max_bulk_checks: 10_000,
            max_caveat_context_bytes: 4096,
            max_relationship_context_bytes: 25_000,
            max_transaction_metadata_bytes: 65_000,
            max_schema_bytes: 4 * 1024 * 1024,
            max_depth: DEFAULT_MAX_DEPTH,
            max_revision_staleness: Duration::from_millis(100),
            check_cache_capacity: 100_000,
            stream_send_timeout: Duration::from_secs(30),
        }
    }
}
