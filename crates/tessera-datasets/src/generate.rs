//! Generation, common to every shape: relationships, then check questions, then their answers
//! from the reference evaluator, then the metadata.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, Write};
use std::path::Path;
use std::str::FromStr;
use std::time::Instant;

use tessera_store::Datastore;
use tessera_types::{Relationship, Revision};

use crate::error::DatasetError;
use crate::format::{self, CategoryCount, Check, Meta};
use crate::model::{Model, Subject, Tuple, Ty};
use crate::reference::Reference;
use crate::rng::Rng;
use crate::{drive, github};

/// Bumped whenever a change to the generators changes their output for some seed: datasets
/// (and benchmark numbers) are only comparable within one version.
pub const GENERATOR_VERSION: u32 = 1;

/// The kind of tenant a dataset models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// `dataset.py`'s Google-Drive-like organisations, nested groups, nested folders and
    /// documents, with its very schema (see [`Shape::Drive`]'s check categories in the crate
    /// documentation).
    Drive,
    /// GitHub-like organisations with a base repository permission, wide nested teams, and
    /// repositories with the roles admin, maintain, write, triage and read.
    Github,
}

impl Shape {
    /// The shape's name, as `meta.json` and the command line spell it.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Drive => "drive",
            Shape::Github => "github",
        }
    }

    /// The schema text of the shape.
    pub fn schema_text(self) -> String {
        self.model().schema_text()
    }

    pub(crate) fn model(self) -> &'static Model {
        match self {
            Shape::Drive => &drive::MODEL,
            Shape::Github => &github::MODEL,
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shape {
    type Err = DatasetError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "drive" => Ok(Shape::Drive),
            "github" => Ok(Shape::Github),
            other => Err(DatasetError::UnknownShape(other.to_owned())),
        }
    }
}

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenerateOptions {
    /// The shape.
    pub shape: Shape,
    /// How many relationships, exactly.
    pub relationships: usize,
    /// The seed; the same options always give the same dataset.
    pub seed: u64,
    /// How many checks (with expected answers) to generate.
    pub checks: usize,
}

impl GenerateOptions {
    /// `relationships` of `shape` from seed 1 with 10 000 checks, `dataset.py`'s defaults.
    pub fn new(shape: Shape, relationships: usize) -> Self {
        Self {
            shape,
            relationships,
            seed: 1,
            checks: 10_000,
        }
    }
}

/// A check question as a shape generator draws it; the reference answers it later.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Query {
    pub(crate) resource_type: Ty,
    pub(crate) resource_id: u32,
    pub(crate) permission: &'static str,
    pub(crate) subject: Subject,
    pub(crate) category: &'static str,
}

