//! Group commit: one thread drains the queue of pending transactions, checks each against the
//! head plus the earlier transactions of its group, gives the survivors consecutive revisions,
//! writes them in one synced batch, and only then publishes the new head and answers.
//!
//! Concurrent writers therefore share fsyncs (the group grows while the previous one syncs),
//! and readers never wait: they read at a published head, and versions above it are
//! invisible to them until the batch holding them is durable.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::{Arc, mpsc};

use rocksdb::WriteBatch;
use tessera_store::{
    Change, ChangeSet, DeleteByFilter, DeleteOutcome, Operation, Precondition, PreconditionKind,
    RelationshipFilter, SchemaWrite, StoreError, StoredSchema, Update, WriteTransaction,
};
use tessera_types::{Relationship, Revision, Timestamp};

use crate::batch::{self, CHANGES_PER_CHUNK, Families};
use crate::codec::{self, CommitHeader};
use crate::error::storage;
use crate::keys::{self, Index};
use crate::read::View;
use crate::store::Shared;

/// The most transactions one group (one batch, one fsync) holds.
const MAX_GROUP: usize = 512;

/// What a writer asks the committer to do.
#[derive(Debug)]
pub(crate) enum Job {
    Write(WriteTransaction),
    DeleteByFilter(DeleteByFilter),
    Schema(SchemaWrite),
}

/// What a job achieved.
#[derive(Debug)]
pub(crate) enum Committed {
    Revision(Revision),
    Deleted(DeleteOutcome),
}

/// A job and where to send its outcome.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) job: Job,
    pub(crate) reply: mpsc::SyncSender<Result<Committed, StoreError>>,
}

/// The committer thread: commits groups until every sender is gone.
pub(crate) fn run(shared: &Shared, queue: &mpsc::Receiver<Request>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        group.extend(queue.try_iter().take(MAX_GROUP - 1));
        let (jobs, replies): (Vec<_>, Vec<_>) = group
            .into_iter()
            .map(|request| (request.job, request.reply))
            .unzip();
        let outcomes = commit_group(shared, jobs);
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            // A writer that stopped waiting has nobody to tell.
            let _ = reply.send(outcome);
        }
    }
}

/// Commits what it can of `jobs`; returns one outcome per job, in order.
fn commit_group(shared: &Shared, jobs: Vec<Job>) -> Vec<Result<Committed, StoreError>> {
    let fail_all = |jobs: &[Job], err: &StoreError| {
        jobs.iter()
            .map(|_| Err(StoreError::Io(err.to_string())))
            .collect()
    };
    let mut writer = shared.writer.lock();
    if let Err(err) = writer.check_usable() {
        return fail_all(&jobs, &err);
    }
    let head = shared.head();
    let now = shared.config.clock.now();
    let committed_at = now.max(writer.last_committed_at);
    let mut group = match Group::new(shared, head, now, writer.schema_revision) {
        Ok(group) => group,
        Err(err) => return fail_all(&jobs, &err),
    };
    let mut outcomes: Vec<_> = jobs
        .into_iter()
        .map(|job| group.apply(job, committed_at))
        .collect();
    if group.revision == head {
        return outcomes;
    }
    let (revision, schema_revision, schema_text, batch) = (
        group.revision,
        group.schema_revision,
        group.schema_text,
        group.batch,
    );
    match shared.db.write_opt(batch, &batch::durable()) {
        Ok(()) => {
            writer.schema_revision = schema_revision;
            writer.last_committed_at = committed_at;
            if let (Some(text), Some(revision)) = (schema_text, schema_revision) {
                *shared.latest_schema.write() = Some(Arc::new(StoredSchema { text, revision }));
            }
            shared.publish_head(revision);
        }
        Err(err) => {
            // The batch may or may not be in the log: stop writing until a reopen sorts it
            // out, rather than reuse its revisions.
            let err = storage(err);
            tracing::error!(error = %err, "group commit failed");
            writer.broken = Some(err.to_string());
            for outcome in outcomes.iter_mut().filter(|outcome| outcome.is_ok()) {
                *outcome = Err(StoreError::Io(err.to_string()));
            }
        }
    }
    outcomes
}

/// A group being assembled: the state at the head plus what earlier jobs of the group wrote.
struct Group<'a> {
    view: View<'a>,
    families: Families<'a>,
    /// Forward tuple -> state after the group's earlier jobs (`None`: deleted).
    pending: HashMap<Vec<u8>, Option<Relationship>>,
    schema_revision: Option<Revision>,
    /// The text of the last schema the group writes, if any.
    schema_text: Option<String>,
    /// The last revision given out.
    revision: Revision,
    batch: WriteBatch,
}

