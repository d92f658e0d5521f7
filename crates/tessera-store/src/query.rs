use tessera_types::Relationship;

/// Which subjects a forward read returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubjectSelector<'a> {
    /// Only subjects of this type.
    pub subject_type: &'a str,
    /// Only subjects with this relation; `None` selects the ellipsis (the objects themselves,
    /// wildcards included).
    pub subject_relation: Option<&'a str>,
}

/// A batched forward read: the relationships of `resource_type:{ids}#relation`.
#[derive(Clone, Copy, Debug)]
pub struct ResourceQuery<'a> {
    /// The resources' type.
    pub resource_type: &'a str,
    /// The resources' ids; many ids are read in one call.
    pub resource_ids: &'a [&'a str],
    /// The relation on them.
    pub relation: &'a str,
    /// Only subjects of one type and relation; `None` returns every subject.
    pub subject: Option<SubjectSelector<'a>>,
}

/// A batched reverse read: the relationships `resource_type:?#relation@subject_type:{ids}#subject_relation`.
#[derive(Clone, Copy, Debug)]
pub struct SubjectQuery<'a> {
    /// The subjects' type.
    pub subject_type: &'a str,
    /// The subjects' ids (`*` reads relationships with the wildcard subject).
    pub subject_ids: &'a [&'a str],
    /// The subjects' relation; `None` is the ellipsis.
    pub subject_relation: Option<&'a str>,
    /// The resources' type.
    pub resource_type: &'a str,
    /// The relation on the resources.
    pub relation: &'a str,
}

/// Where a read sends what it finds; returning [`std::ops::ControlFlow::Break`] stops the read early.
pub type Sink<'s> = dyn FnMut(Relationship) -> std::ops::ControlFlow<()> + 's;
