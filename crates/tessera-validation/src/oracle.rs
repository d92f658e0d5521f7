use tessera_eval::{
    CheckRequest, CheckResult, ExpandTree, FoundResource, FoundSubject, LookupResourcesRequest,
    LookupSubjectsRequest,
};
use tessera_types::ObjectRef;

/// Something that answers permission questions: the evaluator in-process, or a server over
/// gRPC. Validation files and the conformance corpus are run against any oracle, so both
/// paths are held to the same answers.
pub trait Oracle {
    /// Answers a check, with its explanation when `explain` is set and the oracle can.
    ///
    /// # Errors
    /// The oracle's failure, as text.
    fn check(&self, request: &CheckRequest, explain: bool) -> Result<CheckResult, String>;

    /// Every resource of a type on which the subject has the permission.
    ///
    /// # Errors
    /// The oracle's failure, as text.
    fn lookup_resources(
        &self,
        request: &LookupResourcesRequest,
    ) -> Result<Vec<FoundResource>, String>;

    /// Every subject of a type with the permission on the resource.
    ///
    /// # Errors
    /// The oracle's failure, as text.
    fn lookup_subjects(&self, request: &LookupSubjectsRequest)
    -> Result<Vec<FoundSubject>, String>;

    /// The fully recursive expansion of `resource#relation`.
    ///
    /// # Errors
    /// The oracle's failure, as text.
    fn expand(&self, resource: &ObjectRef, relation: &str) -> Result<ExpandTree, String>;
}
