//! Opening a store, its shared state, and the [`Datastore`] implementation.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use parking_lot::{Mutex, RwLock};
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType,
    DataBlockIndexType, Options, SliceTransform, WaitForCompactOptions, WriteBatch,
};
use tessera_store::{
    ChangeSet, Datastore, DeleteByFilter, DeleteOutcome, SchemaWrite, Snapshot, StoreError,
    StoredSchema, WriteTransaction,
};
use tessera_types::{Relationship, Revision, Timestamp};
use tokio::sync::watch;

use crate::batch::{self, Families};
use crate::codec::{self, CommitHeader};
use crate::commit::{self, Committed, Job, Request};
use crate::config::RocksConfig;
use crate::error::{self, storage};
use crate::gc::{self, GcStats};
use crate::import;
use crate::keys;
use crate::read::{RocksSnapshot, View};

/// State shared by the store handle, its snapshots, the committer and the collector.
pub(crate) struct Shared {
    pub(crate) db: DB,
    /// Fixed at creation and persisted, so tokens stay valid across restarts.
    datastore_id: String,
    pub(crate) dir: PathBuf,
    pub(crate) config: RocksConfig,
    /// INVARIANT: only moves forward, and only after everything up to it is durable.
    head: AtomicU64,
    /// INVARIANT: only moves forward, and is persisted before anything older is collected.
    oldest: AtomicU64,
    readers: Mutex<Readers>,
    head_tx: watch::Sender<Revision>,
    /// Held by the committer for each group and by a bulk import for its whole run: whoever
    /// holds it is the only writer of versions, changelog and head.
    pub(crate) writer: Mutex<WriterState>,
    /// Serialises garbage-collection passes.
    pub(crate) gc_lock: Mutex<()>,
    /// The newest schema, so reads at or above its revision skip a RocksDB seek (an
    /// iterator over every level) per request.
    /// INVARIANT: set before the head that makes it visible is published, and only to
    /// durable schemas; GC never collects the newest schema.
    pub(crate) latest_schema: RwLock<Option<Arc<StoredSchema>>>,
}

/// What the single writer remembers between commits.
#[derive(Debug)]
pub(crate) struct WriterState {
    /// The revision of the schema in force at the head.
    pub(crate) schema_revision: Option<Revision>,
    /// The commit time of the head; commit times never decrease, so they can be searched.
    pub(crate) last_committed_at: Timestamp,
    /// Set when data above the head could not be cleaned up: writing again could expose it,
    /// so every write fails until the store is reopened (which cleans up first).
    pub(crate) broken: Option<String>,
}

impl WriterState {
    /// Fails if writes must stop.
    pub(crate) fn check_usable(&self) -> Result<(), StoreError> {
        match &self.broken {
            Some(reason) => Err(StoreError::Io(format!(
                "writes are disabled until the store is reopened: {reason}"
            ))),
            None => Ok(()),
        }
    }
}

/// Open snapshots, so that garbage collection never removes what one of them can read.
#[derive(Default)]
struct Readers {
    next_ticket: u64,
    open: HashMap<u64, (Revision, Timestamp)>,
}

/// Where collection may go: see [`Shared::advance_oldest`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Horizon {
    /// The oldest readable revision, after advancing.
    pub(crate) oldest: Revision,
    /// Versions superseded at this revision are garbage: the oldest revision any open
    /// snapshot may still read.
    pub(crate) revision: Revision,
    /// Relationships expired at this instant are garbage: no open snapshot still sees them.
    pub(crate) expired_by: Timestamp,
}

impl Shared {
    /// The newest committed revision.
    pub(crate) fn head(&self) -> Revision {
        Revision::new(self.head.load(Ordering::Acquire))
    }

    /// The oldest readable revision.
    pub(crate) fn oldest(&self) -> Revision {
        Revision::new(self.oldest.load(Ordering::Acquire))
    }

    /// Makes `revision` (durable already) the head and tells subscribers.
    pub(crate) fn publish_head(&self, revision: Revision) {
        self.head.store(revision.get(), Ordering::Release);
        self.head_tx.send_replace(revision);
    }

