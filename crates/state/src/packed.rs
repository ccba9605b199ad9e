//! The byte format of one unit's key states, stored as one SQLite row.
//!
//! A unit sets up to a few thousand keys. Stored as a row a key, SQLite's
//! cost per row (building the record, the B-tree insert, its share of the
//! WAL) was about 1 µs, a fifth of a first run of 100k records. Packed, a
//! unit is one insert of a blob, and a run's commit is one row flip
//! whatever its size (see `sqlite.rs`, "Key states").
//!
//! Entries, in the order the unit set them (a later one for the same key
//! wins), each:
//!
//! ```text
//! u32 LE  key length      then the key (UTF-8)
//! u8      0 = forgotten   (a delete: nothing follows)
//!         1 = hash        then 16 bytes, the hash big-endian
//!         2 = hash, bases then 16 bytes, u32 LE length, the bases as JSON
//! ```

use crate::KeyState;

const FORGOTTEN: u8 = 0;
const HASH: u8 = 1;
const HASH_BASES: u8 = 2;

/// Appends one entry to `out`.
pub fn push(out: &mut Vec<u8>, key: &str, state: Option<&KeyState>) {
    out.extend_from_slice(&len32(key.len()).to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    match state {
        None => out.push(FORGOTTEN),
        Some(s) if s.bases.is_empty() => {
            out.push(HASH);
            out.extend_from_slice(&s.hash.to_be_bytes());
        }
        Some(s) => {
            out.push(HASH_BASES);
            out.extend_from_slice(&s.hash.to_be_bytes());
            let json = serde_json::to_string(&s.bases).unwrap_or_default();
            out.extend_from_slice(&len32(json.len()).to_le_bytes());
            out.extend_from_slice(json.as_bytes());
        }
    }
}

/// A key of 4 GiB or more cannot be a target key (records are limited to
/// far less); saturating keeps `push` total, and `read` then refuses the
/// entry instead of misreading the ones after it.
fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Why a stored unit cannot be read: where it stopped making sense.
#[derive(Debug, PartialEq, Eq)]
pub struct Damaged {
    pub offset: usize,
    pub what: &'static str,
}

/// Calls `each` with every entry of `data`, in order. A cut or altered
/// blob is an error, never a panic and never a made-up entry.
pub fn read(data: &[u8], mut each: impl FnMut(&str, Option<KeyState>)) -> Result<usize, Damaged> {
    let mut at = 0usize;
    let mut n = 0usize;
    while at < data.len() {
        let start = at;
        let damaged = |what| Damaged {
            offset: start,
            what,
        };
        let len = u32_at(data, at).ok_or_else(|| damaged("key length"))? as usize;
        at += 4;
        let key = data
            .get(at..at.saturating_add(len))
            .ok_or_else(|| damaged("key"))?;
        let key = std::str::from_utf8(key).map_err(|_| damaged("key text"))?;
        at += len;
        let tag = *data.get(at).ok_or_else(|| damaged("entry kind"))?;
        at += 1;
        let state = match tag {
            FORGOTTEN => None,
            HASH | HASH_BASES => {
                let h: [u8; 16] = data
                    .get(at..at + 16)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| damaged("hash"))?;
                at += 16;
                let bases = if tag == HASH_BASES {
                    let len = u32_at(data, at).ok_or_else(|| damaged("bases length"))? as usize;
                    at += 4;
                    let json = data
                        .get(at..at.saturating_add(len))
                        .ok_or_else(|| damaged("two-way bases"))?;
                    at += len;
                    serde_json::from_slice(json).map_err(|_| damaged("two-way bases"))?
                } else {
                    Vec::new()
                };
                Some(KeyState {
                    hash: u128::from_be_bytes(h),
                    bases: bases.into_boxed_slice(),
                })
            }
            _ => return Err(damaged("entry kind")),
        };
        each(key, state);
        n += 1;
    }
    Ok(n)
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entries() -> impl Strategy<Value = Vec<(String, Option<KeyState>)>> {
        proptest::collection::vec(
            (
                "\\PC{0,12}",
                proptest::option::of((
                    any::<u128>(),
                    proptest::collection::vec(("\\PC{0,6}", "\\PC{0,6}"), 0..3),
                )),
            ),
            0..40,
        )
        .prop_map(|v| {
            v.into_iter()
                .map(|(k, s)| {
                    (
                        k,
                        s.map(|(hash, bases)| KeyState {
                            hash,
                            bases: bases.into(),
                        }),
                    )
                })
                .collect()
        })
    }

    fn pack(v: &[(String, Option<KeyState>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, s) in v {
            push(&mut out, k, s.as_ref());
        }
        out
    }

    proptest! {
        #[test]
        fn what_is_packed_reads_back_in_order(v in entries()) {
            let data = pack(&v);
            let mut got = Vec::new();
            let n = read(&data, |k, s| got.push((k.to_string(), s))).unwrap();
            prop_assert_eq!(n, v.len());
            prop_assert_eq!(got, v);
        }

        /// A cut blob is refused (or, cut between entries, reads as the
        /// entries before the cut); it never yields an entry it lacks.
        #[test]
        fn a_cut_blob_never_reads_as_something_else(v in entries(), cut in any::<prop::sample::Index>()) {
            let data = pack(&v);
            let at = cut.index(data.len() + 1);
            let mut got = Vec::new();
            if read(&data[..at], |k, s| got.push((k.to_string(), s))).is_ok() {
                prop_assert_eq!(&got[..], &v[..got.len()]);
                prop_assert_eq!(pack(&got).len(), at);
            }
        }

        #[test]
        fn any_bytes_are_an_answer_not_a_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = read(&data, |_, _| {});
        }
    }

    #[test]
    fn an_unknown_entry_kind_names_its_place() {
        let mut data = pack(&[("a".into(), None)]);
        data.extend_from_slice(&[1, 0, 0, 0, b'b', 7]);
        assert_eq!(
            read(&data, |_, _| {}),
            Err(Damaged {
                offset: 6,
                what: "entry kind"
            })
        );
    }
}
