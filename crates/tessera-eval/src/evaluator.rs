use std::sync::Arc;

use tessera_schema::ir::{RelationRef, Schema};
use tessera_store::Snapshot;
use tessera_types::CaveatContext;

use crate::cache::CheckCache;
use crate::caveat::CaveatEvaluator;
use crate::cel::CelCaveats;
use crate::error::EvalError;
use crate::graph::LookupGraph;
use crate::walker::WalkEnv;

/// SpiceDB's default limit on how deep one evaluation may go.
pub const DEFAULT_MAX_DEPTH: u32 = 50;

/// Tunables of evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalConfig {
    /// How many relation hops one evaluation may take before failing with
    /// [`EvalError::DepthExceeded`].
    pub max_depth: u32,
}

impl Default for EvalConfig {
    fn default() -> Self {
        Self {
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// Answers permission questions for one compiled schema over any snapshot written under it.
#[derive(Debug, Clone)]
pub struct Evaluator {
    schema: Arc<Schema>,
    caveats: Arc<dyn CaveatEvaluator>,
    config: EvalConfig,
    lookup_graph: Arc<LookupGraph>,
    cache: Option<Arc<CheckCache>>,
}

impl Evaluator {
    /// An evaluator of `schema`, deciding caveats with `caveats`.
    pub fn new(schema: Arc<Schema>, caveats: Arc<dyn CaveatEvaluator>, config: EvalConfig) -> Self {
        let lookup_graph = Arc::new(LookupGraph::build(&schema));
        Self {
            schema,
            caveats,
            config,
            lookup_graph,
            cache: None,
        }
    }

    /// An evaluator of `schema` that decides caveats with their CEL expressions.
    ///
    /// # Errors
    /// [`EvalError::CaveatEvaluation`] when a caveat expression does not compile.
    pub fn for_schema(schema: Arc<Schema>, config: EvalConfig) -> Result<Self, EvalError> {
        let caveats = Arc::new(CelCaveats::compile(&schema)?);
        Ok(Self::new(schema, caveats, config))
    }

    /// The same evaluator, remembering check answers in `cache` across requests and
    /// revisions (the cache must have been built for this evaluator's schema).
    #[must_use]
    pub fn with_cache(mut self, cache: Arc<CheckCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The schema this evaluator answers for.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Resolves `definition#relation` by name.
    ///
    /// # Errors
    /// [`EvalError::UnknownDefinition`] or [`EvalError::UnknownRelation`].
    pub fn resolve_relation(
        &self,
        definition: &str,
        relation: &str,
    ) -> Result<RelationRef, EvalError> {
        let definition_id = self
            .schema
            .definition_id(definition)
            .ok_or_else(|| EvalError::UnknownDefinition(definition.to_owned()))?;
        let relation_id = self
            .schema
            .definition(definition_id)
            .relation_id(relation)
            .ok_or_else(|| EvalError::UnknownRelation {
                definition: definition.to_owned(),
                relation: relation.to_owned(),
            })?;
        Ok(RelationRef {
            definition: definition_id,
            relation: relation_id,
        })
    }

    pub(crate) fn max_depth(&self) -> u32 {
        self.config.max_depth
    }

    pub(crate) fn lookup_graph(&self) -> &LookupGraph {
        &self.lookup_graph
    }

    pub(crate) fn walk_env<'e>(
        &'e self,
        snapshot: &'e dyn Snapshot,
        context: &'e CaveatContext,
    ) -> WalkEnv<'e> {
        // Answers that depend on request context are not shared between requests.
        let cache = self.cache.as_deref().filter(|cache| {
            context.is_empty() && cache.catch_up(&self.schema, snapshot.revision())
        });
        WalkEnv {
            schema: &self.schema,
            snapshot,
            caveats: self.caveats.as_ref(),
            context,
            max_depth: self.config.max_depth,
            cache,
        }
    }
}
