//! Column families, key layouts and their order-preserving encodings: every key this crate
//! writes is built and parsed here.
//!
//! A relationship is stored as a *version* in each of two indexes, and its newest version
//! once more under its forward tuple alone, for point lookups:
//!
//! | column family | key | serves |
//! |---|---|---|
//! | [`CF_FORWARD`] | resource type, resource id, relation, subject type, subject relation, subject id, `!revision` | check, expand, filtered reads, reads at old revisions |
//! | [`CF_REVERSE`] | subject type, subject id, subject relation, resource type, relation, resource id, `!revision` | reverse lookups |
//! | [`CF_LATEST`] | the forward tuple | point lookups by `get` (bloom filter, hashed blocks) instead of a seek |
//! | [`CF_CHANGELOG`] | revision, chunk | Watch, cache invalidation, commit times |
//! | [`CF_SCHEMA`] | revision | the schema in force at a revision |
//! | [`CF_META`] | a name (`META_*`) | format version, datastore id, head, oldest revision, import marker |
//!
//! The six string components before the revision form the relationship's *tuple*. Strings are
//! escaped and terminated (`00` becomes `00 FF`, the end is `00 01`), so byte order is the
//! order of the strings component by component, also when one string is a prefix of another
//! (`ab` ends `00 01` where `abc` continues with `c`), and a tuple is never a prefix of another
//! tuple. The ellipsis subject relation is the empty string, so it sorts first, as the store
//! order requires. Integers are fixed-width big-endian; the revision in a version key is
//! inverted so that the newest version of a tuple comes first and "the newest version at or
//! below R" is the first key at or after `tuple ++ !R`.

use std::borrow::Cow;

use tessera_store::StoreError;
use tessera_types::{ObjectRef, Relationship, Revision, SubjectRef};

/// Column family of metadata records, keyed by the `META_*` names.
pub(crate) const CF_META: &str = "meta";
/// Column family of relationship versions by resource.
pub(crate) const CF_FORWARD: &str = "forward";
/// Column family of relationship versions by subject.
pub(crate) const CF_REVERSE: &str = "reverse";
/// Column family of the newest version of every tuple, keyed by its forward tuple.
///
/// INVARIANT: holds an entry for a tuple exactly when [`CF_FORWARD`] holds a version of it,
/// with the revision and value of the newest one (written and deleted in the same batches).
pub(crate) const CF_LATEST: &str = "latest";
/// Column family of schema texts by the revision that wrote them.
pub(crate) const CF_SCHEMA: &str = "schema";
/// Column family of committed revisions: a header and chunks of changes per revision.
pub(crate) const CF_CHANGELOG: &str = "changelog";
/// Every column family of the current format.
pub(crate) const COLUMN_FAMILIES: [&str; 6] = [
    CF_META,
    CF_FORWARD,
    CF_REVERSE,
    CF_LATEST,
    CF_SCHEMA,
    CF_CHANGELOG,
];

/// The on-disk format marker and version, written once at creation.
pub(crate) const META_FORMAT: &[u8] = b"format";
/// The newest durable revision.
pub(crate) const META_HEAD: &[u8] = b"head";
/// The oldest readable revision; persisted before GC deletes anything older.
pub(crate) const META_OLDEST: &[u8] = b"oldest";
/// Present while a bulk import writes above the head; holds the import's revision.
pub(crate) const META_IMPORT: &[u8] = b"import";
/// The store's random identity (UTF-8), written at creation and never changed.
pub(crate) const META_DATASTORE_ID: &[u8] = b"datastore_id";

/// The chunk of a changelog revision that holds its header; changes follow in chunks 1, 2, …
pub(crate) const CHANGELOG_HEADER_CHUNK: u32 = 0;

/// The subject relation component that stands for the ellipsis (`...`).
pub(crate) const ELLIPSIS_COMPONENT: &str = "";

/// How many leading components form the bloom-filter prefix of both indexes: a resource's
/// relation (forward) or a subject (reverse), the unit of a point lookup or a batched read.
const BLOOM_PREFIX_COMPONENTS: usize = 3;

const ESCAPE: u8 = 0x00;
const ESCAPED_ESCAPE: u8 = 0xFF;
const TERMINATOR: u8 = 0x01;
const REVISION_LEN: usize = 8;

/// One of the two relationship indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Index {
    /// [`CF_FORWARD`], in store order.
    Forward,
    /// [`CF_REVERSE`].
    Reverse,
}

