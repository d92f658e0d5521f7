//! Datastore identities: a random id given to a store when it is created, so that tokens
//! (ZedTokens, cursors) issued by one store can be told apart from another's.

use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// A new random datastore id: 32 lowercase hex digits.
///
/// The randomness comes from the standard library's per-process random hash keys (seeded by
/// the operating system), mixed with the time and the process id; that is plenty for an id
/// that only has to differ between stores, and needs no extra dependency.
pub fn new_datastore_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let half = |salt: u64| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        hasher.write_u64(salt);
        hasher.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_hex_and_differ() {
        let (a, b) = (new_datastore_id(), new_datastore_id());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
