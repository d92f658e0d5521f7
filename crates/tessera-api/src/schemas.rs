//! Compiled schemas and their evaluators, one per stored schema revision.
//!
//! The store keeps the schema as text; a snapshot names the revision that wrote the schema
//! it sees. Compiling is done once per schema revision and shared by every request that
//! reads under it.

use std::sync::Arc;

use parking_lot::Mutex;
use tessera_eval::{CacheCounters, CheckCache, EvalConfig, Evaluator};
use tessera_schema::ir::Schema;
use tessera_store::{Datastore, Snapshot, StoredSchema};
use tessera_types::Revision;

use crate::error::ApiError;

/// How many schema revisions stay compiled: the current one and a few before it, for reads
/// at older revisions.
const KEPT_SCHEMAS: usize = 4;

/// A schema as requests use it.
#[derive(Debug)]
pub(crate) struct LoadedSchema {
    /// The revision that wrote it; `None` when no schema was ever written.
    pub(crate) revision: Option<Revision>,
    /// The text as written.
    pub(crate) text: String,
    /// Its evaluator (which holds the compiled schema).
    pub(crate) evaluator: Evaluator,
}

impl LoadedSchema {
    /// The compiled schema.
    pub(crate) fn schema(&self) -> &Schema {
        self.evaluator.schema()
    }
}

/// The compiled schemas, most recent last.
#[derive(Debug)]
pub(crate) struct Schemas {
    store: Arc<dyn Datastore>,
    config: EvalConfig,
    check_cache_capacity: usize,
    /// Hits and misses of every schema's check cache, kept across schema changes.
    cache_counters: Arc<CacheCounters>,
    /// Stands in when no schema was written: every name is unknown, as in SpiceDB.
    empty: Arc<LoadedSchema>,
    loaded: Mutex<Vec<Arc<LoadedSchema>>>,
}

impl Schemas {
    /// Schemas of `store`, evaluated with `config`, each with a check cache of
    /// `check_cache_capacity` answers (0 disables caching).
    pub(crate) fn new(
        store: Arc<dyn Datastore>,
        config: EvalConfig,
        check_cache_capacity: usize,
    ) -> Result<Self, ApiError> {
        let empty = Arc::new(LoadedSchema {
            revision: None,
            text: String::new(),
            evaluator: evaluator(Schema::default(), config)?,
        });
        Ok(Self {
            store,
            config,
            check_cache_capacity,
            cache_counters: Arc::default(),
            empty,
            loaded: Mutex::new(Vec::new()),
        })
    }

    /// The schema `snapshot` sees.
    ///
    /// # Errors
    /// Store failures; [`ApiError::Internal`] if the stored text no longer compiles.
    pub(crate) fn at(&self, snapshot: &dyn Snapshot) -> Result<Arc<LoadedSchema>, ApiError> {
        match snapshot.schema()? {
            None => Ok(Arc::clone(&self.empty)),
            Some(stored) => self.load(stored),
        }
    }

    fn load(&self, stored: StoredSchema) -> Result<Arc<LoadedSchema>, ApiError> {
        if let Some(known) = self.find(stored.revision) {
            return Ok(known);
        }
        // Compiled outside the lock: other requests keep being served meanwhile; two
        // requests may compile the same text once each, which is harmless.
        let schema = tessera_schema::compile(&stored.text).map_err(|diagnostics| {
            ApiError::Internal(format!(
                "the schema stored at revision {} no longer compiles: {diagnostics}",
                stored.revision
            ))
        })?;
        let mut evaluator = evaluator(schema, self.config)?;
        if self.check_cache_capacity > 0 {
            let cache = CheckCache::new(
                evaluator.schema(),
                Arc::clone(&self.store),
                self.check_cache_capacity,
            )
            .with_counters(Arc::clone(&self.cache_counters));
            evaluator = evaluator.with_cache(Arc::new(cache));
        }
        let loaded = Arc::new(LoadedSchema {
            revision: Some(stored.revision),
            text: stored.text,
            evaluator,
        });
        let mut kept = self.loaded.lock();
        if let Some(known) = kept.iter().find(|s| s.revision == loaded.revision) {
            return Ok(Arc::clone(known));
        }
        kept.push(Arc::clone(&loaded));
        kept.sort_by_key(|s| s.revision);
        if kept.len() > KEPT_SCHEMAS {
            kept.remove(0);
        }
        Ok(loaded)
    }

    /// Hits and misses of the check caches, over every schema so far.
    pub(crate) fn cache_counters(&self) -> &CacheCounters {
        &self.cache_counters
    }

    fn find(&self, revision: Revision) -> Option<Arc<LoadedSchema>> {
        self.loaded
            .lock()
            .iter()
            .find(|s| s.revision == Some(revision))
            .cloned()
    }
}

/// An evaluator deciding caveats with their CEL expressions.
fn evaluator(schema: Schema, config: EvalConfig) -> Result<Evaluator, ApiError> {
    Evaluator::for_schema(Arc::new(schema), config).map_err(|err| {
        ApiError::Internal(format!("the schema's caveats cannot be evaluated: {err}"))
    })
}