impl Index {
    /// The column family holding this index.
    pub(crate) fn column_family(self) -> &'static str {
        match self {
            Index::Forward => CF_FORWARD,
            Index::Reverse => CF_REVERSE,
        }
    }

    /// The tuple of `resource#relation@subject` in this index.
    pub(crate) fn encode_tuple(
        self,
        resource: &ObjectRef,
        relation: &str,
        subject: &SubjectRef,
    ) -> Vec<u8> {
        let subject_relation = subject.relation().unwrap_or(ELLIPSIS_COMPONENT);
        let components = match self {
            Index::Forward => [
                resource.object_type(),
                resource.object_id(),
                relation,
                subject.object_type(),
                subject_relation,
                subject.object_id(),
            ],
            Index::Reverse => [
                subject.object_type(),
                subject.object_id(),
                subject_relation,
                resource.object_type(),
                relation,
                resource.object_id(),
            ],
        };
        encode_components(&components)
    }

    /// The tuple of `relationship` in this index.
    pub(crate) fn encode_relationship_tuple(self, relationship: &Relationship) -> Vec<u8> {
        self.encode_tuple(
            relationship.resource(),
            relationship.relation(),
            relationship.subject(),
        )
    }

    /// The relationship (without caveat or expiration) a tuple of this index names.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the bytes are not a tuple of valid names.
    pub(crate) fn decode_tuple(self, tuple: &[u8]) -> Result<Relationship, StoreError> {
        let mut input = tuple;
        let mut next = || take_component(&mut input);
        let parts: [Cow<'_, str>; 6] = [next()?, next()?, next()?, next()?, next()?, next()?];
        if !input.is_empty() {
            return Err(corrupt_key("tuple has trailing bytes", tuple));
        }
        let [a, b, c, d, e, f] = parts;
        let (resource_type, resource_id, relation, subject_type, subject_relation, subject_id) =
            match self {
                Index::Forward => (a, b, c, d, e, f),
                Index::Reverse => (d, f, e, a, c, b),
            };
        let subject_relation =
            (subject_relation != ELLIPSIS_COMPONENT).then(|| subject_relation.into_owned());
        let build = || {
            Relationship::new(
                ObjectRef::new(resource_type, resource_id)?,
                relation,
                SubjectRef::new(subject_type, subject_id, subject_relation)?,
            )
        };
        build().map_err(|err| StoreError::Corrupt(format!("stored relationship key: {err}")))
    }

    /// The version key of `relationship` at `revision` in this index.
    pub(crate) fn encode_version_key(
        self,
        relationship: &Relationship,
        revision: Revision,
    ) -> Vec<u8> {
        let mut key = self.encode_relationship_tuple(relationship);
        push_revision(&mut key, revision);
        key
    }

    /// The relationship and revision of a version key of this index.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the bytes are not a version key.
    pub(crate) fn decode_version_key(
        self,
        key: &[u8],
    ) -> Result<(Relationship, Revision), StoreError> {
        let (tuple, revision) = split_version_key(key)?;
        Ok((self.decode_tuple(tuple)?, revision))
    }
}

/// Appends `s` escaped and terminated: one component of a tuple or prefix.
pub(crate) fn push_component(key: &mut Vec<u8>, s: &str) {
    push_escaped(key, s);
    key.extend_from_slice(&[ESCAPE, TERMINATOR]);
}

/// Appends `s` escaped but not terminated: the key prefix of every component starting with `s`.
pub(crate) fn push_escaped(key: &mut Vec<u8>, s: &str) {
    for &byte in s.as_bytes() {
        key.push(byte);
        if byte == ESCAPE {
            key.push(ESCAPED_ESCAPE);
        }
    }
}

/// The leading components of a tuple, e.g. a scan prefix.
pub(crate) fn encode_components(components: &[&str]) -> Vec<u8> {
    let mut key = Vec::with_capacity(components.iter().map(|c| c.len() + 2).sum::<usize>() + 8);
    for component in components {
        push_component(&mut key, component);
    }
    key
}

