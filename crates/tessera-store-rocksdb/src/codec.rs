//! Value encodings. Every stored value starts with [`VALUE_FORMAT`], so a later format can
//! be told apart and read (or refused) instead of misread.
//!
//! The encoding is hand-rolled rather than bincode: the values are a handful of optional
//! fields, the caveat context and metadata are `serde_json` maps (bincode 2's derive cannot
//! encode them without the serde bridge, so they would be JSON text anyway), and writing the
//! bytes by hand keeps the on-disk layout ours, documented here and independent of a
//! library's wire format. Lengths are `u32` big-endian; decoding checks every length and
//! returns [`StoreError::Corrupt`] instead of panicking on damaged data.

use serde_json::{Map, Value};
use tessera_store::{Change, StoreError, TransactionMetadata};
use tessera_types::{ContextualizedCaveat, Relationship, Revision, Timestamp};

use crate::keys::Index;

/// The format byte every value starts with.
pub(crate) const VALUE_FORMAT: u8 = 1;

/// Marker of the directory format, followed by [`FORMAT_VERSION`] as `u16` big-endian.
const FORMAT_MAGIC: &[u8; 8] = b"TESSERA\0";
/// The on-disk format this build writes and reads. Bump on any incompatible change of keys,
/// values or column families, and teach [`decode_format`] the upgrade story.
///
/// 2: the `latest` column family.
pub(crate) const FORMAT_VERSION: u16 = 2;

const KIND_TOMBSTONE: u8 = 0;
const KIND_LIVE: u8 = 1;
const HAS_EXPIRATION: u8 = 0b01;
const HAS_CAVEAT: u8 = 0b10;

const CHANGE_TOUCH: u8 = 1;
const CHANGE_DELETE: u8 = 2;

/// The value of a version key: the relationship's attributes, or its deletion.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Version {
    /// Deleted at this revision.
    Tombstone,
    /// Present from this revision, with these attributes.
    Live(Attributes),
}

/// What a version stores beside its key.
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct Attributes {
    pub(crate) caveat: Option<ContextualizedCaveat>,
    pub(crate) expires_at: Option<Timestamp>,
}

impl Attributes {
    /// Whether the relationship no longer exists at `now`.
    pub(crate) fn is_expired_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// `relationship` (from a key) with these attributes.
    pub(crate) fn attach(self, relationship: Relationship) -> Relationship {
        relationship
            .with_caveat(self.caveat)
            .with_expiration(self.expires_at)
    }
}

impl Version {
    /// The relationship if this version is live and unexpired at `now`.
    pub(crate) fn visible_at(self, now: Timestamp) -> Option<Attributes> {
        match self {
            Version::Live(attributes) if !attributes.is_expired_at(now) => Some(attributes),
            _ => None,
        }
    }
}

/// The value of a tombstone version.
pub(crate) const TOMBSTONE: [u8; 2] = [VALUE_FORMAT, KIND_TOMBSTONE];

/// The value of a live version of `relationship`.
pub(crate) fn encode_live(relationship: &Relationship) -> Vec<u8> {
    let mut out = Encoder(Vec::with_capacity(4));
    out.u8(VALUE_FORMAT);
    out.u8(KIND_LIVE);
    let flags = if relationship.expires_at().is_some() {
        HAS_EXPIRATION
    } else {
        0
    } | if relationship.caveat().is_some() {
        HAS_CAVEAT
    } else {
        0
    };
    out.u8(flags);
    if let Some(at) = relationship.expires_at() {
        out.timestamp(at);
    }
    if let Some(caveat) = relationship.caveat() {
        out.str(caveat.name());
        out.json(caveat.context());
    }
    out.0
}

/// Decodes the value of a version key.
///
/// # Errors
/// [`StoreError::Corrupt`] on an unknown format or damaged bytes.
pub(crate) fn decode_version(value: &[u8]) -> Result<Version, StoreError> {
    let mut input = Decoder::new(value, "relationship version")?;
    let version = match input.u8()? {
        KIND_TOMBSTONE => Version::Tombstone,
        KIND_LIVE => {
            let flags = input.u8()?;
            let expires_at = (flags & HAS_EXPIRATION != 0)
                .then(|| input.timestamp())
                .transpose()?;
            let caveat = if flags & HAS_CAVEAT != 0 {
                let name = input.str()?.to_owned();
                let context = input.json()?;
                Some(ContextualizedCaveat::new(name, context).map_err(|e| input.corrupt(&e))?)
            } else {
                None
            };
            Version::Live(Attributes { caveat, expires_at })
        }
        kind => return Err(input.corrupt(&format_args!("unknown kind {kind}"))),
    };
    input.finish()?;
    Ok(version)
}

