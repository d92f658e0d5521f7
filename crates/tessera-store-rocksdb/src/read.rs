//! The read path: the newest version at or below a revision, per tuple, over the indexes.

use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;

use rocksdb::{DB, DBRawIteratorWithThreadMode, ReadOptions};
use tessera_store::{
    RelationshipFilter, ResourceQuery, Sink, Snapshot, StoreError, StoredSchema, SubjectQuery,
    SubjectRelationFilter,
};
use tessera_types::{ObjectRef, Relationship, Revision, SubjectRef, Timestamp};

use crate::codec::{self, Attributes};
use crate::error::storage;
use crate::keys::{self, ELLIPSIS_COMPONENT, Index};
use crate::store::Shared;

pub(crate) type RawIterator<'a> = DBRawIteratorWithThreadMode<'a, DB>;

/// After this many older versions of one tuple, a scan seeks past the rest instead of
/// stepping: most tuples have one or two versions, a hot one may have thousands.
const NEXT_BEFORE_SEEK: usize = 4;

/// What a visitor of relationships answers.
pub(crate) type Visit<'v> = dyn FnMut(Relationship) -> ControlFlow<()> + 'v;

/// How an iterator will be used, which decides whether bloom filters may be consulted.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope {
    /// Every seek stays within one bloom prefix (see [`keys::bloom_prefix`]).
    Prefix,
    /// Scans may cross bloom prefixes.
    Total,
}

impl Scope {
    /// The scope of a scan of every key starting with `prefix`.
    fn of_prefix(prefix: &[u8]) -> Self {
        if keys::in_bloom_domain(prefix) {
            Scope::Prefix
        } else {
            Scope::Total
        }
    }
}

/// The store as of one revision, with expiry judged at one instant.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) revision: Revision,
    pub(crate) now: Timestamp,
}

impl Shared {
    /// An iterator over `index`.
    pub(crate) fn iterator(
        &self,
        index: Index,
        scope: Scope,
    ) -> Result<RawIterator<'_>, StoreError> {
        let family = self.cf(index.column_family())?;
        let mut options = ReadOptions::default();
        match scope {
            Scope::Prefix => options.set_prefix_same_as_start(true),
            Scope::Total => options.set_total_order_seek(true),
        }
        Ok(self.db.raw_iterator_cf_opt(family, options))
    }
}