/// Reads one component off the front of `input`: borrowed when it needs no unescaping, which
/// is always the case for valid names and ids.
fn take_component<'a>(input: &mut &'a [u8]) -> Result<Cow<'a, str>, StoreError> {
    let bytes = *input;
    let mut escaped = false;
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == ESCAPE {
            match bytes[i + 1] {
                TERMINATOR => {
                    *input = &bytes[i + 2..];
                    let raw = &bytes[..i];
                    return if escaped {
                        let mut owned = Vec::with_capacity(raw.len());
                        let mut j = 0;
                        while j < raw.len() {
                            owned.push(raw[j]);
                            j += if raw[j] == ESCAPE { 2 } else { 1 };
                        }
                        String::from_utf8(owned)
                            .map(Cow::Owned)
                            .map_err(|_| corrupt_key("component is not UTF-8", bytes))
                    } else {
                        std::str::from_utf8(raw)
                            .map(Cow::Borrowed)
                            .map_err(|_| corrupt_key("component is not UTF-8", bytes))
                    };
                }
                ESCAPED_ESCAPE => {
                    escaped = true;
                    i += 2;
                }
                _ => return Err(corrupt_key("bad escape in component", bytes)),
            }
        } else {
            i += 1;
        }
    }
    Err(corrupt_key("unterminated component", bytes))
}

/// Length of the first `n` components of `key`, if it has that many.
fn components_len(key: &[u8], n: usize) -> Option<usize> {
    let mut found = 0;
    let mut i = 0;
    while found < n {
        let at = i + key.get(i..)?.iter().position(|&b| b == ESCAPE)?;
        match *key.get(at + 1)? {
            TERMINATOR => found += 1,
            ESCAPED_ESCAPE => {}
            _ => return None,
        }
        i = at + 2;
    }
    Some(i)
}

/// RocksDB prefix extractor of both indexes: the first [`BLOOM_PREFIX_COMPONENTS`] components.
/// Must never panic (it runs inside RocksDB); keys outside the domain are returned whole.
pub(crate) fn bloom_prefix(key: &[u8]) -> &[u8] {
    match components_len(key, BLOOM_PREFIX_COMPONENTS) {
        Some(len) => &key[..len],
        None => key,
    }
}

/// Whether `key` has a bloom prefix (see [`bloom_prefix`]).
pub(crate) fn in_bloom_domain(key: &[u8]) -> bool {
    components_len(key, BLOOM_PREFIX_COMPONENTS).is_some()
}

/// Appends the inverted revision that ends a version key.
pub(crate) fn push_revision(key: &mut Vec<u8>, revision: Revision) {
    key.extend_from_slice(&(!revision.get()).to_be_bytes());
}

/// The version key of `tuple` at `revision`.
pub(crate) fn version_key(tuple: &[u8], revision: Revision) -> Vec<u8> {
    let mut key = Vec::with_capacity(tuple.len() + REVISION_LEN);
    key.extend_from_slice(tuple);
    push_revision(&mut key, revision);
    key
}

/// A key after every version of `tuple` and before the next tuple.
pub(crate) fn after_tuple(tuple: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(tuple.len() + REVISION_LEN + 1);
    key.extend_from_slice(tuple);
    key.extend_from_slice(&[0xFF; REVISION_LEN + 1]);
    key
}

/// Splits a version key into its tuple and revision.
///
/// # Errors
/// [`StoreError::Corrupt`] when the key is too short to hold a revision.
pub(crate) fn split_version_key(key: &[u8]) -> Result<(&[u8], Revision), StoreError> {
    let Some(split) = key.len().checked_sub(REVISION_LEN) else {
        return Err(corrupt_key("version key too short", key));
    };
    let (tuple, inverted) = key.split_at(split);
    let inverted: [u8; REVISION_LEN] = inverted
        .try_into()
        .map_err(|_| corrupt_key("version key too short", key))?;
    Ok((tuple, Revision::new(!u64::from_be_bytes(inverted))))
}

/// Whether `key` is a version key of exactly `tuple`.
pub(crate) fn is_version_of(key: &[u8], tuple: &[u8]) -> bool {
    key.len() == tuple.len() + REVISION_LEN && key.starts_with(tuple)
}

/// The changelog key of `chunk` of `revision`.
pub(crate) fn encode_changelog_key(revision: Revision, chunk: u32) -> [u8; 12] {
    let mut key = [0; 12];
    key[..8].copy_from_slice(&revision.get().to_be_bytes());
    key[8..].copy_from_slice(&chunk.to_be_bytes());
    key
}

/// The revision and chunk of a changelog key.
///
/// # Errors
/// [`StoreError::Corrupt`] when the key is not 12 bytes long.
pub(crate) fn decode_changelog_key(key: &[u8]) -> Result<(Revision, u32), StoreError> {
    let malformed = || corrupt_key("changelog key is not 12 bytes", key);
    let (revision, chunk) = key.split_first_chunk::<8>().ok_or_else(malformed)?;
    let chunk: [u8; 4] = chunk.try_into().map_err(|_| malformed())?;
    Ok((
        Revision::new(u64::from_be_bytes(*revision)),
        u32::from_be_bytes(chunk),
    ))
}