    /// The column family `name`, which opening checked exists.
    pub(crate) fn cf(&self, name: &str) -> Result<&ColumnFamily, StoreError> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| StoreError::Corrupt(format!("column family `{name}` is missing")))
    }

    /// Registers a reader of `revision` judging expiry at `now`; returns its ticket.
    fn register_reader(&self, revision: Revision, now: Timestamp) -> Result<u64, StoreError> {
        let mut readers = self.readers.lock();
        // INVARIANT: checked under the lock that `advance_oldest` takes, so a registered
        // reader's revision is never below the horizon of a running collection.
        let (oldest, head) = (self.oldest(), self.head());
        if revision < oldest {
            return Err(StoreError::RevisionExpired {
                requested: revision,
                oldest,
            });
        }
        if revision > head {
            return Err(StoreError::RevisionInFuture {
                requested: revision,
                head,
            });
        }
        let ticket = readers.next_ticket;
        readers.next_ticket += 1;
        readers.open.insert(ticket, (revision, now));
        Ok(ticket)
    }

    /// Forgets the reader holding `ticket`.
    pub(crate) fn release_reader(&self, ticket: u64) {
        self.readers.lock().open.remove(&ticket);
    }

    /// Moves the oldest readable revision up to `candidate` (never back) and returns how far
    /// collection may go given the open snapshots.
    pub(crate) fn advance_oldest(&self, candidate: Revision, now: Timestamp) -> Horizon {
        let readers = self.readers.lock();
        let oldest = candidate.max(self.oldest());
        self.oldest.store(oldest.get(), Ordering::Release);
        let revision = readers
            .open
            .values()
            .map(|&(revision, _)| revision)
            .fold(oldest, Revision::min);
        let expired_by = readers
            .open
            .values()
            .map(|&(_, now)| now)
            .fold(now, Timestamp::min);
        Horizon {
            oldest,
            revision,
            expired_by,
        }
    }
}

/// The embedded RocksDB store: a [`Datastore`] with durable group commit, exact snapshot
/// reads at any revision of the GC window (also across restarts), and atomic bulk import.
///
/// Dropping it stops its background threads; the data directory stays locked until the
/// last snapshot taken from it is dropped too.
pub struct RocksStore {
    shared: Arc<Shared>,
    requests: Option<mpsc::Sender<Request>>,
    committer: Option<JoinHandle<()>>,
    gc_stop: Option<mpsc::Sender<()>>,
    collector: Option<JoinHandle<()>>,
}

