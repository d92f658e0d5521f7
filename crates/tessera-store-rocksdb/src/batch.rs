//! Writes shared by commits, bulk imports and recovery: how a change lands in the indexes and
//! the changelog.

use rocksdb::{ColumnFamily, WriteBatch, WriteOptions};
use tessera_store::{Change, StoreError};
use tessera_types::{Relationship, Revision};

use crate::codec::{self, CommitHeader};
use crate::keys::{self, Index};
use crate::store::Shared;

/// How many changes one changelog chunk holds: a commit of a few changes is one value, a bulk
/// import of millions is many values of bounded size.
pub(crate) const CHANGES_PER_CHUNK: usize = 1024;

/// The column families, looked up once per batch.
pub(crate) struct Families<'a> {
    pub(crate) meta: &'a ColumnFamily,
    pub(crate) forward: &'a ColumnFamily,
    pub(crate) reverse: &'a ColumnFamily,
    pub(crate) latest: &'a ColumnFamily,
    pub(crate) schema: &'a ColumnFamily,
    pub(crate) changelog: &'a ColumnFamily,
}

impl<'a> Families<'a> {
    /// Every column family of `shared`.
    pub(crate) fn of(shared: &'a Shared) -> Result<Self, StoreError> {
        Ok(Self {
            meta: shared.cf(keys::CF_META)?,
            forward: shared.cf(keys::CF_FORWARD)?,
            reverse: shared.cf(keys::CF_REVERSE)?,
            latest: shared.cf(keys::CF_LATEST)?,
            schema: shared.cf(keys::CF_SCHEMA)?,
            changelog: shared.cf(keys::CF_CHANGELOG)?,
        })
    }

    /// The column family of `index`.
    pub(crate) fn index(&self, index: Index) -> &'a ColumnFamily {
        match index {
            Index::Forward => self.forward,
            Index::Reverse => self.reverse,
        }
    }

    /// Stages the version `change` creates at `revision` in both indexes, and as the latest.
    pub(crate) fn put_change(&self, batch: &mut WriteBatch, revision: Revision, change: &Change) {
        let (relationship, value): (&Relationship, Vec<u8>) = match change {
            Change::Touch(relationship) => (relationship, codec::encode_live(relationship)),
            Change::Delete(relationship) => (relationship, codec::TOMBSTONE.to_vec()),
        };
        let tuple = Index::Forward.encode_relationship_tuple(relationship);
        batch.put_cf(self.forward, keys::version_key(&tuple, revision), &value);
        batch.put_cf(
            self.reverse,
            Index::Reverse.encode_version_key(relationship, revision),
            &value,
        );
        batch.put_cf(self.latest, tuple, codec::encode_latest(revision, &value));
    }

    /// Stages chunk number `chunk` (from 1) of `revision`'s changes.
    pub(crate) fn put_change_chunk(
        &self,
        batch: &mut WriteBatch,
        revision: Revision,
        chunk: u32,
        changes: &[Change],
    ) {
        batch.put_cf(
            self.changelog,
            keys::encode_changelog_key(revision, chunk),
            codec::encode_changes(changes),
        );
    }

    /// Stages the changelog header of `revision` and the new head: the records that make a
    /// revision committed.
    pub(crate) fn put_commit(
        &self,
        batch: &mut WriteBatch,
        revision: Revision,
        header: &CommitHeader,
    ) {
        batch.put_cf(
            self.changelog,
            keys::encode_changelog_key(revision, keys::CHANGELOG_HEADER_CHUNK),
            codec::encode_header(header),
        );
        batch.put_cf(
            self.meta,
            keys::META_HEAD,
            codec::encode_u64(revision.get()),
        );
    }
}

/// Write options that return only once the write-ahead log is on disk.
pub(crate) fn durable() -> WriteOptions {
    let mut options = WriteOptions::default();
    options.set_sync(true);
    options
}
