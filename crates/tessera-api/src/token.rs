//! ZedTokens and cursors: opaque, versioned, base64 strings that carry a revision and the
//! id of the datastore that issued them.
//!
//! A ZedToken is `version (1) | revision (u64, big-endian) | datastore id prefix`. A cursor
//! is `version (1) | revision | request hash (8 bytes) | prefix length (1) | datastore id
//! prefix | resume point (UTF-8)`: it pins the revision of the first page, is only valid for
//! the request it was issued for, and says where to resume.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use tessera_types::Revision;

use crate::error::ApiError;

/// How much of a datastore id a token carries, as SpiceDB does (8 characters).
const DATASTORE_PREFIX_LEN: usize = 8;
const ZEDTOKEN_V1: u8 = 1;
const CURSOR_V1: u8 = 1;
const REVISION_LEN: usize = 8;
const HASH_LEN: usize = 8;

/// The part of a datastore id that tokens carry.
fn datastore_prefix(datastore_id: &str) -> &str {
    let end = datastore_id
        .char_indices()
        .nth(DATASTORE_PREFIX_LEN)
        .map_or(datastore_id.len(), |(index, _)| index);
    &datastore_id[..end]
}

/// A decoded ZedToken: a revision of one datastore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZedToken {
    revision: Revision,
    datastore: String,
}

impl ZedToken {
    /// The token of `revision` in the datastore `datastore_id`.
    pub fn new(revision: Revision, datastore_id: &str) -> Self {
        Self {
            revision,
            datastore: datastore_prefix(datastore_id).to_owned(),
        }
    }

    /// The revision it stands for.
    pub fn revision(&self) -> Revision {
        self.revision
    }

    /// Whether the datastore `datastore_id` issued it.
    pub fn is_from(&self, datastore_id: &str) -> bool {
        self.datastore == datastore_prefix(datastore_id)
    }

    /// The prefix of the issuing datastore's id.
    pub(crate) fn datastore(&self) -> &str {
        &self.datastore
    }

    /// The token's text.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(1 + REVISION_LEN + self.datastore.len());
        bytes.push(ZEDTOKEN_V1);
        bytes.extend_from_slice(&self.revision.get().to_be_bytes());
        bytes.extend_from_slice(self.datastore.as_bytes());
        STANDARD.encode(bytes)
    }

    /// Reads a token's text.
    ///
    /// # Errors
    /// [`ApiError::InvalidZedToken`] for anything this server did not issue in this format.
    pub fn decode(text: &str) -> Result<Self, ApiError> {
        let invalid = |why: &str| ApiError::InvalidZedToken(format!("ZedToken `{text}` {why}"));
        let bytes = STANDARD
            .decode(text)
            .map_err(|_| invalid("is not base64"))?;
        let (&version, rest) = bytes.split_first().ok_or_else(|| invalid("is empty"))?;
        if version != ZEDTOKEN_V1 {
            return Err(invalid(&format!("has unknown version {version}")));
        }
        let (revision, datastore) = split_revision(rest).ok_or_else(|| invalid("is truncated"))?;
        let datastore = String::from_utf8(datastore.to_vec())
            .ok()
            .filter(|prefix| prefix.chars().count() <= DATASTORE_PREFIX_LEN)
            .ok_or_else(|| invalid("names no valid datastore"))?;
        Ok(Self {
            revision,
            datastore,
        })
    }
}

fn split_revision(bytes: &[u8]) -> Option<(Revision, &[u8])> {
    let (revision, rest) = bytes.split_first_chunk::<REVISION_LEN>()?;
    Some((Revision::new(u64::from_be_bytes(*revision)), rest))
}

/// A fingerprint of the request a cursor belongs to.
pub(crate) type RequestHash = [u8; HASH_LEN];

/// Fingerprints a request: SHA-256 of its protobuf encoding (with the cursor, limit and
/// consistency cleared by the caller, so that pages may differ in size), truncated.
pub(crate) fn request_hash(request: &impl prost::Message) -> RequestHash {
    let digest = Sha256::digest(request.encode_to_vec());
    let mut hash = [0; HASH_LEN];
    hash.copy_from_slice(&digest[..HASH_LEN]);
    hash
}

/// Where a paged stream resumes, and at which revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// The revision every page reads at.
    pub(crate) revision: Revision,
    /// The last item already sent (an object id or a relationship's text).
    pub(crate) after: String,
}

