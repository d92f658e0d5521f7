use std::sync::Arc;
use std::time::Duration;

use tessera_store::{Clock, GcWindow, SystemClock};

/// How a [`crate::RocksStore`] is tuned.
#[derive(Clone, Debug)]
pub struct RocksConfig {
    /// Size of the block cache shared by every column family, in bytes.
    pub block_cache_bytes: usize,
    /// Size of each memtable (write buffer), in bytes; bigger ones absorb bulk imports with
    /// fewer flushes.
    pub write_buffer_bytes: usize,
    /// Which revisions stay readable; versions only older ones can see are collected.
    pub gc_window: GcWindow,
    /// How often the background collector runs.
    pub gc_interval: Duration,
    /// Decides commit times, the GC window and relationship expiry.
    pub clock: Arc<dyn Clock>,
}

impl Default for RocksConfig {
    /// A 256 MiB block cache, 64 MiB memtables, a 24 h GC window collected every 3 minutes
    /// (SpiceDB's defaults for both), and the system clock.
    fn default() -> Self {
        Self {
            block_cache_bytes: 256 << 20,
            write_buffer_bytes: 64 << 20,
            gc_window: GcWindow::Duration(Duration::from_secs(24 * 60 * 60)),
            gc_interval: Duration::from_secs(3 * 60),
            clock: Arc::new(SystemClock),
        }
    }
}