/// The value of a [`crate::keys::CF_LATEST`] entry: the revision of the newest version, then
/// that version's value (format byte first).
pub(crate) fn encode_latest(revision: Revision, version: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(8 + version.len());
    value.extend_from_slice(&revision.get().to_be_bytes());
    value.extend_from_slice(version);
    value
}

/// The revision and version value of a [`crate::keys::CF_LATEST`] entry.
///
/// # Errors
/// [`StoreError::Corrupt`] when the value is too short.
pub(crate) fn decode_latest(value: &[u8]) -> Result<(Revision, &[u8]), StoreError> {
    let (revision, version) = value.split_first_chunk::<8>().ok_or_else(|| {
        StoreError::Corrupt(format!("stored latest version: {} bytes", value.len()))
    })?;
    Ok((Revision::new(u64::from_be_bytes(*revision)), version))
}

/// The header chunk of a committed revision.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CommitHeader {
    /// When the revision committed (by the store's clock); never decreases.
    pub(crate) committed_at: Timestamp,
    /// Whether the revision wrote a schema.
    pub(crate) schema_changed: bool,
    /// The transaction's metadata.
    pub(crate) metadata: Option<TransactionMetadata>,
}

/// Encodes a changelog header.
pub(crate) fn encode_header(header: &CommitHeader) -> Vec<u8> {
    let mut out = Encoder(Vec::with_capacity(32));
    out.u8(VALUE_FORMAT);
    out.timestamp(header.committed_at);
    out.u8(u8::from(header.schema_changed));
    match &header.metadata {
        Some(metadata) => {
            out.u8(1);
            out.json(metadata);
        }
        None => out.u8(0),
    }
    out.0
}

/// Decodes a changelog header.
///
/// # Errors
/// [`StoreError::Corrupt`] on an unknown format or damaged bytes.
pub(crate) fn decode_header(value: &[u8]) -> Result<CommitHeader, StoreError> {
    let mut input = Decoder::new(value, "changelog header")?;
    let committed_at = input.timestamp()?;
    let schema_changed = input.bool()?;
    let metadata = if input.bool()? {
        Some(input.json()?)
    } else {
        None
    };
    input.finish()?;
    Ok(CommitHeader {
        committed_at,
        schema_changed,
        metadata,
    })
}

/// Encodes a chunk of changes: each is a kind, the forward tuple and the live value.
pub(crate) fn encode_changes(changes: &[Change]) -> Vec<u8> {
    let mut out = Encoder(Vec::with_capacity(changes.len() * 64 + 5));
    out.u8(VALUE_FORMAT);
    out.len(changes.len());
    for change in changes {
        let (kind, relationship) = match change {
            Change::Touch(relationship) => (CHANGE_TOUCH, relationship),
            Change::Delete(relationship) => (CHANGE_DELETE, relationship),
        };
        out.u8(kind);
        out.bytes(&Index::Forward.encode_relationship_tuple(relationship));
        out.bytes(&encode_live(relationship));
    }
    out.0
}

/// Decodes a chunk of changes, appending them to `changes`.
///
/// # Errors
/// [`StoreError::Corrupt`] on an unknown format or damaged bytes.
pub(crate) fn decode_changes(value: &[u8], changes: &mut Vec<Change>) -> Result<(), StoreError> {
    let mut input = Decoder::new(value, "changelog chunk")?;
    let count = input.u32()?;
    for _ in 0..count {
        let kind = input.u8()?;
        let relationship = Index::Forward.decode_tuple(input.bytes()?)?;
        let relationship = match decode_version(input.bytes()?)? {
            Version::Live(attributes) => attributes.attach(relationship),
            Version::Tombstone => return Err(input.corrupt(&"a change holds a tombstone")),
        };
        changes.push(match kind {
            CHANGE_TOUCH => Change::Touch(relationship),
            CHANGE_DELETE => Change::Delete(relationship),
            kind => return Err(input.corrupt(&format_args!("unknown change kind {kind}"))),
        });
    }
    input.finish()
}

/// Encodes a schema text.
pub(crate) fn encode_schema(text: &str) -> Vec<u8> {
    let mut out = Encoder(Vec::with_capacity(text.len() + 5));
    out.u8(VALUE_FORMAT);
    out.str(text);
    out.0
}

/// Decodes a schema text.
///
/// # Errors
/// [`StoreError::Corrupt`] on an unknown format or damaged bytes.
pub(crate) fn decode_schema(value: &[u8]) -> Result<String, StoreError> {
    let mut input = Decoder::new(value, "schema")?;
    let text = input.str()?.to_owned();
    input.finish()?;
    Ok(text)
}