impl RocksStore {
    /// Opens the store in `dir`, creating it if the directory is missing or empty.
    ///
    /// # Errors
    /// [`StoreError::Locked`] when another process has the store open;
    /// [`StoreError::Corrupt`] when the directory holds something else, a damaged store or a
    /// store of a newer on-disk format; [`StoreError::Io`] when the file system fails.
    pub fn open(dir: impl AsRef<Path>, config: RocksConfig) -> Result<Self, StoreError> {
        let dir = dir.as_ref().to_path_buf();
        let fresh = prepare_directory(&dir)?;
        let db = open_db(&dir, fresh, &config)?;
        let now = config.clock.now();
        let state = load_or_initialize(&db, &dir, now)?;
        let shared = Arc::new(Shared {
            db,
            datastore_id: state.datastore_id,
            dir,
            config,
            head: AtomicU64::new(state.head.get()),
            oldest: AtomicU64::new(state.oldest.get()),
            readers: Mutex::default(),
            head_tx: watch::Sender::new(state.head),
            writer: Mutex::new(WriterState {
                schema_revision: None,
                last_committed_at: now,
                broken: None,
            }),
            gc_lock: Mutex::new(()),
            latest_schema: RwLock::new(None),
        });
        if state.import_pending {
            import::discard_above_head(&shared)?;
        }
        {
            let head = View {
                shared: &shared,
                revision: state.head,
                now,
            };
            let mut writer = shared.writer.lock();
            let latest = head.schema()?;
            writer.schema_revision = latest.as_ref().map(|schema| schema.revision);
            *shared.latest_schema.write() = latest.map(Arc::new);
            writer.last_committed_at = commit_time(&shared, state.head)?;
        }

        let (requests, queue) = mpsc::channel();
        let committer = spawn("tessera-commit", {
            let shared = Arc::clone(&shared);
            move || commit::run(&shared, &queue)
        })?;
        let (gc_stop, stopped) = mpsc::channel();
        let collector = spawn("tessera-gc", {
            let shared = Arc::clone(&shared);
            move || gc::run(&shared, &stopped)
        })?;
        Ok(Self {
            shared,
            requests: Some(requests),
            committer: Some(committer),
            gc_stop: Some(gc_stop),
            collector: Some(collector),
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Runs one garbage-collection pass now (the background collector runs them every
    /// [`RocksConfig::gc_interval`]).
    ///
    /// # Errors
    /// Storage failures; nothing readable is lost on error.
    pub fn collect_garbage(&self) -> Result<GcStats, StoreError> {
        gc::collect(&self.shared)
    }

    /// The shared state, for the crate's own tests.
    #[cfg(test)]
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Flushes every memtable, compacts every column family fully and waits for the
    /// background work to finish, so that reads touch the fewest files: worth it after a
    /// bulk load. Reads and writes go on meanwhile.
    ///
    /// # Errors
    /// Storage failures.
    pub fn compact(&self) -> Result<(), StoreError> {
        let db = &self.shared.db;
        for name in keys::COLUMN_FAMILIES {
            let family = self.shared.cf(name)?;
            db.flush_cf(family).map_err(storage)?;
            db.compact_range_cf(family, None::<&[u8]>, None::<&[u8]>);
        }
        db.wait_for_compact(&WaitForCompactOptions::default())
            .map_err(storage)
    }

    fn submit(&self, job: Job) -> Result<Committed, StoreError> {
        let stopped = || StoreError::Io("the commit thread has stopped".to_owned());
        let (reply, answer) = mpsc::sync_channel(1);
        self.requests
            .as_ref()
            .ok_or_else(stopped)?
            .send(Request { job, reply })
            .map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())?
    }
}

impl Drop for RocksStore {
    fn drop(&mut self) {
        // Closing the channels tells each thread to finish; joining makes the close
        // deterministic for tests that reopen the directory.
        self.requests = None;
        self.gc_stop = None;
        for thread in [self.committer.take(), self.collector.take()]
            .into_iter()
            .flatten()
        {
            if thread.join().is_err() {
                tracing::error!("a tessera store thread panicked");
            }
        }
    }
}

impl fmt::Debug for RocksStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RocksStore")
            .field("dir", &self.shared.dir)
            .field("datastore_id", &self.shared.datastore_id)
            .field("head", &self.shared.head())
            .field("oldest", &self.shared.oldest())
            .finish_non_exhaustive()
    }
}

impl Datastore for RocksStore {
    fn datastore_id(&self) -> &str {
        &self.shared.datastore_id
    }

    fn head_revision(&self) -> Revision {
        self.shared.head()
    }

    fn oldest_revision(&self) -> Revision {
        self.shared.oldest()
    }

    fn snapshot(&self, revision: Revision) -> Result<Arc<dyn Snapshot>, StoreError> {
        let now = self.shared.config.clock.now();
        let ticket = self.shared.register_reader(revision, now)?;
        Ok(Arc::new(RocksSnapshot::new(
            Arc::clone(&self.shared),
            revision,
            now,
            ticket,
        )))
    }

    fn write(&self, transaction: WriteTransaction) -> Result<Revision, StoreError> {
        match self.submit(Job::Write(transaction))? {
            Committed::Revision(revision) => Ok(revision),
            Committed::Deleted(outcome) => Ok(outcome.revision),
        }
    }

    fn delete_by_filter(&self, delete: DeleteByFilter) -> Result<DeleteOutcome, StoreError> {
        match self.submit(Job::DeleteByFilter(delete))? {
            Committed::Deleted(outcome) => Ok(outcome),
            Committed::Revision(revision) => Ok(DeleteOutcome {
                revision,
                deleted: 0,
                complete: true,
            }),
        }
    }

    fn bulk_import(
        &self,
        relationships: &mut dyn Iterator<Item = Relationship>,
    ) -> Result<(Revision, u64), StoreError> {
        import::bulk_import(&self.shared, relationships)
    }

