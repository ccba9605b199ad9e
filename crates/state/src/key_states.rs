//! The key states of one scope as a run holds them, in memory that does not
//! grow with the number of keys.
//!
//! A run asks for the state of each key it writes, so it needs them all at
//! hand; a million of them in a hash map took 150 MiB. Here each key's
//! entry (its hash, and where its full state is) is in a
//! `mapc_keyindex::KeyIndex` keyed by the XXH3-128 of the key text, and the
//! full state (key text and bases, in the byte format of `packed.rs`) is
//! appended to a scratch file, the *heap*, read back only for a key with
//! bases or when every key is walked (deletes, compaction). Both are
//! scratch: files without a name, gone with the process.

use crate::{packed, KeyState};
use mapc_keyindex::{KeyIndex, ScratchLog};
use std::io::{self, BufReader, Read, Seek, SeekFrom};

/// `[0]` what the key is ([`GONE`], [`HASH`], [`BASES`]), `[1..17]` the
/// hash, `[17..25]` and `[25..29]` the heap entry's offset and length.
type Entry = [u8; 29];

/// Forgotten (an entry that shadows an older one of the key).
const GONE: u8 = 0;
/// Known, with no bases.
const HASH: u8 = 1;
/// Known, with bases: read them from the heap.
const BASES: u8 = 2;

/// Heap bytes held in memory before they are written.
const CHUNK: usize = 1 << 20;

pub struct KeyStates {
    index: KeyIndex<29>,
    heap: Heap,
    live: usize,
    /// A change failed half way (a scratch file could not be written): the
    /// count or the entries may be off, so every later call fails too.
    broken: bool,
}

impl Default for KeyStates {
    fn default() -> KeyStates {
        KeyStates::new()
    }
}

impl std::fmt::Debug for KeyStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyStates({} keys)", self.live)
    }
}

fn id(key: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(key.as_bytes())
}

impl KeyStates {
    pub fn new() -> KeyStates {
        KeyStates {
            index: KeyIndex::new(None),
            heap: Heap::default(),
            live: 0,
            broken: false,
        }
    }

    /// How many keys are known.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn usable(&self) -> io::Result<()> {
        if self.broken {
            return Err(io::Error::other(
                "the key states were left incomplete by a failed scratch file",
            ));
        }
        Ok(())
    }

    /// Sets the state of `key` (a later insert of a key wins).
    pub fn insert(&mut self, key: &str, state: &KeyState) -> io::Result<()> {
        self.usable()?;
        let done = self.set(key, state);
        self.broken |= done.is_err();
        done
    }

    fn set(&mut self, key: &str, state: &KeyState) -> io::Result<()> {
        let mut record = Vec::new();
        packed::push(&mut record, key, Some(state));
        let len = u32::try_from(record.len())
            .ok()
            .filter(|l| *l < u32::MAX)
            .ok_or_else(|| io::Error::other(format!("the state of key `{key}` is over 4 GiB")))?;
        let off = self.heap.append(&record, len)?;
        let mut e: Entry = [0; 29];
        e[0] = if state.bases.is_empty() { HASH } else { BASES };
        e[1..17].copy_from_slice(&state.hash.to_le_bytes());
        e[17..25].copy_from_slice(&off.to_le_bytes());
        e[25..29].copy_from_slice(&len.to_le_bytes());
        let old = self.index.replace(id(key), e)?;
        let was_known = matches!(old, Some(o) if o[0] != GONE);
        if !was_known {
            self.live += 1;
        }
        Ok(())
    }

    /// Forgets `key`.
    pub fn remove(&mut self, key: &str) -> io::Result<()> {
        self.usable()?;
        let done = self.forget(key);
        self.broken |= done.is_err();
        done
    }

    fn forget(&mut self, key: &str) -> io::Result<()> {
        let id = id(key);
        if self.index.get(id)?.is_some_and(|o| o[0] != GONE) {
            self.index.insert(id, [0; 29])?;
            self.live -= 1;
        }
        Ok(())
    }

    pub fn contains_key(&self, key: &str) -> io::Result<bool> {
        self.usable()?;
        Ok(self.index.get(id(key))?.is_some_and(|e| e[0] != GONE))
    }

    /// The hash `key` was last written with.
    pub fn hash(&self, key: &str) -> io::Result<Option<u128>> {
        self.usable()?;
        Ok(self
            .index
            .get(id(key))?
            .filter(|e| e[0] != GONE)
            .map(|e| hash_of(&e)))
    }

    /// The whole state of `key`.
    pub fn get(&self, key: &str) -> io::Result<Option<KeyState>> {
        self.usable()?;
        let Some(e) = self.index.get(id(key))? else {
            return Ok(None);
        };
        match e[0] {
            GONE => Ok(None),
            HASH => Ok(Some(KeyState {
                hash: hash_of(&e),
                bases: Box::default(),
            })),
            _ => {
                let (off, len) = place_of(&e);
                let record = self.heap.read(off, len)?;
                let mut out = None;
                let mut same = false;
                packed::read(&record, |k, s| {
                    same = k == key;
                    out = s;
                })
                .map_err(damaged)?;
                if !same {
                    return Err(io::Error::other(format!(
                        "a scratch file of the key states gave another key for `{key}`"
                    )));
                }
                Ok(out)
            }
        }
    }

    /// Every known key with its state, in the order they were inserted.
    pub fn for_each(&mut self, mut each: impl FnMut(&str, KeyState)) -> io::Result<()> {
        self.usable()?;
        let mut r = self.heap.reader()?;
        let mut off = 0u64;
        let mut len = [0u8; 4];
        let mut record = Vec::new();
        loop {
            match r.read_exact(&mut len) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) => return Err(e),
            }
            let n = u32::from_le_bytes(len) as usize;
            record.resize(n, 0);
            r.read_exact(&mut record)?;
            let mut found: Option<(String, Option<KeyState>)> = None;
            packed::read(&record, |k, s| found = Some((k.to_string(), s))).map_err(damaged)?;
            if let Some((k, Some(s))) = found {
                let latest = self
                    .index
                    .get(id(&k))?
                    .is_some_and(|e| e[0] != GONE && place_of(&e).0 == off);
                if latest {
                    each(&k, s);
                }
            }
            off += 4 + n as u64;
        }
    }

    /// Every known key with its state, in a map (tests, small states).
    pub fn to_map(&mut self) -> io::Result<std::collections::HashMap<String, KeyState>> {
        let mut m = std::collections::HashMap::new();
        self.for_each(|k, s| {
            m.insert(k.to_string(), s);
        })?;
        Ok(m)
    }
}