impl Cursor {
    /// The cursor's text for the request `hash` on datastore `datastore_id`.
    pub(crate) fn encode(&self, hash: &RequestHash, datastore_id: &str) -> String {
        let prefix = datastore_prefix(datastore_id);
        let mut bytes =
            Vec::with_capacity(2 + REVISION_LEN + HASH_LEN + prefix.len() + self.after.len());
        bytes.push(CURSOR_V1);
        bytes.extend_from_slice(&self.revision.get().to_be_bytes());
        bytes.extend_from_slice(hash);
        // The prefix is at most 8 characters of at most 4 bytes each.
        bytes.push(u8::try_from(prefix.len()).unwrap_or(u8::MAX));
        bytes.extend_from_slice(prefix.as_bytes());
        bytes.extend_from_slice(self.after.as_bytes());
        STANDARD.encode(bytes)
    }

    /// Reads a cursor issued for the request `hash` by datastore `datastore_id`.
    ///
    /// # Errors
    /// [`ApiError::InvalidCursor`] when it does not decode, or was issued by another
    /// datastore or for another request.
    pub(crate) fn decode(
        text: &str,
        hash: &RequestHash,
        datastore_id: &str,
    ) -> Result<Self, ApiError> {
        let invalid = |why: &str| ApiError::InvalidCursor(format!("cursor `{text}` {why}"));
        let bytes = STANDARD
            .decode(text)
            .map_err(|_| invalid("is not base64"))?;
        let (&version, rest) = bytes.split_first().ok_or_else(|| invalid("is empty"))?;
        if version != CURSOR_V1 {
            return Err(invalid(&format!("has unknown version {version}")));
        }
        let (revision, rest) = split_revision(rest).ok_or_else(|| invalid("is truncated"))?;
        let (issued_for, rest) = rest
            .split_first_chunk::<HASH_LEN>()
            .ok_or_else(|| invalid("is truncated"))?;
        let (&prefix_len, rest) = rest.split_first().ok_or_else(|| invalid("is truncated"))?;
        let (prefix, after) = rest
            .split_at_checked(usize::from(prefix_len))
            .ok_or_else(|| invalid("is truncated"))?;
        if prefix != datastore_prefix(datastore_id).as_bytes() {
            return Err(invalid("was issued by another datastore"));
        }
        if issued_for != hash {
            return Err(invalid(
                "was issued for a different request; send the same request with the cursor",
            ));
        }
        let after =
            String::from_utf8(after.to_vec()).map_err(|_| invalid("has an unreadable position"))?;
        Ok(Self { revision, after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATASTORE: &str = "0123456789abcdef";

    #[test]
    fn zedtokens_round_trip_and_know_their_datastore() {
        let token = ZedToken::new(Revision::new(42), DATASTORE);
        let decoded = ZedToken::decode(&token.encode()).unwrap();
        assert_eq!(decoded, token);
        assert_eq!(decoded.revision(), Revision::new(42));
        assert!(decoded.is_from(DATASTORE));
        assert!(!decoded.is_from("fedcba9876543210"));
    }

    #[test]
    fn garbage_is_an_invalid_revision() {
        for text in [
            "",
            "not base64!",
            "AQ==",
            "Ag==",
            &STANDARD.encode([1, 0, 0]),
        ] {
            let err = ZedToken::decode(text).unwrap_err();
            assert!(matches!(err, ApiError::InvalidZedToken(_)), "{text}: {err}");
            assert!(err.to_string().starts_with("invalid revision requested"));
        }
    }

    #[test]
    fn cursors_round_trip_only_for_their_request_and_datastore() {
        let hash = request_hash(&tessera_proto::authzed::api::v1::ObjectReference {
            object_type: "document".to_owned(),
            object_id: "1".to_owned(),
        });
        let cursor = Cursor {
            revision: Revision::new(7),
            after: "document:1#viewer@user:é".to_owned(),
        };
        let text = cursor.encode(&hash, DATASTORE);
        assert_eq!(Cursor::decode(&text, &hash, DATASTORE).unwrap(), cursor);
        assert!(matches!(
            Cursor::decode(&text, &[0; 8], DATASTORE),
            Err(ApiError::InvalidCursor(_))
        ));
        assert!(matches!(
            Cursor::decode(&text, &hash, "another-datastore"),
            Err(ApiError::InvalidCursor(_))
        ));
        assert!(Cursor::decode("AQID", &hash, DATASTORE).is_err());
    }
}