    fn write_schema(&self, schema: SchemaWrite) -> Result<Revision, StoreError> {
        match self.submit(Job::Schema(schema))? {
            Committed::Revision(revision) => Ok(revision),
            Committed::Deleted(outcome) => Ok(outcome.revision),
        }
    }

    fn changes_after(&self, after: Revision, limit: usize) -> Result<Vec<ChangeSet>, StoreError> {
        commit::changes_after(&self.shared, after, limit)
    }

    fn subscribe(&self) -> watch::Receiver<Revision> {
        self.shared.head_tx.subscribe()
    }
}

fn spawn(name: &str, work: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>, StoreError> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(work)
        .map_err(|err| StoreError::Io(format!("cannot start thread `{name}`: {err}")))
}

/// Creates `dir` if needed; returns whether it holds no store yet.
fn prepare_directory(dir: &Path) -> Result<bool, StoreError> {
    let mut entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(|err| error::directory(dir, "create", &err))?;
            return Ok(true);
        }
        Err(err) => return Err(error::directory(dir, "read", &err)),
    };
    if dir.join("CURRENT").exists() {
        return Ok(false);
    }
    // RocksDB names its `CURRENT` file last when it creates a database, before any data: a
    // directory holding only what comes before it is a creation that died, and starts over.
    let foreign = entries.find_map(|entry| {
        let name = entry.ok()?.file_name().to_string_lossy().into_owned();
        (!is_created_before_current(&name)).then_some(name)
    });
    match foreign {
        None => Ok(true),
        Some(name) if name.ends_with(".sst") || name.ends_with(".log") => {
            Err(StoreError::Corrupt(format!(
                "the store in `{}` has data files but no `CURRENT` file; restore it from a backup",
                dir.display()
            )))
        }
        Some(_) => Err(StoreError::Corrupt(format!(
            "`{}` is not empty but holds no tessera store; choose an empty directory or the \
             directory of an existing store",
            dir.display()
        ))),
    }
}