/// The value of [`crate::keys::META_FORMAT`] this build writes.
pub(crate) fn encode_format() -> Vec<u8> {
    let mut value = FORMAT_MAGIC.to_vec();
    value.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
    value
}

/// Checks the stored format marker.
///
/// # Errors
/// [`StoreError::Corrupt`] naming the problem when the marker is not ours, or names a version
/// this build cannot read.
pub(crate) fn decode_format(value: &[u8]) -> Result<(), StoreError> {
    let version = value
        .strip_prefix(FORMAT_MAGIC)
        .and_then(|rest| <[u8; 2]>::try_from(rest).ok())
        .map(u16::from_be_bytes)
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the format marker `{}` is not a tessera marker",
                value.escape_ascii()
            ))
        })?;
    match version {
        FORMAT_VERSION => Ok(()),
        newer if newer > FORMAT_VERSION => Err(StoreError::Corrupt(format!(
            "the store has on-disk format version {newer}, newer than the version \
             {FORMAT_VERSION} this build reads; run a newer tessera"
        ))),
        older => Err(StoreError::Corrupt(format!(
            "the store has on-disk format version {older}, which this build (format \
             {FORMAT_VERSION}) cannot read"
        ))),
    }
}

/// Encodes a revision-valued meta record.
pub(crate) fn encode_u64(value: u64) -> [u8; 8] {
    value.to_be_bytes()
}

/// Decodes a revision-valued meta record.
///
/// # Errors
/// [`StoreError::Corrupt`] when the value is not 8 bytes long.
pub(crate) fn decode_u64(value: &[u8], what: &str) -> Result<u64, StoreError> {
    <[u8; 8]>::try_from(value)
        .map(u64::from_be_bytes)
        .map_err(|_| {
            StoreError::Corrupt(format!("{what}: expected 8 bytes, found {}", value.len()))
        })
}

struct Encoder(Vec<u8>);

impl Encoder {
    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }

    fn len(&mut self, len: usize) {
        // Values come from names, ids, JSON maps and schema texts that the API bounds far
        // below 4 GiB; saturating keeps the encoder total.
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.0.extend_from_slice(bytes);
    }

    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    fn json(&mut self, map: &Map<String, Value>) {
        // A map of JSON values always serializes.
        let text = serde_json::to_vec(map).unwrap_or_default();
        self.bytes(&text);
    }

    fn timestamp(&mut self, at: Timestamp) {
        self.0.extend_from_slice(&at.as_nanosecond().to_be_bytes());
    }
}

struct Decoder<'a> {
    input: &'a [u8],
    what: &'static str,
}

impl<'a> Decoder<'a> {
    /// Starts decoding `value`, checking its format byte.
    fn new(value: &'a [u8], what: &'static str) -> Result<Self, StoreError> {
        let mut decoder = Self { input: value, what };
        match decoder.u8()? {
            VALUE_FORMAT => Ok(decoder),
            format => Err(decoder.corrupt(&format_args!(
                "unknown value format {format} (this build reads {VALUE_FORMAT})"
            ))),
        }
    }

    fn corrupt(&self, problem: &dyn std::fmt::Display) -> StoreError {
        StoreError::Corrupt(format!("stored {}: {problem}", self.what))
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], StoreError> {
        let (head, rest) = self
            .input
            .split_first_chunk::<N>()
            .ok_or_else(|| self.corrupt(&"truncated"))?;
        self.input = rest;
        Ok(*head)
    }

    fn u8(&mut self) -> Result<u8, StoreError> {
        Ok(self.take::<1>()?[0])
    }