/// One job's staged effects, applied to the group only if the whole job succeeds.
#[derive(Default)]
struct Staged {
    changes: Vec<Change>,
    states: HashMap<Vec<u8>, Option<Relationship>>,
    schema: Option<String>,
}

impl Staged {
    fn stage(&mut self, tuple: Vec<u8>, change: Change) {
        let state = match &change {
            Change::Touch(relationship) => Some(relationship.clone()),
            Change::Delete(_) => None,
        };
        self.states.insert(tuple, state);
        self.changes.push(change);
    }
}

impl<'a> Group<'a> {
    fn new(
        shared: &'a Shared,
        head: Revision,
        now: Timestamp,
        schema_revision: Option<Revision>,
    ) -> Result<Self, StoreError> {
        let view = View {
            shared,
            revision: head,
            now,
        };
        Ok(Self {
            families: Families::of(shared)?,
            view,
            pending: HashMap::new(),
            schema_revision,
            schema_text: None,
            revision: head,
            batch: WriteBatch::default(),
        })
    }

    /// Checks and stages `job` at the next revision.
    fn apply(&mut self, job: Job, committed_at: Timestamp) -> Result<Committed, StoreError> {
        let revision = self.revision.next();
        let mut staged = Staged::default();
        let (metadata, committed) = match job {
            Job::Write(transaction) => {
                if let (Some(expected), Some(current)) =
                    (transaction.schema_revision, self.schema_revision)
                {
                    if current > expected {
                        return Err(StoreError::SchemaChanged { current });
                    }
                }
                self.check(&transaction.preconditions)?;
                for update in transaction.updates {
                    self.stage_update(&mut staged, update)?;
                }
                (transaction.metadata, Committed::Revision(revision))
            }
            Job::DeleteByFilter(delete) => {
                self.check(&delete.preconditions)?;
                let (deleted, complete) = self.stage_delete(&mut staged, &delete)?;
                let outcome = DeleteOutcome {
                    revision,
                    deleted,
                    complete,
                };
                (delete.metadata, Committed::Deleted(outcome))
            }
            Job::Schema(schema) => {
                self.check(&schema.preconditions)?;
                staged.schema = Some(schema.text);
                (None, Committed::Revision(revision))
            }
        };
        let header = CommitHeader {
            committed_at,
            schema_changed: staged.schema.is_some(),
            metadata,
        };
        self.commit(staged, revision, &header);
        Ok(committed)
    }

    /// Adds `staged` to the batch at `revision`.
    fn commit(&mut self, staged: Staged, revision: Revision, header: &CommitHeader) {
        for change in &staged.changes {
            self.families.put_change(&mut self.batch, revision, change);
        }
        for (chunk, changes) in (1..).zip(staged.changes.chunks(CHANGES_PER_CHUNK)) {
            self.families
                .put_change_chunk(&mut self.batch, revision, chunk, changes);
        }
        if let Some(text) = &staged.schema {
            self.batch.put_cf(
                self.families.schema,
                keys::encode_schema_key(revision),
                codec::encode_schema(text),
            );
            self.schema_revision = Some(revision);
            self.schema_text = Some(text.clone());
        }
        self.families.put_commit(&mut self.batch, revision, header);
        self.pending.extend(staged.states);
        self.revision = revision;
    }

    /// The live, unexpired state of `relationship`'s tuple before the staged job's next update.
    fn current(
        &self,
        staged: &Staged,
        tuple: &[u8],
        relationship: &Relationship,
    ) -> Result<Option<Relationship>, StoreError> {
        let state = match staged.states.get(tuple).or_else(|| self.pending.get(tuple)) {
            Some(state) => state.clone(),
            None => self
                .view
                .find_tuple(tuple)?
                .map(|attributes| attributes.attach(relationship.clone())),
        };
        Ok(state.filter(|relationship| !relationship.is_expired_at(self.view.now)))
    }

    fn stage_update(&mut self, staged: &mut Staged, update: Update) -> Result<(), StoreError> {
        let tuple = Index::Forward.encode_relationship_tuple(&update.relationship);
        let current = self.current(staged, &tuple, &update.relationship)?;
        match (update.operation, current) {
            (Operation::Create, Some(_)) => {
                return Err(StoreError::AlreadyExists(Box::new(update.relationship)));
            }
            (Operation::Create | Operation::Touch, _) => {
                staged.stage(tuple, Change::Touch(update.relationship));
            }
            (Operation::Delete, Some(existing)) => staged.stage(tuple, Change::Delete(existing)),
            (Operation::Delete, None) => {}
        }
        Ok(())
    }