/// Whether RocksDB writes a file called `name` while creating a database, before `CURRENT`.
fn is_created_before_current(name: &str) -> bool {
    ["LOCK", "IDENTITY", "LOG"].contains(&name)
        || ["LOG.old.", "MANIFEST-", "OPTIONS-"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        || name.ends_with(".dbtmp")
}

fn open_db(dir: &Path, fresh: bool, config: &RocksConfig) -> Result<DB, StoreError> {
    let mut options = Options::default();
    options.create_if_missing(fresh);
    options.create_missing_column_families(fresh);
    // Two background jobs suit small machines; RocksDB splits them between flushes and
    // compactions.
    options.set_max_background_jobs(2);
    options.set_bytes_per_sync(1 << 20);

    let cache = Cache::new_lru_cache(config.block_cache_bytes);
    let existing = if fresh {
        Vec::new()
    } else {
        DB::list_cf(&options, dir).map_err(|err| error::open_failure(dir, err))?
    };
    // Open every column family that exists (a newer format may have added some, and the
    // format check below must get to say so) plus, on creation, ours.
    let mut names: Vec<String> = existing;
    if fresh {
        names.extend(keys::COLUMN_FAMILIES.iter().map(|name| (*name).to_owned()));
    }
    let descriptors = names
        .into_iter()
        .map(|name| {
            let options = column_family_options(&name, &cache, config);
            ColumnFamilyDescriptor::new(name, options)
        })
        .collect::<Vec<_>>();
    DB::open_cf_descriptors(&options, dir, descriptors).map_err(|err| error::open_failure(dir, err))
}

fn column_family_options(name: &str, cache: &Cache, config: &RocksConfig) -> Options {
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(cache);
    // Index and filter blocks stay in the table readers rather than the block cache: every
    // seek consults them, and a cache lookup per level per seek costs more than their
    // memory (a few bytes per key) is worth.
    let mut options = Options::default();
    options.set_compression_type(DBCompressionType::Lz4);
    options.set_write_buffer_size(config.write_buffer_bytes);
    options.set_level_compaction_dynamic_level_bytes(true);
    if name == keys::CF_LATEST {
        // Point lookups by whole key: a whole-key bloom filter (also in the memtable) skips
        // files without the tuple, a hash index finds it in its block without a search.
        table.set_bloom_filter(10.0, false);
        table.set_data_block_index_type(DataBlockIndexType::BinaryAndHash);
        options.set_memtable_prefix_bloom_ratio(0.1);
        options.set_memtable_whole_key_filtering(true);
    }
    if name == keys::CF_FORWARD || name == keys::CF_REVERSE {
        // Point lookups and batched reads seek within one resource relation (forward) or one
        // subject (reverse): a bloom filter on that prefix lets them skip files that lack it.
        // Whole-key filters would never be consulted (no read knows a whole version key).
        table.set_bloom_filter(10.0, false);
        table.set_whole_key_filtering(false);
        options.set_prefix_extractor(SliceTransform::create(
            "tessera.tuple_prefix.v1",
            keys::bloom_prefix,
            Some(keys::in_bloom_domain),
        ));
        options.set_memtable_prefix_bloom_ratio(0.1);
    }
    options.set_block_based_table_factory(&table);
    options
}

/// What opening learns from the meta column family.
struct OpenState {
    datastore_id: String,
    head: Revision,
    oldest: Revision,
    import_pending: bool,
}

/// Checks the format marker of an existing store, or writes the initial records of a new
/// one, and reads the head, the oldest revision and the import marker.
fn load_or_initialize(db: &DB, dir: &Path, now: Timestamp) -> Result<OpenState, StoreError> {
    let in_dir = |err: StoreError| match err {
        StoreError::Corrupt(message) => {
            StoreError::Corrupt(format!("the store in `{}`: {message}", dir.display()))
        }
        other => other,
    };
    let meta = db.cf_handle(keys::CF_META).ok_or_else(|| {
        in_dir(StoreError::Corrupt(
            "column family `meta` is missing".into(),
        ))
    })?;
    let get = |key: &[u8]| db.get_cf(meta, key).map_err(storage);
    match get(keys::META_FORMAT)? {
        Some(format) => codec::decode_format(&format).map_err(in_dir)?,
        None if get(keys::META_HEAD)?.is_none() => initialize(db, meta, now)?,
        None => {
            return Err(in_dir(StoreError::Corrupt(
                "the format marker is missing".into(),
            )));
        }
    }
    if let Some(missing) = keys::COLUMN_FAMILIES
        .iter()
        .find(|name| db.cf_handle(name).is_none())
    {
        return Err(in_dir(StoreError::Corrupt(format!(
            "column family `{missing}` is missing"
        ))));
    }
    let revision = |key: &[u8], what: &str| -> Result<Revision, StoreError> {
        let value = get(key)?
            .ok_or_else(|| in_dir(StoreError::Corrupt(format!("the {what} record is missing"))))?;
        codec::decode_u64(&value, what)
            .map(Revision::new)
            .map_err(in_dir)
    };
    let datastore_id = match get(keys::META_DATASTORE_ID)? {
        Some(id) => String::from_utf8(id)
            .map_err(|_| in_dir(StoreError::Corrupt("the datastore id is not UTF-8".into())))?,
        // Stores created before ids existed get one now, once.
        None => {
            let id = tessera_store::new_datastore_id();
            db.put_cf_opt(meta, keys::META_DATASTORE_ID, &id, &batch::durable())
                .map_err(storage)?;
            id
        }
    };
    Ok(OpenState {
        datastore_id,
        head: revision(keys::META_HEAD, "head revision")?,
        oldest: revision(keys::META_OLDEST, "oldest revision")?,
        import_pending: get(keys::META_IMPORT)?.is_some(),
    })
}

/// Writes the records of an empty store at revision 0, durably and at once.
fn initialize(db: &DB, meta: &ColumnFamily, now: Timestamp) -> Result<(), StoreError> {
    let changelog = db
        .cf_handle(keys::CF_CHANGELOG)
        .ok_or_else(|| StoreError::Corrupt("column family `changelog` is missing".into()))?;
    let mut batch = WriteBatch::default();
    batch.put_cf(meta, keys::META_FORMAT, codec::encode_format());
    batch.put_cf(
        meta,
        keys::META_DATASTORE_ID,
        tessera_store::new_datastore_id(),
    );
    batch.put_cf(meta, keys::META_HEAD, codec::encode_u64(0));
    batch.put_cf(meta, keys::META_OLDEST, codec::encode_u64(0));
    // INVARIANT: every revision from the oldest to the head has a changelog header; revision
    // 0's records when the store was created.
    batch.put_cf(
        changelog,
        keys::encode_changelog_key(Revision::ZERO, keys::CHANGELOG_HEADER_CHUNK),
        codec::encode_header(&CommitHeader {
            committed_at: now,
            schema_changed: false,
            metadata: None,
        }),
    );
    db.write_opt(batch, &batch::durable()).map_err(storage)
}

/// The commit time of `revision`, from its changelog header.
pub(crate) fn commit_time(shared: &Shared, revision: Revision) -> Result<Timestamp, StoreError> {
    let families = Families::of(shared)?;
    let key = keys::encode_changelog_key(revision, keys::CHANGELOG_HEADER_CHUNK);
    let value = shared
        .db
        .get_pinned_cf(families.changelog, key)
        .map_err(storage)?
        .ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the changelog header of revision {revision} is missing"
            ))
        })?;
    Ok(codec::decode_header(&value)?.committed_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Opens the raw database of a store in `dir`, to damage it.
    fn raw(dir: &Path) -> DB {
        DB::open_cf(&Options::default(), dir, keys::COLUMN_FAMILIES).unwrap()
    }

    fn open(dir: &Path) -> Result<RocksStore, StoreError> {
        RocksStore::open(dir, RocksConfig::default())
    }

    #[test]
    fn the_datastore_id_is_random_per_store_and_survives_reopening() {
        let (dir, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let id = open(dir.path()).unwrap().datastore_id().to_owned();
        assert_eq!(open(dir.path()).unwrap().datastore_id(), id);
        assert_ne!(open(other.path()).unwrap().datastore_id(), id);
    }

    #[test]
    fn a_store_of_a_newer_format_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        drop(open(dir.path()).unwrap());
        let db = raw(dir.path());
        let mut newer = codec::encode_format();
        *newer.last_mut().unwrap() += 1;
        db.put_cf(
            db.cf_handle(keys::CF_META).unwrap(),
            keys::META_FORMAT,
            newer,
        )
        .unwrap();
        drop(db);
        let err = open(dir.path()).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "store data is corrupt or unreadable: the store in `{}`: the store has on-disk \
                 format version 3, newer than the version 2 this build reads; run a newer tessera",
                dir.path().display()
            )
        );
    }

    #[test]
    fn a_store_without_its_format_marker_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(open(dir.path()).unwrap());
        let db = raw(dir.path());
        db.delete_cf(db.cf_handle(keys::CF_META).unwrap(), keys::META_FORMAT)
            .unwrap();
        drop(db);
        let err = open(dir.path()).unwrap_err().to_string();
        assert!(err.ends_with("the format marker is missing"), "{err}");
    }

    #[test]
    fn a_rocksdb_database_that_is_not_a_tessera_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut options = Options::default();
        options.create_if_missing(true);
        let db = DB::open(&options, dir.path()).unwrap();
        db.put(b"some", b"thing").unwrap();
        drop(db);
        let err = open(dir.path()).unwrap_err().to_string();
        assert!(err.ends_with("column family `meta` is missing"), "{err}");
    }

    #[test]
    fn a_store_of_a_newer_format_with_more_column_families_still_reports_its_version() {
        let dir = tempfile::tempdir().unwrap();
        drop(open(dir.path()).unwrap());
        let mut db = raw(dir.path());
        db.create_cf("from_the_future", &Options::default())
            .unwrap();
        let mut newer = codec::encode_format();
        *newer.last_mut().unwrap() += 1;
        db.put_cf(
            db.cf_handle(keys::CF_META).unwrap(),
            keys::META_FORMAT,
            newer,
        )
        .unwrap();
        drop(db);
        let err = open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("format version 3, newer"), "{err}");
    }
}