impl<'a> View<'a> {
    /// An iterator over `index`.
    pub(crate) fn iterator(
        &self,
        index: Index,
        scope: Scope,
    ) -> Result<RawIterator<'a>, StoreError> {
        self.shared.iterator(index, scope)
    }

    /// The attributes of `tuple` if it is live and unexpired in this view: one `get` of its
    /// latest version, and a seek in the forward index only when that is newer than the view.
    pub(crate) fn find_tuple(&self, tuple: &[u8]) -> Result<Option<Attributes>, StoreError> {
        let latest = self.shared.cf(keys::CF_LATEST)?;
        let Some(value) = self
            .shared
            .db
            .get_pinned_cf(latest, tuple)
            .map_err(storage)?
        else {
            return Ok(None);
        };
        let (revision, version) = codec::decode_latest(&value)?;
        if revision <= self.revision {
            return Ok(codec::decode_version(version)?.visible_at(self.now));
        }
        let mut iter = self.iterator(Index::Forward, Scope::Prefix)?;
        iter.seek(keys::version_key(tuple, self.revision));
        match iter.item() {
            Some((key, value)) if keys::is_version_of(key, tuple) => {
                Ok(codec::decode_version(value)?.visible_at(self.now))
            }
            _ => iter.status().map(|()| None).map_err(storage),
        }
    }

    /// Visits, in key order, the version in this view of every tuple whose key starts with
    /// `prefix`, from the key `start` on, skipping deleted and expired relationships.
    pub(crate) fn scan(
        &self,
        iter: &mut RawIterator<'_>,
        index: Index,
        prefix: &[u8],
        start: &[u8],
        visit: &mut Visit<'_>,
    ) -> Result<ControlFlow<()>, StoreError> {
        let mut tuple = Vec::new();
        iter.seek(start);
        while let Some((key, value)) = iter.item() {
            if !key.starts_with(prefix) {
                break;
            }
            let (key_tuple, revision) = keys::split_version_key(key)?;
            if revision > self.revision {
                // Written after this view: jump to the version in force at it.
                iter.seek(keys::version_key(key_tuple, self.revision));
                continue;
            }
            let visible = codec::decode_version(value)?.visible_at(self.now);
            tuple.clear();
            tuple.extend_from_slice(key_tuple);
            if let Some(attributes) = visible {
                let relationship = attributes.attach(index.decode_tuple(&tuple)?);
                if visit(relationship).is_break() {
                    return Ok(ControlFlow::Break(()));
                }
            }
            skip_older_versions(iter, &tuple);
        }
        iter.status().map_err(storage)?;
        Ok(ControlFlow::Continue(()))
    }

    /// `resource#relation@subject` if it exists in this view.
    pub(crate) fn find(
        &self,
        resource: &ObjectRef,
        relation: &str,
        subject: &SubjectRef,
    ) -> Result<Option<Relationship>, StoreError> {
        let tuple = Index::Forward.encode_tuple(resource, relation, subject);
        let found = self.find_tuple(&tuple)?;
        found
            .map(|attributes| {
                Relationship::new(resource.clone(), relation, subject.clone())
                    .map(|bare| attributes.attach(bare))
                    .map_err(|err| StoreError::Corrupt(err.to_string()))
            })
            .transpose()
    }

    /// The relationships of `resource_type:{ids}#relation`, in store order.
    pub(crate) fn read_resources(
        &self,
        query: &ResourceQuery<'_>,
        visit: &mut Visit<'_>,
    ) -> Result<(), StoreError> {
        self.scan_each_id(Index::Forward, query.resource_ids, visit, |id| {
            let mut prefix = keys::encode_components(&[query.resource_type, id, query.relation]);
            if let Some(selector) = query.subject {
                keys::push_component(&mut prefix, selector.subject_type);
                keys::push_component(
                    &mut prefix,
                    selector.subject_relation.unwrap_or(ELLIPSIS_COMPONENT),
                );
            }
            prefix
        })
    }

    /// The relationships `resource_type:?#relation@subject_type:{ids}#subject_relation`, by
    /// subject id, then in store order: the reverse index's own order.
    pub(crate) fn read_subjects(
        &self,
        query: &SubjectQuery<'_>,
        visit: &mut Visit<'_>,
    ) -> Result<(), StoreError> {
        self.scan_each_id(Index::Reverse, query.subject_ids, visit, |id| {
            keys::encode_components(&[
                query.subject_type,
                id,
                query.subject_relation.unwrap_or(ELLIPSIS_COMPONENT),
                query.resource_type,
                query.relation,
            ])
        })
    }

    /// Scans the prefix of each distinct id, in id order, with one iterator.
    fn scan_each_id(
        &self,
        index: Index,
        ids: &[&str],
        visit: &mut Visit<'_>,
        prefix_of: impl Fn(&str) -> Vec<u8>,
    ) -> Result<(), StoreError> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut iter = self.iterator(index, Scope::Prefix)?;
        for id in ids {
            let prefix = prefix_of(id);
            if self
                .scan(&mut iter, index, &prefix, &prefix, visit)?
                .is_break()
            {
                break;
            }
        }
        Ok(())
    }

    /// Visits the relationships matching `filter`, in store order, strictly after `after`.
    pub(crate) fn scan_filtered(
        &self,
        filter: &RelationshipFilter,
        after: Option<&Relationship>,
        visit: &mut Visit<'_>,
    ) -> Result<(), StoreError> {
        let after = after.map(|after| Index::Forward.encode_relationship_tuple(after));
        if filter.resource_type.is_none() {
            if let Some(subject) = &filter.subject {
                return self.scan_by_subject(filter, subject, after.as_deref(), visit);
            }
        }
        let prefix = forward_prefix(filter);
        let start = match &after {
            Some(after) => keys::after_tuple(after).max(prefix.clone()),
            None => prefix.clone(),
        };
        let mut iter = self.iterator(Index::Forward, Scope::of_prefix(&prefix))?;
        let mut matching = |relationship: Relationship| {
            if filter.matches(&relationship) {
                visit(relationship)
            } else {
                ControlFlow::Continue(())
            }
        };
        self.scan(&mut iter, Index::Forward, &prefix, &start, &mut matching)
            .map(drop)
    }

    /// [`View::scan_filtered`] for filters without a resource type: through the reverse
    /// index, then sorted into store order.
    fn scan_by_subject(
        &self,
        filter: &RelationshipFilter,
        subject: &tessera_store::SubjectFilter,
        after: Option<&[u8]>,
        visit: &mut Visit<'_>,
    ) -> Result<(), StoreError> {
        let mut prefix = keys::encode_components(&[subject.subject_type.as_str()]);
        if let Some(id) = &subject.subject_id {
            keys::push_component(&mut prefix, id);
            match &subject.relation {
                Some(SubjectRelationFilter::Ellipsis) => {
                    keys::push_component(&mut prefix, ELLIPSIS_COMPONENT);
                }
                Some(SubjectRelationFilter::Named(relation)) => {
                    keys::push_component(&mut prefix, relation);
                }
                None => {}
            }
        }
        let mut iter = self.iterator(Index::Reverse, Scope::of_prefix(&prefix))?;
        let mut found = Vec::new();
        self.scan(
            &mut iter,
            Index::Reverse,
            &prefix,
            &prefix,
            &mut |relationship| {
                if filter.matches(&relationship) {
                    let tuple = Index::Forward.encode_relationship_tuple(&relationship);
                    if after.is_none_or(|after| tuple.as_slice() > after) {
                        found.push((tuple, relationship));
                    }
                }
                ControlFlow::Continue(())
            },
        )
        .map(drop)?;
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (_, relationship) in found {
            if visit(relationship).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// The schema in force in this view.
    pub(crate) fn schema(&self) -> Result<Option<StoredSchema>, StoreError> {
        if let Some(latest) = self.shared.latest_schema.read().as_ref() {
            if latest.revision <= self.revision {
                return Ok(Some(StoredSchema::clone(latest)));
            }
        }
        let family = self.shared.cf(keys::CF_SCHEMA)?;
        let mut iter = self.shared.db.raw_iterator_cf(family);
        iter.seek_for_prev(keys::encode_schema_key(self.revision));
        match iter.item() {
            Some((key, value)) => Ok(Some(StoredSchema {
                revision: keys::decode_schema_key(key)?,
                text: codec::decode_schema(value)?,
            })),
            None => iter.status().map(|()| None).map_err(storage),
        }
    }
}

/// The longest key prefix shared by every forward key `filter` can match.
fn forward_prefix(filter: &RelationshipFilter) -> Vec<u8> {
    let mut prefix = Vec::new();
    let Some(resource_type) = &filter.resource_type else {
        return prefix;
    };
    keys::push_component(&mut prefix, resource_type);
    let Some(resource_id) = &filter.resource_id else {
        if let Some(id_prefix) = &filter.resource_id_prefix {
            keys::push_escaped(&mut prefix, id_prefix);
        }
        return prefix;
    };
    let subject = filter.subject.as_ref();
    let subject_relation = subject.and_then(|subject| match &subject.relation {
        Some(SubjectRelationFilter::Ellipsis) => Some(ELLIPSIS_COMPONENT),
        Some(SubjectRelationFilter::Named(relation)) => Some(relation.as_str()),
        None => None,
    });
    // Forward order after the resource id; the prefix stops at the first unknown component.
    let rest = [
        filter.relation.as_deref(),
        subject.map(|subject| subject.subject_type.as_str()),
        subject_relation,
        subject.and_then(|subject| subject.subject_id.as_deref()),
    ];
    keys::push_component(&mut prefix, resource_id);
    for component in rest.into_iter().map_while(|component| component) {
        keys::push_component(&mut prefix, component);
    }
    prefix
}

/// Moves `iter` from a version of `tuple` to the first key of the next tuple.
fn skip_older_versions(iter: &mut RawIterator<'_>, tuple: &[u8]) {
    for _ in 0..NEXT_BEFORE_SEEK {
        iter.next();
        if !iter
            .key()
            .is_some_and(|key| keys::is_version_of(key, tuple))
        {
            return;
        }
    }
    iter.seek(keys::after_tuple(tuple));
}

/// A [`Snapshot`] of a [`crate::RocksStore`]; registered with the store so that garbage
/// collection keeps what it reads until it is dropped.
pub(crate) struct RocksSnapshot {
    shared: Arc<Shared>,
    revision: Revision,
    now: Timestamp,
    ticket: u64,
}

impl RocksSnapshot {
    /// A snapshot at `revision`, reading expiry at `now`, holding reader `ticket`.
    pub(crate) fn new(
        shared: Arc<Shared>,
        revision: Revision,
        now: Timestamp,
        ticket: u64,
    ) -> Self {
        Self {
            shared,
            revision,
            now,
            ticket,
        }
    }

    fn view(&self) -> View<'_> {
        View {
            shared: &self.shared,
            revision: self.revision,
            now: self.now,
        }
    }
}