    /// Stages the deletion of what `delete` matches; returns how many and whether that is all.
    fn stage_delete(
        &mut self,
        staged: &mut Staged,
        delete: &DeleteByFilter,
    ) -> Result<(u64, bool), StoreError> {
        // One more than the limit tells whether the limit leaves matches behind.
        let wanted = delete
            .limit
            .map(|limit| usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX));
        let mut matches = self.matching(staged, &delete.filter, wanted)?;
        let mut complete = true;
        if let Some(limit) = delete.limit {
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            if matches.len() > limit {
                if !delete.allow_partial {
                    return Err(StoreError::TooManyToDelete {
                        limit: delete.limit.unwrap_or_default(),
                    });
                }
                matches.truncate(limit);
                complete = false;
            }
        }
        let deleted = matches.len() as u64;
        for (tuple, relationship) in matches {
            staged.stage(tuple, Change::Delete(relationship));
        }
        Ok((deleted, complete))
    }

    /// Fails on the first precondition that does not hold.
    fn check(&self, preconditions: &[Precondition]) -> Result<(), StoreError> {
        for precondition in preconditions {
            let matched = !self
                .matching(&Staged::default(), &precondition.filter, Some(1))?
                .is_empty();
            if matched != (precondition.kind == PreconditionKind::MustMatch) {
                return Err(StoreError::PreconditionFailed(Box::new(
                    precondition.clone(),
                )));
            }
        }
        Ok(())
    }

    /// Up to `wanted` live relationships matching `filter` (all when `None`), in store order,
    /// with their forward tuples.
    fn matching(
        &self,
        staged: &Staged,
        filter: &RelationshipFilter,
        wanted: Option<usize>,
    ) -> Result<Vec<(Vec<u8>, Relationship)>, StoreError> {
        let pending = |tuple: &[u8]| staged.states.get(tuple).or_else(|| self.pending.get(tuple));
        let mut found = Vec::new();
        self.view.scan_filtered(filter, None, &mut |relationship| {
            let tuple = Index::Forward.encode_relationship_tuple(&relationship);
            // A tuple the group already changed is judged by its pending state below.
            if pending(&tuple).is_none() {
                found.push((tuple, relationship));
                if wanted.is_some_and(|wanted| found.len() >= wanted) {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        })?;
        let group_only = self
            .pending
            .keys()
            .filter(|tuple| !staged.states.contains_key(*tuple));
        for tuple in staged.states.keys().chain(group_only) {
            if let Some(Some(relationship)) = pending(tuple) {
                let live = !relationship.is_expired_at(self.view.now);
                if live && filter.matches(relationship) {
                    found.push((tuple.clone(), relationship.clone()));
                }
            }
        }
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if let Some(wanted) = wanted {
            found.truncate(wanted);
        }
        Ok(found)
    }
}

/// Up to `limit` committed revisions after `after`, from the changelog.
pub(crate) fn changes_after(
    shared: &Shared,
    after: Revision,
    limit: usize,
) -> Result<Vec<ChangeSet>, StoreError> {
    let (oldest, head) = (shared.oldest(), shared.head());
    if after < oldest {
        return Err(StoreError::RevisionExpired {
            requested: after,
            oldest,
        });
    }
    if after > head {
        return Err(StoreError::RevisionInFuture {
            requested: after,
            head,
        });
    }
    let families = Families::of(shared)?;
    let mut iter = shared.db.raw_iterator_cf(families.changelog);
    let mut sets: Vec<ChangeSet> = Vec::new();
    iter.seek(keys::encode_changelog_key(
        after.next(),
        keys::CHANGELOG_HEADER_CHUNK,
    ));
    while let Some((key, value)) = iter.item() {
        let (revision, chunk) = keys::decode_changelog_key(key)?;
        // Revisions above the head belong to a commit not yet published.
        if revision > head {
            break;
        }
        if chunk == keys::CHANGELOG_HEADER_CHUNK {
            if sets.len() == limit {
                break;
            }
            let header = codec::decode_header(value)?;
            sets.push(ChangeSet {
                revision,
                changes: Vec::new(),
                schema_changed: header.schema_changed,
                metadata: header.metadata,
            });
        } else {
            match sets.last_mut() {
                Some(set) if set.revision == revision => {
                    codec::decode_changes(value, &mut set.changes)?;
                }
                _ => {
                    return Err(StoreError::Corrupt(format!(
                        "changelog chunk {chunk} of revision {revision} has no header"
                    )));
                }
            }
        }
        iter.next();
    }
    iter.status().map_err(storage)?;
    Ok(sets)
}
