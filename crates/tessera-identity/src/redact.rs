//! What may stand in logs for a secret: a short fingerprint, never the secret itself.

use sha2::{Digest, Sha256};

/// The SHA-256 digest of `secret`.
pub(crate) fn sha256(secret: &[u8]) -> [u8; 32] {
    Sha256::digest(secret).into()
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// A fingerprint of a token or key for logs: the first 8 bytes of its SHA-256, in hex.
///
/// Enough to correlate log lines about one credential; far too little to recover it, and a
/// digest rather than a prefix so that nothing of the secret itself is written.
pub(crate) fn fingerprint(secret: &str) -> String {
    hex(&sha256(secret.as_bytes())[..8])
}

/// The longest value taken from a credential (a key id, an algorithm name) that a
/// rejection repeats.
const MAX_CLIPPED_CHARS: usize = 64;

/// `value`, cut to a length fit for a log line: it comes from the caller, who may send
/// megabytes.
pub(crate) fn clip(value: &str) -> String {
    value.chars().take(MAX_CLIPPED_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_short_stable_and_reveal_nothing_of_the_secret() {
        let print = fingerprint("s3cret-token");
        assert_eq!(print.len(), 16);
        assert_eq!(print, fingerprint("s3cret-token"));
        assert_ne!(print, fingerprint("s3cret-tokem"));
        assert!(!print.contains("s3cret"));
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }
}
