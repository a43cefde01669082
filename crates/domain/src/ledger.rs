//! The hash chain of the evidence ledger.
//!
//! Every signed record and state change appends an entry whose hash is SHA-256 over the
//! previous entry's hash (as lowercase hex), a newline, and the entry's canonical bytes. The
//! canonical bytes are the compact JSON of the entry's fields with object keys in sorted order,
//! so the same entry always hashes the same on any machine and database. The first entry
//! chains from [`GENESIS_HASH`].

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The previous-hash value of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of a ledger entry that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    /// The entry's position, from 1.
    pub sequence: i64,
    /// When it was appended, as fixed-width UTC RFC 3339 text.
    pub recorded_at: String,
    /// The user id that caused it, or `system` for background jobs and setup.
    pub actor: String,
    /// The action recorded, such as `designation.signed` or `deletion.refused`.
    pub action: String,
    /// The kind of record it concerns, such as `designation`.
    pub record_kind: String,
    /// The record's id.
    pub record_id: String,
    /// The record's content or the change, as JSON.
    pub payload: serde_json::Value,
}

impl LedgerEntry {
    /// Returns the canonical bytes the hash covers.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let mut bytes = Vec::new();
        write_canonical(&value, &mut bytes);
        bytes
    }

    /// Computes this entry's hash given the previous entry's hash.
    pub fn hash(&self, previous_hash: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(previous_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(self.canonical_bytes());
        hex::encode(hasher.finalize())
    }
}

/// Writes compact JSON with every object's keys in sorted order.
///
/// Sorting here, rather than relying on `serde_json::Map` being ordered, keeps hashes stable
/// when another crate in the build turns on serde_json's `preserve_order` feature, which
/// feature unification would apply to this crate too.
fn write_canonical(value: &serde_json::Value, out: &mut Vec<u8>) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (index, key) in keys.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(serde_json::Value::String(key.clone()).to_string().as_bytes());
                out.push(b':');
                write_canonical(&map[key], out);
            }
            out.push(b'}');
        }
        serde_json::Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

/// A stored entry with the hashes recorded beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// The entry.
    pub entry: LedgerEntry,
    /// The previous hash stored with it.
    pub previous_hash: String,
    /// The hash stored with it.
    pub hash: String,
}

/// The first mismatch found in a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// An entry's content does not produce its stored hash: the entry was changed.
    #[error("ledger entry {sequence} does not match its hash: its content was changed after it was recorded")]
    HashMismatch {
        /// The entry's sequence number.
        sequence: i64,
    },
    /// An entry does not point at the hash of the entry before it: an entry was removed,
    /// inserted or reordered.
    #[error("ledger entry {sequence} does not follow the entry before it: an entry was removed, inserted or reordered")]
    BrokenLink {
        /// The entry's sequence number.
        sequence: i64,
    },
    /// Sequence numbers skip or repeat.
    #[error("ledger entry {sequence} is out of sequence: expected {expected}")]
    Sequence {
        /// The sequence number found.
        sequence: i64,
        /// The sequence number expected.
        expected: i64,
    },
}

/// Walks stored entries in order and returns the number checked, or the first entry that does
/// not match.
pub fn verify_chain(entries: impl IntoIterator<Item = StoredEntry>) -> Result<u64, ChainError> {
    let mut previous = GENESIS_HASH.to_owned();
    let mut checked = 0;

    for stored in entries {
        let expected = checked as i64 + 1;
        if stored.entry.sequence != expected {
            return Err(ChainError::Sequence {
                sequence: stored.entry.sequence,
                expected,
            });
        }
        if stored.previous_hash != previous {
            return Err(ChainError::BrokenLink {
                sequence: stored.entry.sequence,
            });
        }
        if stored.entry.hash(&previous) != stored.hash {
            return Err(ChainError::HashMismatch {
                sequence: stored.entry.sequence,
            });
        }
        previous = stored.hash;
        checked += 1;
    }

    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(count: i64) -> Vec<StoredEntry> {
        let mut previous = GENESIS_HASH.to_owned();
        (1..=count)
            .map(|sequence| {
                let entry = LedgerEntry {
                    sequence,
                    recorded_at: "2026-12-04T19:20:00.000000Z".into(),
                    actor: "system".into(),
                    action: "test.appended".into(),
                    record_kind: "test".into(),
                    record_id: sequence.to_string(),
                    payload: serde_json::json!({"b": 1, "a": [sequence]}),
                };
                let hash = entry.hash(&previous);
                let stored = StoredEntry {
                    entry,
                    previous_hash: previous.clone(),
                    hash: hash.clone(),
                };
                previous = hash;
                stored
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(verify_chain(chain(5)), Ok(5));
    }

    #[test]
    fn changed_payload_is_named() {
        let mut entries = chain(5);
        entries[2].entry.payload = serde_json::json!({"a": [99]});

        assert_eq!(verify_chain(entries), Err(ChainError::HashMismatch { sequence: 3 }));
    }

    #[test]
    fn removed_entry_is_named() {
        let mut entries = chain(5);
        entries.remove(1);

        assert_eq!(verify_chain(entries), Err(ChainError::Sequence { sequence: 3, expected: 2 }));
    }

    #[test]
    fn canonical_bytes_sort_keys() {
        let entry = &chain(1)[0];
        let text = String::from_utf8(entry.entry.canonical_bytes()).unwrap();

        assert!(text.starts_with("{\"action\""), "{text}");
        assert!(text.contains("{\"a\":[1],\"b\":1}"), "{text}");
    }
}
