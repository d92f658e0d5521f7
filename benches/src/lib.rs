//! Datasets for Tessera's criterion benchmarks (the benchmarks themselves are in `benches/`,
//! one file per concern; results go to `BENCHMARKS.md`).
//!
//! [`drive`] generates a deterministic, Google-Drive-like relationship set of any size, so
//! every benchmark (and every run) measures the same data.
//!
//! ```
//! let shape = tessera_benches::DriveShape::with_documents(1_000);
//! assert_eq!(tessera_benches::drive(shape).count(), shape.relationships());
//! ```
//!
//! The evaluator benchmarks use `tessera-datasets`' shapes instead, with their check mixes
//! and expected answers: a [`Fixture`] is such a dataset loaded into RocksDB, built once per
//! shape, size and seed and reopened by later runs (see [`data_dir`]).

mod fixture;

pub use fixture::{
    CACHE_CAPACITY, DATA_DIR_VAR, Fixture, FixtureError, LabelledCheck, SEED, TEN_MILLION_VAR,
    data_dir, size_label, sizes,
};
use tessera_types::{ObjectRef, Relationship, SubjectRef};

/// The sizes of a [`drive`] dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DriveShape {
    /// Documents; each has a parent folder, an owner and two viewers.
    pub documents: usize,
    /// Folders; each has a parent folder (but the first) and a viewer group.
    pub folders: usize,
    /// Groups of [`DriveShape::members_per_group`] distinct users.
    pub groups: usize,
    /// Users.
    pub users: usize,
    /// Members of each group.
    pub members_per_group: usize,
}

impl DriveShape {
    /// The proportions of a typical drive around `documents` documents: 200 000 documents
    /// make one million relationships.
    pub fn with_documents(documents: usize) -> Self {
        let documents = documents.max(200);
        Self {
            documents,
            folders: documents / 4,
            groups: documents / 200,
            users: documents / 20,
            members_per_group: 100.min(documents / 20),
        }
    }

    /// How many relationships [`drive`] generates for this shape.
    pub fn relationships(&self) -> usize {
        // The root folder has no parent.
        self.documents * 4 + self.folders * 2 - 1 + self.groups * self.members_per_group
    }
}

/// A small, fast, deterministic pseudo-random sequence (SplitMix64).
#[derive(Clone, Debug)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A sequence starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next number below `bound` (which must be positive).
    pub fn below(&mut self, bound: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        usize::try_from(z % bound.max(1) as u64).unwrap_or(0)
    }
}

fn object(object_type: &str, prefix: char, n: usize) -> ObjectRef {
    ObjectRef::new(object_type, format!("{prefix}{n}"))
        .unwrap_or_else(|err| unreachable!("generated ids are valid: {err}"))
}

fn subject(object_type: &str, prefix: char, n: usize, relation: Option<&str>) -> SubjectRef {
    SubjectRef::new(
        object_type,
        format!("{prefix}{n}"),
        relation.map(str::to_owned),
    )
    .unwrap_or_else(|err| unreachable!("generated subjects are valid: {err}"))
}

fn relationship(resource: ObjectRef, relation: &str, subject: SubjectRef) -> Relationship {
    Relationship::new(resource, relation, subject)
        .unwrap_or_else(|err| unreachable!("generated relations are valid: {err}"))
}

/// The document `document:d{n}`.
pub fn document(n: usize) -> ObjectRef {
    object("document", 'd', n)
}

/// The user `user:u{n}`.
pub fn user(n: usize) -> SubjectRef {
    subject("user", 'u', n, None)
}

/// The relationships of a drive of `shape`, generated lazily and deterministically, each
/// exactly once: `document:d#parent@folder:f`, `document:d#owner@user:u`,
/// `document:d#viewer@user:u` (two per document), `folder:f#parent@folder:f'`,
/// `folder:f#viewer@group:g#member` and `group:g#member@user:u`.
pub fn drive(shape: DriveShape) -> impl Iterator<Item = Relationship> {
    let DriveShape {
        documents,
        folders,
        groups,
        users,
        members_per_group,
    } = shape;
    let mut random = SplitMix::new(42);
    let documents = (0..documents).flat_map(move |d| {
        let owner = random.below(users);
        // Two distinct viewers, neither the owner.
        let first = (owner + 1 + random.below(users / 2)) % users;
        let second = (first + 1 + random.below(users / 2 - 1)) % users;
        [
            relationship(
                document(d),
                "parent",
                subject("folder", 'f', d % folders, None),
            ),
            relationship(document(d), "owner", user(owner)),
            relationship(document(d), "viewer", user(first)),
            relationship(document(d), "viewer", user(second)),
        ]
    });
    let folders = (0..folders).flat_map(move |f| {
        let parent = (f > 0).then(|| {
            relationship(
                object("folder", 'f', f),
                "parent",
                subject("folder", 'f', (f - 1) / 8, None),
            )
        });
        let viewers = relationship(
            object("folder", 'f', f),
            "viewer",
            subject("group", 'g', f % groups, Some("member")),
        );
        parent.into_iter().chain([viewers])
    });
    let members = (0..groups).flat_map(move |g| {
        (0..members_per_group).map(move |m| {
            relationship(object("group", 'g', g), "member", user((g * 7 + m) % users))
        })
    });
    documents.chain(folders).chain(members)
}