fn hash_of(e: &Entry) -> u128 {
    let mut h = [0u8; 16];
    h.copy_from_slice(&e[1..17]);
    u128::from_le_bytes(h)
}

/// The heap entry's offset (of its length prefix) and its length.
fn place_of(e: &Entry) -> (u64, usize) {
    let mut off = [0u8; 8];
    off.copy_from_slice(&e[17..25]);
    let len = u32::from_le_bytes([e[25], e[26], e[27], e[28]]);
    (u64::from_le_bytes(off), len as usize)
}

fn damaged(d: packed::Damaged) -> io::Error {
    io::Error::other(format!(
        "a scratch file of the key states is damaged at byte {} ({})",
        d.offset, d.what
    ))
}

/// Entries, each a `u32` LE length and a `packed.rs` entry, appended to a
/// scratch file.
struct Heap {
    log: ScratchLog,
}

impl Default for Heap {
    fn default() -> Heap {
        Heap {
            log: ScratchLog::new(CHUNK),
        }
    }
}

impl Heap {
    /// Appends `record` (`len` bytes); returns the offset of its length
    /// prefix.
    fn append(&mut self, record: &[u8], len: u32) -> io::Result<u64> {
        let mut entry = Vec::with_capacity(4 + record.len());
        entry.extend_from_slice(&len.to_le_bytes());
        entry.extend_from_slice(record);
        self.log.append(&entry)
    }

    /// The `len` bytes of the entry whose length prefix is at `off`.
    fn read(&self, off: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut out = vec![0; len];
        self.log.read(off + 4, &mut out)?;
        Ok(out)
    }

    /// The whole heap from its start.
    fn reader(&mut self) -> io::Result<BufReader<Box<dyn Read + '_>>> {
        let inner: Box<dyn Read> = match self.log.snapshot()? {
            Some(mut f) => {
                f.seek(SeekFrom::Start(0))?;
                Box::new(f)
            }
            None => Box::new(io::empty()),
        };
        Ok(BufReader::with_capacity(1 << 16, inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn state(h: u8, bases: bool) -> KeyState {
        KeyState {
            hash: u128::from(h) << 70 | 5,
            bases: if bases {
                vec![("a.b".to_string(), format!("\"é{h}\""))].into()
            } else {
                Box::default()
            },
        }
    }

    proptest! {
        /// Inserts and removes in any order, with the index's memory part
        /// tiny so entries come from its scratch runs: every question gets
        /// the answer a hash map gives.
        #[test]
        fn answers_as_a_hash_map_does(
            ops in proptest::collection::vec((0u8..40, proptest::option::weighted(0.8, (any::<u8>(), any::<bool>()))), 0..300),
            limit in 1usize..6,
        ) {
            let mut k = KeyStates::new();
            k.index = KeyIndex::with_limit(None, limit);
            let mut model: HashMap<String, KeyState> = HashMap::new();
            for (key, op) in ops {
                let key = format!("clé-{key}");
                match op {
                    Some((h, b)) => {
                        k.insert(&key, &state(h, b)).unwrap();
                        model.insert(key.clone(), state(h, b));
                    }
                    None => {
                        k.remove(&key).unwrap();
                        model.remove(&key);
                    }
                }
                prop_assert_eq!(k.len(), model.len());
                prop_assert_eq!(k.get(&key).unwrap(), model.get(&key).cloned());
                prop_assert_eq!(k.hash(&key).unwrap(), model.get(&key).map(|s| s.hash));
                prop_assert_eq!(k.contains_key(&key).unwrap(), model.contains_key(&key));
            }
            prop_assert_eq!(k.to_map().unwrap(), model);
        }
    }

    #[test]
    fn states_past_one_heap_chunk_read_back() {
        let mut k = KeyStates::new();
        let n = 40_000u32;
        for i in 0..n {
            k.insert(
                &format!("key {i} {}", "x".repeat(20)),
                &state((i % 251) as u8, i % 3 == 0),
            )
            .unwrap();
        }
        assert_eq!(k.len(), n as usize);
        for i in (0..n).step_by(997) {
            let got = k.get(&format!("key {i} {}", "x".repeat(20))).unwrap();
            assert_eq!(got, Some(state((i % 251) as u8, i % 3 == 0)));
        }
        let mut seen = 0;
        k.for_each(|_, _| seen += 1).unwrap();
        assert_eq!(seen, n);
    }
}