impl Drop for RocksSnapshot {
    fn drop(&mut self) {
        self.shared.release_reader(self.ticket);
    }
}

impl fmt::Debug for RocksSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RocksSnapshot")
            .field("revision", &self.revision)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl Snapshot for RocksSnapshot {
    fn revision(&self) -> Revision {
        self.revision
    }

    fn find(
        &self,
        resource: &ObjectRef,
        relation: &str,
        subject: &SubjectRef,
    ) -> Result<Option<Relationship>, StoreError> {
        self.view().find(resource, relation, subject)
    }

    fn read_resources(
        &self,
        query: &ResourceQuery<'_>,
        sink: &mut Sink<'_>,
    ) -> Result<(), StoreError> {
        self.view().read_resources(query, sink)
    }

    fn read_subjects(
        &self,
        query: &SubjectQuery<'_>,
        sink: &mut Sink<'_>,
    ) -> Result<(), StoreError> {
        self.view().read_subjects(query, sink)
    }

    fn read_filtered(
        &self,
        filter: &RelationshipFilter,
        after: Option<&Relationship>,
        limit: Option<usize>,
    ) -> Result<Vec<Relationship>, StoreError> {
        let mut found = Vec::new();
        if limit == Some(0) {
            return Ok(found);
        }
        self.view()
            .scan_filtered(filter, after, &mut |relationship| {
                found.push(relationship);
                if limit.is_some_and(|limit| found.len() >= limit) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })?;
        Ok(found)
    }

    fn schema(&self) -> Result<Option<StoredSchema>, StoreError> {
        self.view().schema()
    }
}