    fn bool(&mut self) -> Result<bool, StoreError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(self.corrupt(&format_args!("bad flag {other}"))),
        }
    }

    fn u32(&mut self) -> Result<u32, StoreError> {
        Ok(u32::from_be_bytes(self.take()?))
    }

    fn bytes(&mut self) -> Result<&'a [u8], StoreError> {
        let len = usize::try_from(self.u32()?).map_err(|_| self.corrupt(&"length overflow"))?;
        if len > self.input.len() {
            return Err(self.corrupt(&"truncated"));
        }
        let (bytes, rest) = self.input.split_at(len);
        self.input = rest;
        Ok(bytes)
    }

    fn str(&mut self) -> Result<&'a str, StoreError> {
        let bytes = self.bytes()?;
        std::str::from_utf8(bytes).map_err(|_| self.corrupt(&"text is not UTF-8"))
    }

    fn json(&mut self) -> Result<Map<String, Value>, StoreError> {
        let bytes = self.bytes()?;
        serde_json::from_slice(bytes).map_err(|e| self.corrupt(&e))
    }

    fn timestamp(&mut self) -> Result<Timestamp, StoreError> {
        let nanos = i128::from_be_bytes(self.take()?);
        Timestamp::from_nanosecond(nanos).map_err(|e| self.corrupt(&e))
    }

    fn finish(self) -> Result<(), StoreError> {
        if self.input.is_empty() {
            Ok(())
        } else {
            Err(self.corrupt(&"trailing bytes"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(text: &str) -> Relationship {
        text.parse().unwrap()
    }

    #[test]
    fn versions_round_trip_with_caveats_and_expirations() {
        for text in [
            "doc:1#viewer@user:a",
            r#"doc:1#viewer@user:a[only_on:{"day":"tue","n":[1,2]}]"#,
            "doc:1#viewer@user:a[only_on]",
            "doc:1#viewer@user:a[expiration:2030-01-02T03:04:05.123456789Z]",
            r#"doc:1#viewer@user:a[cav:{"k":true}][expiration:1970-01-01T00:00:00Z]"#,
        ] {
            let relationship = rel(text);
            let Version::Live(attributes) = decode_version(&encode_live(&relationship)).unwrap()
            else {
                panic!("{text} decoded as a tombstone");
            };
            let bare = Relationship::new(
                relationship.resource().clone(),
                relationship.relation(),
                relationship.subject().clone(),
            )
            .unwrap();
            assert_eq!(attributes.attach(bare), relationship);
        }
        assert_eq!(decode_version(&TOMBSTONE).unwrap(), Version::Tombstone);
        let latest = encode_latest(Revision::new(7), &TOMBSTONE);
        assert_eq!(
            decode_latest(&latest).unwrap(),
            (Revision::new(7), &TOMBSTONE[..])
        );
        assert!(decode_latest(&latest[..7]).is_err());
    }

    #[test]
    fn headers_changes_and_schemas_round_trip() {
        let mut metadata = TransactionMetadata::new();
        metadata.insert("request".into(), "42".into());
        for header in [
            CommitHeader {
                committed_at: Timestamp::UNIX_EPOCH,
                schema_changed: true,
                metadata: None,
            },
            CommitHeader {
                committed_at: "2025-05-06T07:08:09Z".parse().unwrap(),
                schema_changed: false,
                metadata: Some(metadata.clone()),
            },
        ] {
            assert_eq!(decode_header(&encode_header(&header)).unwrap(), header);
        }
        let changes = vec![
            Change::Touch(rel("doc:1#viewer@user:a[cav:{\"x\":1}]")),
            Change::Delete(rel("doc:1#viewer@group:g#member")),
        ];
        let mut decoded = Vec::new();
        decode_changes(&encode_changes(&changes), &mut decoded).unwrap();
        assert_eq!(decoded, changes);
        assert_eq!(
            decode_schema(&encode_schema("definition user {}")).unwrap(),
            "definition user {}"
        );
    }

    #[test]
    fn damaged_or_unknown_values_are_corrupt_not_panics() {
        let live = encode_live(&rel(r#"doc:1#viewer@user:a[cav:{"x":1}]"#));
        for cut in 0..live.len() {
            assert!(decode_version(&live[..cut]).is_err(), "cut at {cut}");
        }
        let mut newer = live.clone();
        newer[0] = VALUE_FORMAT + 1;
        let err = decode_version(&newer).unwrap_err().to_string();
        assert!(err.contains("unknown value format 2"), "{err}");
        assert!(decode_version(&[VALUE_FORMAT, 9]).is_err());
        assert!(decode_header(&[VALUE_FORMAT, 1, 2]).is_err());
        assert!(decode_changes(&[VALUE_FORMAT, 0, 0, 0, 1, 7], &mut Vec::new()).is_err());
        assert!(decode_u64(b"1234567", "head").is_err());
    }

    #[test]
    fn format_marker_accepts_ours_and_explains_others() {
        decode_format(&encode_format()).unwrap();
        let mut newer = encode_format();
        *newer.last_mut().unwrap() += 1;
        let err = decode_format(&newer).unwrap_err().to_string();
        assert!(
            err.contains("format version 3, newer than the version 2"),
            "{err}"
        );
        let mut older = encode_format();
        *older.last_mut().unwrap() -= 1;
        let err = decode_format(&older).unwrap_err().to_string();
        assert!(
            err.contains("format version 1, which this build (format 2)"),
            "{err}"
        );
        let err = decode_format(b"SOMETHING").unwrap_err().to_string();
        assert!(err.contains("not a tessera marker"), "{err}");
    }
}