/// The schema key of `revision`.
pub(crate) fn encode_schema_key(revision: Revision) -> [u8; 8] {
    revision.get().to_be_bytes()
}

/// The revision of a schema key.
///
/// # Errors
/// [`StoreError::Corrupt`] when the key is not 8 bytes long.
pub(crate) fn decode_schema_key(key: &[u8]) -> Result<Revision, StoreError> {
    let key: [u8; 8] = key
        .try_into()
        .map_err(|_| corrupt_key("schema key is not 8 bytes", key))?;
    Ok(Revision::new(u64::from_be_bytes(key)))
}

fn corrupt_key(what: &str, key: &[u8]) -> StoreError {
    StoreError::Corrupt(format!("{what}: {}", key.escape_ascii()))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn rel(text: &str) -> Relationship {
        text.parse().unwrap()
    }

    fn forward_key(text: &str, revision: u64) -> Vec<u8> {
        Index::Forward.encode_version_key(&rel(text), Revision::new(revision))
    }

    #[test]
    fn version_keys_round_trip_in_both_indexes() {
        for text in [
            "document:readme#viewer@user:alice",
            "document:readme#viewer@group:eng#member",
            "document:readme#viewer@user:*",
            "org/team/document:a-b_c|d=e+f#parent@org/folder:x/y",
        ] {
            for index in [Index::Forward, Index::Reverse] {
                for revision in [0, 1, 42, u64::MAX] {
                    let key = index.encode_version_key(&rel(text), Revision::new(revision));
                    assert_eq!(
                        index.decode_version_key(&key).unwrap(),
                        (rel(text), Revision::new(revision)),
                        "{index:?} {text}"
                    );
                }
            }
        }
    }

    #[test]
    fn forward_keys_sort_in_store_order() {
        // Each key sorts strictly before the next.
        let ordered = [
            forward_key("doc:a#viewer@user:x", 1),
            forward_key("doc:ab#viewer@user:x", 1),
            forward_key("doc:abc#owner@user:x", 1),
            forward_key("doc:abc#viewer@group:g", 1),
            // the ellipsis subject relation comes before named ones
            forward_key("doc:abc#viewer@group:g#admin", 1),
            forward_key("doc:abc#viewer@group:a#member", 1),
            forward_key("doc:abc#viewer@user:*", 1),
            forward_key("doc:abc#viewer@user:x", 1),
            forward_key("doc:abc#viewer@user:xy", 1),
            forward_key("doc/xyz:a#viewer@user:x", 1),
            forward_key("document:a#viewer@user:x", 1),
        ];
        for pair in ordered.windows(2) {
            assert!(pair[0] < pair[1], "{:?} !< {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn newer_versions_of_a_tuple_sort_first_and_before_the_next_tuple() {
        let newest = forward_key("doc:a#viewer@user:x", 9);
        let older = forward_key("doc:a#viewer@user:x", 2);
        let next_tuple = forward_key("doc:a#viewer@user:xa", 100);
        assert!(newest < older && older < next_tuple);
        let tuple = Index::Forward.encode_relationship_tuple(&rel("doc:a#viewer@user:x"));
        assert!(older < after_tuple(&tuple) && after_tuple(&tuple) < next_tuple);
        assert!(is_version_of(&newest, &tuple) && !is_version_of(&next_tuple, &tuple));
    }

    #[test]
    fn escaped_prefixes_select_ids_starting_with_them() {
        let mut prefix = encode_components(&["doc"]);
        push_escaped(&mut prefix, "ab");
        assert!(forward_key("doc:ab#viewer@user:x", 1).starts_with(&prefix));
        assert!(forward_key("doc:abc#viewer@user:x", 1).starts_with(&prefix));
        assert!(!forward_key("doc:a#viewer@user:x", 1).starts_with(&prefix));
        assert!(!forward_key("doc:b#viewer@user:x", 1).starts_with(&prefix));
    }

    #[test]
    fn bloom_prefix_is_the_resource_relation_or_the_subject() {
        let key = forward_key("doc:a#viewer@user:x", 7);
        assert_eq!(
            bloom_prefix(&key),
            encode_components(&["doc", "a", "viewer"])
        );
        let reverse =
            Index::Reverse.encode_version_key(&rel("doc:a#viewer@user:x"), Revision::new(7));
        assert_eq!(
            bloom_prefix(&reverse),
            encode_components(&["user", "x", ""])
        );
        assert!(in_bloom_domain(&key));
        assert!(!in_bloom_domain(&encode_components(&["doc", "a"])));
        assert_eq!(bloom_prefix(b"\x00\x07garbage"), b"\x00\x07garbage");
    }

    #[test]
    fn changelog_and_schema_keys_round_trip_and_sort_by_revision() {
        for (revision, chunk) in [(0, 0), (1, 7), (u64::MAX, u32::MAX)] {
            let key = encode_changelog_key(Revision::new(revision), chunk);
            assert_eq!(
                decode_changelog_key(&key).unwrap(),
                (Revision::new(revision), chunk)
            );
            let key = encode_schema_key(Revision::new(revision));
            assert_eq!(decode_schema_key(&key).unwrap(), Revision::new(revision));
        }
        assert!(
            encode_changelog_key(Revision::new(1), 9) < encode_changelog_key(Revision::new(2), 0)
        );
        assert!(
            encode_changelog_key(Revision::new(255), 0)
                < encode_changelog_key(Revision::new(256), 0)
        );
        assert!(encode_schema_key(Revision::new(255)) < encode_schema_key(Revision::new(256)));
    }

    #[test]
    fn malformed_keys_are_corrupt_not_panics() {
        for bad in [
            &b""[..],
            b"short",
            b"doc\x00\x01a\x00\x01viewer\x00\x01user\x00\x01\x00\x01x\x00\x01trailing12",
            b"doc\x00\x05a\x00\x01viewer\x00\x01user\x00\x01\x00\x01x\x00\x0112345678",
            b"\xff\xfe\x00\x01a\x00\x01viewer\x00\x01user\x00\x01\x00\x01x\x00\x0112345678",
            b"doc\x00\x01a\x00\x01Viewer\x00\x01user\x00\x01\x00\x01x\x00\x0112345678",
        ] {
            assert!(matches!(
                Index::Forward.decode_version_key(bad),
                Err(StoreError::Corrupt(_))
            ));
        }
        assert!(decode_changelog_key(b"123").is_err());
        assert!(decode_schema_key(b"123").is_err());
    }

    fn component() -> impl Strategy<Value = String> {
        // Any text, with the bytes the encoding treats specially made likely.
        proptest::collection::vec(
            prop_oneof![
                Just('\u{0}'),
                Just('\u{1}'),
                Just('\u{ff}'),
                Just('a'),
                Just('b'),
                any::<char>()
            ],
            0..6,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn component_byte_order_is_tuple_order(
            a in proptest::collection::vec(component(), 1..4),
            b in proptest::collection::vec(component(), 1..4),
        ) {
            let (ea, eb) = (
                encode_components(&a.iter().map(String::as_str).collect::<Vec<_>>()),
                encode_components(&b.iter().map(String::as_str).collect::<Vec<_>>()),
            );
            prop_assert_eq!(ea.cmp(&eb), a.cmp(&b));
        }

        #[test]
        fn components_round_trip(parts in proptest::collection::vec(component(), 0..5)) {
            let encoded = encode_components(&parts.iter().map(String::as_str).collect::<Vec<_>>());
            let mut input = &encoded[..];
            for part in &parts {
                prop_assert_eq!(take_component(&mut input).unwrap(), part.as_str());
            }
            prop_assert!(input.is_empty());
        }

        #[test]
        fn version_keys_sort_by_tuple_then_newest_first(
            a in (0u8..3, 0u8..3, 0u8..3, 0u64..4),
            b in (0u8..3, 0u8..3, 0u8..3, 0u64..4),
        ) {
            let ids = ["a", "ab", "b"];
            let relations = ["...", "member", "owner"];
            let make = |(resource, subject, relation, revision): (u8, u8, u8, u64)| {
                let text = format!(
                    "doc:{}#viewer@user:{}#{}",
                    ids[usize::from(resource)],
                    ids[usize::from(subject)],
                    relations[usize::from(relation)]
                );
                let relationship = rel(&text);
                let logical = (
                    relationship.resource().object_id().to_owned(),
                    relationship.subject().relation().map(str::to_owned),
                    relationship.subject().object_id().to_owned(),
                    std::cmp::Reverse(revision),
                );
                (Index::Forward.encode_version_key(&relationship, Revision::new(revision)), logical)
            };
            let ((ka, la), (kb, lb)) = (make(a), make(b));
            prop_assert_eq!(ka.cmp(&kb), la.cmp(&lb));
        }
    }
}