/// Draws `count` questions from a weighted mix of categories: `ask` turns a category into a
/// question, or `None` when its draw found nothing to ask (then another category is drawn,
/// up to 20 attempts per question, as in `dataset.py`).
pub(crate) fn draw_queries(
    count: usize,
    categories: &[(&'static str, f64)],
    rng: &mut Rng,
    mut ask: impl FnMut(&'static str, &mut Rng) -> Option<Query>,
) -> Vec<Query> {
    let weights = crate::rng::cumulative(categories.iter().map(|&(_, w)| w));
    let mut queries = Vec::with_capacity(count);
    let mut attempts = 0;
    while queries.len() < count && attempts < count * 20 {
        attempts += 1;
        let category = categories[rng.weighted(&weights)].0;
        if let Some(query) = ask(category, rng) {
            queries.push(Query { category, ..query });
        }
    }
    queries
}

/// What a shape generator produces.
pub(crate) trait World {
    /// Every relationship, each once.
    fn tuples(&self) -> &[Tuple];

    /// Relationships handed over when the world is done with.
    fn into_tuples(self) -> Vec<Tuple>;

    /// `count` check questions (fewer if the data offers too few of some kind).
    fn queries(&self, count: usize, rng: &mut Rng) -> Vec<Query>;

    /// Objects per kind, for `meta.json`.
    fn entities(&self) -> Vec<(&'static str, u64)>;

    /// Shape-specific facts for `meta.json`, e.g. the deepest nesting.
    fn facts(&self) -> Vec<(&'static str, u64)>;
}

/// A generated dataset, in memory in compact form.
#[derive(Debug)]
pub struct Generated {
    shape: Shape,
    tuples: Vec<Tuple>,
    checks: Vec<Check>,
    meta: Meta,
}

/// Generates a dataset.
///
/// # Errors
/// Only on a generator bug ([`DatasetError::Model`], [`DatasetError::Generated`]).
pub fn generate(options: &GenerateOptions) -> Result<Generated, DatasetError> {
    let mut rng = Rng::new(options.seed);
    let started = Instant::now();
    match options.shape {
        Shape::Drive => {
            let world = drive::Drive::generate(options.relationships, &mut rng)?;
            assemble(options, world, started, &mut rng)
        }
        Shape::Github => {
            let world = github::Github::generate(options.relationships, &mut rng)?;
            assemble(options, world, started, &mut rng)
        }
    }
}

/// Generates a dataset into the directory `dir`, in `dataset.py`'s format; returns its
/// metadata. This is what `tessera bench generate` runs.
///
/// # Errors
/// [`DatasetError::Io`] when the directory cannot be written.
pub fn generate_into(options: &GenerateOptions, dir: &Path) -> Result<Meta, DatasetError> {
    let generated = generate(options)?;
    generated.write(dir)?;
    Ok(generated.meta)
}

/// Draws and answers the checks of `world`, generated since `started`.
fn assemble(
    options: &GenerateOptions,
    world: impl World,
    started: Instant,
    rng: &mut Rng,
) -> Result<Generated, DatasetError> {
    let generate_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let model = options.shape.model();
    let queries = world.queries(options.checks, rng);
    let reference = Reference::new(model, world.tuples());
    let mut checks = Vec::with_capacity(queries.len());
    for query in &queries {
        let expected = reference.check(
            query.resource_type,
            query.resource_id,
            query.permission,
            query.subject,
        )?;
        checks.push(Check {
            resource: tessera_types::ObjectRef::new(
                model.definition(query.resource_type).name,
                model.object_id(query.resource_type, query.resource_id),
            )?,
            permission: query.permission.to_owned(),
            subject: model.subject_ref(&query.subject)?,
            expected,
            category: query.category.to_owned(),
        });
    }
    drop(reference);
    let evaluate_seconds = started.elapsed().as_secs_f64();

    let mut by_category: BTreeMap<String, CategoryCount> = BTreeMap::new();
    for check in &checks {
        let count = by_category.entry(check.category.clone()).or_default();
        count.n += 1;
        count.expected_true += u64::from(check.expected);
    }
    let mut kinds: HashMap<(Ty, u8, Ty, u8), u64> = HashMap::new();
    for tuple in world.tuples() {
        let key = (
            tuple.resource_type,
            tuple.relation,
            tuple.subject.ty,
            tuple.subject.relation,
        );
        *kinds.entry(key).or_default() += 1;
    }
    let relationship_kinds = kinds
        .into_iter()
        .map(
            |((resource_type, relation, subject_type, subject_relation), n)| {
                let example = Tuple {
                    resource_type,
                    resource_id: 0,
                    relation,
                    subject: Subject {
                        ty: subject_type,
                        id: 0,
                        relation: subject_relation,
                    },
                };
                (model.kind(&example), n)
            },
        )
        .collect();
    let meta = Meta {
        generator_version: GENERATOR_VERSION,
        generator: Some("tessera-datasets".to_owned()),
        shape: Some(options.shape.name().to_owned()),
        seed: options.seed,
        relationships: world.tuples().len() as u64,
        entities: world
            .entities()
            .into_iter()
            .map(|(k, n)| (k.to_owned(), n))
            .collect(),
        facts: world
            .facts()
            .into_iter()
            .map(|(k, n)| (k.to_owned(), n.into()))
            .collect(),
        relationship_kinds,
        checks: checks.len() as u64,
        checks_expected_true: checks.iter().filter(|c| c.expected).count() as u64,
        checks_by_category: by_category,
        seconds: BTreeMap::from([
            ("generate".to_owned(), round2(generate_seconds)),
            ("evaluate_checks".to_owned(), round2(evaluate_seconds)),
        ]),
    };
    Ok(Generated {
        shape: options.shape,
        tuples: world.into_tuples(),
        checks,
        meta,
    })
}

/// Seconds rounded to hundredths, as `dataset.py` reports them.
fn round2(seconds: f64) -> f64 {
    (seconds * 100.0).round() / 100.0
}

impl Generated {
    /// The shape it was generated as.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The schema text.
    pub fn schema_text(&self) -> String {
        self.shape.schema_text()
    }

    /// The checks with their expected answers.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// The metadata (`meta.json`).
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// How many relationships.
    pub fn len(&self) -> usize {
        self.tuples.len()
    }

    /// Whether there are no relationships.
    pub fn is_empty(&self) -> bool {
        self.tuples.is_empty()
    }

    /// The relationships in generation order, built one at a time.
    pub fn relationships(&self) -> impl Iterator<Item = Result<Relationship, DatasetError>> + '_ {
        let model = self.shape.model();
        self.tuples
            .iter()
            .map(|tuple| Ok(model.relationship(tuple)?))
    }

    /// Writes the dataset into `dir` in `dataset.py`'s format.
    ///
    /// # Errors
    /// [`DatasetError::Io`] when the directory cannot be written.
    pub fn write(&self, dir: &Path) -> Result<(), DatasetError> {
        let model = self.shape.model();
        format::write_dir(
            dir,
            &self.schema_text(),
            |out| write_tuples(model, &self.tuples, out),
            &self.checks,
            &self.meta,
        )
    }

    /// Writes the schema into `store` and bulk-imports the relationships.
    ///
    /// # Errors
    /// See [`format::load_into`].
    pub fn load_into(&self, store: &dyn Datastore) -> Result<Revision, DatasetError> {
        format::load_into(store, &self.schema_text(), self.relationships())
    }
}

fn write_tuples(model: &Model, tuples: &[Tuple], out: &mut dyn Write) -> io::Result<()> {
    let mut line = String::with_capacity(64);
    for tuple in tuples {
        line.clear();
        model.write_tuple(tuple, &mut line);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}
