use std::sync::Arc;

use tessera_eval::{
    CheckRequest, CheckResult, EvalConfig, Evaluator, ExpandDepth, ExpandTree, FoundResource,
    FoundSubject, LookupResourcesRequest, LookupSubjectsRequest,
};
use tessera_schema::UpdateOperation;
use tessera_store::{Datastore, MemStore, Snapshot};
use tessera_types::ObjectRef;

use crate::error::ValidationError;
use crate::file::ValidationFile;
use crate::oracle::Oracle;

/// A validation file loaded into an in-memory store and answered by the evaluator directly.
#[derive(Debug)]
pub struct InProcessOracle {
    evaluator: Evaluator,
    snapshot: Arc<dyn Snapshot>,
}

impl InProcessOracle {
    /// Compiles the file's schema, checks and loads its relationships.
    ///
    /// # Errors
    /// [`ValidationError::Schema`] with rendered diagnostics, [`ValidationError::Relationship`]
    /// for a relationship the schema does not allow, [`ValidationError::Load`].
    pub fn load(file: &ValidationFile, file_name: &str) -> Result<Self, ValidationError> {
        let schema = tessera_schema::compile_named(file_name, &file.schema)
            .map_err(|diagnostics| ValidationError::Schema(diagnostics.to_string()))?;
        for (relationship, line) in &file.relationships {
            tessera_schema::validate_relationship(&schema, relationship, UpdateOperation::Touch)
                .map_err(|err| ValidationError::Relationship {
                    line: *line,
                    message: err.to_string(),
                })?;
        }
        let store = MemStore::new();
        let mut relationships = file.relationships.iter().map(|(r, _)| r.clone());
        let (revision, _) = store
            .bulk_import(&mut relationships)
            .map_err(|err| ValidationError::Load(err.to_string()))?;
        let snapshot = store
            .snapshot(revision)
            .map_err(|err| ValidationError::Load(err.to_string()))?;
        let evaluator = Evaluator::for_schema(Arc::new(schema), EvalConfig::default())
            .map_err(|err| ValidationError::Schema(err.to_string()))?;
        Ok(Self {
            evaluator,
            snapshot,
        })
    }
}

impl Oracle for InProcessOracle {
    fn check(&self, request: &CheckRequest, explain: bool) -> Result<CheckResult, String> {
        self.evaluator
            .check(self.snapshot.as_ref(), request, explain)
            .map_err(|err| err.to_string())
    }

    fn lookup_resources(
        &self,
        request: &LookupResourcesRequest,
    ) -> Result<Vec<FoundResource>, String> {
        self.evaluator
            .lookup_resources(self.snapshot.as_ref(), request)
            .map_err(|err| err.to_string())
    }

    fn lookup_subjects(
        &self,
        request: &LookupSubjectsRequest,
    ) -> Result<Vec<FoundSubject>, String> {
        self.evaluator
            .lookup_subjects(self.snapshot.as_ref(), request)
            .map_err(|err| err.to_string())
    }

    fn expand(&self, resource: &ObjectRef, relation: &str) -> Result<ExpandTree, String> {
        self.evaluator
            .expand(
                self.snapshot.as_ref(),
                resource,
                relation,
                ExpandDepth::Recursive,
            )
            .map_err(|err| err.to_string())
    }
}
