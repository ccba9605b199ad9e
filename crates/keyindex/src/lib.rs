//! Maps from 128-bit key ids to fixed-size values, in memory that does not
//! grow with the number of keys.
//!
//! **Why.** A run keeps something for every key it meets: the engine the
//! first record that wrote each target key (duplicates are R0026), a file
//! target where each key's record is, the sync the hash each key was last
//! written with. In hash maps that is 32 to 80 bytes a key: 100 MiB more at
//! a million records than at a hundred thousand. `mapc run` promises memory
//! flat in the record count, so these live here instead.
//!
//! **How.** A log-structured index in miniature. The newest entries are in a
//! hash map of at most `limit` entries. When it is full they are sorted and
//! written to a scratch file, a *run*. Each run keeps in memory only a Bloom
//! filter (10 bits a key: about 1% of absent keys seem present) and the
//! first key of each block of 32 entries: under 2 bytes a key, where the map
//! takes 32. A lookup asks the map, then the runs, newest first: a run whose
//! filter says no costs one cache line; one that may hold the key costs one
//! read of a 32-entry block, which the page cache normally serves. When a
//! run is more than half the size of the one before it, the two are merged
//! (the newer entry of a key wins), so a million keys make at most
//! log2(n / limit) + 1 runs and each entry is rewritten as often.
//!
//! **Not durable, on purpose.** The runs are scratch: files without a name
//! (`tempfile`), gone when the index is dropped or the process ends, killed
//! or not. What must survive a crash is the state store's and the target's
//! business.

use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A key's id: a 128-bit hash of the key, computed by the caller.
pub type Key = u128;

/// How many entries the map holds before they go to a run by default:
/// 7/8 of 2^15, so the map's table is 2^15 slots and never grows past them
/// (1 MiB for 16-byte values).
pub const DEFAULT_LIMIT: usize = 28_672;

/// Entries per block of a run; a run keeps the first key of each in memory.
const BLOCK: usize = 32;

/// Entries read at a time when runs are merged.
const MERGE_CHUNK: usize = 4096;

/// A bounded-memory map from [`Key`] to `[u8; N]` (see the crate doc).
pub struct KeyIndex<const N: usize> {
    dir: Option<PathBuf>,
    limit: usize,
    recent: HashMap<Key, [u8; N], BuildHasherDefault<Fold>>,
    /// Oldest first; each at least twice the size of the next.
    runs: Vec<Run>,
    /// A merge failed half way: entries are missing, so every later call
    /// fails too rather than answer without them.
    broken: bool,
}

/// The largest block a lookup reads, on the stack.
const MAX_BLOCK_BYTES: usize = 2048;

impl<const N: usize> KeyIndex<N> {
    /// An empty index whose runs go to `dir` (the system's temporary folder
    /// when `None`).
    pub fn new(dir: Option<&Path>) -> KeyIndex<N> {
        KeyIndex::with_limit(dir, DEFAULT_LIMIT)
    }

    /// As [`KeyIndex::new`], holding at most `limit` entries in memory (at
    /// least 1); tests use a tiny one to exercise the runs.
    pub fn with_limit(dir: Option<&Path>, limit: usize) -> KeyIndex<N> {
        const {
            assert!(
                (16 + N) * BLOCK <= MAX_BLOCK_BYTES,
                "values of at most 48 bytes"
            );
        }
        KeyIndex {
            dir: dir.map(Path::to_path_buf),
            limit: limit.max(1),
            recent: HashMap::default(),
            runs: Vec::new(),
            broken: false,
        }
    }

    fn usable(&self) -> io::Result<()> {
        if self.broken {
            return Err(io::Error::other(
                "the key index lost entries when a scratch file failed",
            ));
        }
        Ok(())
    }

    /// Whether nothing was ever inserted (since the last [`KeyIndex::clear`]).
    pub fn is_empty(&self) -> bool {
        self.recent.is_empty() && self.runs.is_empty()
    }

    /// How many runs are on disk (for tests and figures).
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// The value last inserted for `key`.
    pub fn get(&self, key: Key) -> io::Result<Option<[u8; N]>> {
        self.usable()?;
        if let Some(v) = self.recent.get(&key) {
            return Ok(Some(*v));
        }
        for run in self.runs.iter().rev() {
            if let Some(v) = run.find::<N>(key)? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// Sets `key` to `value`, replacing any value it had.
    pub fn insert(&mut self, key: Key, value: [u8; N]) -> io::Result<()> {
        self.recent.insert(key, value);
        self.spill_if_full()
    }

    /// As [`KeyIndex::insert`], returning the value `key` had.
    pub fn replace(&mut self, key: Key, value: [u8; N]) -> io::Result<Option<[u8; N]>> {
        let old = match self.recent.insert(key, value) {
            Some(v) => Some(v),
            None => self
                .runs
                .iter()
                .rev()
                .find_map(|r| r.find::<N>(key).transpose())
                .transpose()?,
        };
        self.spill_if_full()?;
        Ok(old)
    }

    /// The value of `key` when it has one; otherwise inserts `value` and
    /// returns `None`.
    pub fn get_or_insert(&mut self, key: Key, value: [u8; N]) -> io::Result<Option<[u8; N]>> {
        self.usable()?;
        match self.recent.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => return Ok(Some(*e.get())),
            std::collections::hash_map::Entry::Vacant(e) => {
                for run in self.runs.iter().rev() {
                    if let Some(v) = run.find::<N>(key)? {
                        return Ok(Some(v));
                    }
                }
                e.insert(value);
            }
        }
        self.spill_if_full()?;
        Ok(None)
    }

    /// Forgets every entry (and removes the runs).
    pub fn clear(&mut self) {
        self.recent.clear();
        self.runs.clear();
        self.broken = false;
    }

    fn spill_if_full(&mut self) -> io::Result<()> {
        self.usable()?;
        if self.recent.len() < self.limit {
            return Ok(());
        }
        // The map is emptied before its run is on disk: a failure loses
        // entries, so the index refuses every later call.
        let spilled = self.spill();
        if spilled.is_err() {
            self.broken = true;
        }
        spilled
    }

    fn spill(&mut self) -> io::Result<()> {
        let mut entries: Vec<(Key, [u8; N])> = self.recent.drain().collect();
        entries.sort_unstable_by_key(|e| e.0);
        let n = entries.len();
        let run = Run::write::<N>(self.dir.as_deref(), n, entries.into_iter().map(Ok))?;
        self.runs.push(run);
        while let [.., older, newer] = self.runs.as_slice() {
            if newer.len * 2 <= older.len {
                break;
            }
            // The two runs' filters and fences go before the merged run's
            // are built (a merge reads files, not filters), so at most one
            // set is held at a time.
            let (Some(mut newer), Some(mut older)) = (self.runs.pop(), self.runs.pop()) else {
                break;
            };
            older.forget_lookups();
            newer.forget_lookups();
            let merged = Run::merge::<N>(self.dir.as_deref(), &older, &newer)?;
            self.runs.push(merged);
        }
        Ok(())
    }
}

/// One sorted scratch file: entries of a 16-byte little-endian key and its
/// value, keys ascending and distinct.
struct Run {
    file: File,
    len: usize,
    /// The first key of each block of [`BLOCK`] entries.
    fences: Vec<Key>,
    bloom: Bloom,
}

impl Run {
    /// Drops what lookups need; the file can still be read in order.
    fn forget_lookups(&mut self) {
        self.bloom = Bloom::new(0);
        self.fences = Vec::new();
    }

    fn write<const N: usize>(
        dir: Option<&Path>,
        at_most: usize,
        entries: impl Iterator<Item = io::Result<(Key, [u8; N])>>,
    ) -> io::Result<Run> {
        let file = scratch_file(dir)?;
        let mut bloom = Bloom::new(at_most);
        let mut fences = Vec::with_capacity(at_most.div_ceil(BLOCK));
        let mut len = 0;
        {
            let mut w = BufWriter::with_capacity(1 << 16, &file);
            for entry in entries {
                let (k, v) = entry?;
                if len % BLOCK == 0 {
                    fences.push(k);
                }
                bloom.add(k);
                w.write_all(&k.to_le_bytes())
                    .and_then(|()| w.write_all(&v))
                    .map_err(|e| scratch_error(dir, e))?;
                len += 1;
            }
            w.flush().map_err(|e| scratch_error(dir, e))?;
        }
        fences.shrink_to_fit();
        Ok(Run {
            file,
            len,
            fences,
            bloom,
        })
    }

    /// One run of the entries of both, `newer`'s value where both have a key.
    fn merge<const N: usize>(dir: Option<&Path>, older: &Run, newer: &Run) -> io::Result<Run> {
        let reader = |r: &Run| -> io::Result<RecordReader> {
            Ok(RecordReader::new(Some(r.file.try_clone()?), 16 + N, r.len))
        };
        let (mut a, mut b) = (reader(older)?, reader(newer)?);
        let next = |r: &mut RecordReader| -> io::Result<Option<(Key, [u8; N])>> {
            Ok(r.next_record()?.map(|(_, bytes)| entry::<N>(bytes)))
        };
        let (mut x, mut y) = (next(&mut a)?, next(&mut b)?);
        let merged = std::iter::from_fn(|| {
            let step = (|| -> io::Result<Option<(Key, [u8; N])>> {
                Ok(match (x, y) {
                    (None, None) => None,
                    (Some(e), None) => {
                        x = next(&mut a)?;
                        Some(e)
                    }
                    (None, Some(e)) => {
                        y = next(&mut b)?;
                        Some(e)
                    }
                    (Some(o), Some(n)) => {
                        if o.0 < n.0 {
                            x = next(&mut a)?;
                            Some(o)
                        } else {
                            if o.0 == n.0 {
                                x = next(&mut a)?;
                            }
                            y = next(&mut b)?;
                            Some(n)
                        }
                    }
                })
            })();
            step.transpose()
        });
        Run::write::<N>(dir, older.len + newer.len, merged)
    }

    fn find<const N: usize>(&self, key: Key) -> io::Result<Option<[u8; N]>> {
        if !self.bloom.may_hold(key) {
            return Ok(None);
        }
        let b = self.fences.partition_point(|f| *f <= key);
        if b == 0 {
            return Ok(None);
        }
        let first = (b - 1) * BLOCK;
        let n = BLOCK.min(self.len - first);
        let size = 16 + N;
        let mut block = [0u8; MAX_BLOCK_BYTES];
        let buf = &mut block[..n * size];
        read_at(&self.file, buf, (first * size) as u64)?;
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let (k, v) = entry::<N>(&buf[mid * size..(mid + 1) * size]);
            match k.cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Some(v)),
            }
        }
        Ok(None)
    }
}

fn entry<const N: usize>(bytes: &[u8]) -> (Key, [u8; N]) {
    let mut k = [0u8; 16];
    k.copy_from_slice(&bytes[..16]);
    let mut v = [0u8; N];
    v.copy_from_slice(&bytes[16..16 + N]);
    (Key::from_le_bytes(k), v)
}

/// A new scratch file in `dir` (the system's temporary folder, `TMPDIR`,
/// when `None`), without a name: the system removes it when it is closed
/// or the process ends, killed or not.
pub fn scratch_file(dir: Option<&Path>) -> io::Result<File> {
    match dir {
        Some(d) => std::fs::create_dir_all(d).and_then(|()| tempfile::tempfile_in(d)),
        None => tempfile::tempfile(),
    }
    .map_err(|e| scratch_error(dir, e))
}

/// `e`, saying which folder and what to do.
pub fn scratch_error(dir: Option<&Path>, e: io::Error) -> io::Error {
    let (dir, fix) = match dir {
        Some(d) => (d.to_path_buf(), "free space there"),
        None => (
            std::env::temp_dir(),
            "free space there, or set TMPDIR to a folder that exists and has room",
        ),
    };
    io::Error::new(
        e.kind(),
        format!(
            "cannot write a scratch file in {} ({e}); {fix}",
            dir.display()
        ),
    )
}

/// The fixed-size records of a file, in order, read [`MERGE_CHUNK`] at a
/// time with `pread`, so the file's cursor and any other reader are left
/// alone.
pub struct RecordReader {
    file: Option<File>,
    size: usize,
    count: usize,
    /// Records read from the file so far.
    loaded: usize,
    buf: Vec<u8>,
    at: usize,
}

impl RecordReader {
    /// The first `count` records of `size` bytes of `file` (none when
    /// `file` is `None`).
    pub fn new(file: Option<File>, size: usize, count: usize) -> RecordReader {
        RecordReader {
            file,
            size: size.max(1),
            count,
            loaded: 0,
            buf: Vec::new(),
            at: 0,
        }
    }

    /// The next record and its number (from 0).
    pub fn next_record(&mut self) -> io::Result<Option<(usize, &[u8])>> {
        let size = self.size;
        if self.at >= self.buf.len() {
            let n = MERGE_CHUNK.min(self.count - self.loaded);
            let Some(f) = &self.file else {
                return Ok(None);
            };
            if n == 0 {
                return Ok(None);
            }
            self.buf.resize(n * size, 0);
            read_at(f, &mut self.buf, (self.loaded * size) as u64)?;
            self.loaded += n;
            self.at = 0;
        }
        let i = self.loaded - (self.buf.len() - self.at) / size;
        let record = &self.buf[self.at..self.at + size];
        self.at += size;
        Ok(Some((i, record)))
    }
}

/// An append-only scratch file (see [`scratch_file`]) written `chunk` bytes
/// at a time: appends go to memory, then to the file in one write. Each
/// write goes at the offset counted so far, so one that failed half way is
/// overwritten by the next, never left between entries.
pub struct ScratchLog {
    file: Option<File>,
    on_disk: u64,
    pending: Vec<u8>,
    chunk: usize,
}

impl ScratchLog {
    pub fn new(chunk: usize) -> ScratchLog {
        ScratchLog {
            file: None,
            on_disk: 0,
            pending: Vec::new(),
            chunk: chunk.max(1),
        }
    }

    /// Bytes appended so far.
    pub fn len(&self) -> u64 {
        self.on_disk + self.pending.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `bytes`; returns their offset.
    pub fn append(&mut self, bytes: &[u8]) -> io::Result<u64> {
        let off = self.len();
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= self.chunk {
            self.flush()?;
        }
        Ok(off)
    }

    /// Writes what is in memory to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let f = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(scratch_file(None)?),
        };
        write_at(f, &self.pending, self.on_disk).map_err(|e| scratch_error(None, e))?;
        self.on_disk += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    /// Fills `buf` with the bytes at `off`, from the file or from memory.
    pub fn read(&self, off: u64, buf: &mut [u8]) -> io::Result<()> {
        let end = off + buf.len() as u64;
        if end > self.len() {
            return Err(io::Error::other("a scratch entry is out of range"));
        }
        let split = end.min(self.on_disk).saturating_sub(off) as usize;
        if split > 0 {
            match &self.file {
                Some(f) => read_at(f, &mut buf[..split], off)?,
                None => return Err(io::Error::other("a scratch entry is out of range")),
            }
        }
        let rest = buf.len() - split;
        if rest > 0 {
            // The part past the file starts where the file ends, or later.
            let from = (off + split as u64 - self.on_disk) as usize;
            buf[split..].copy_from_slice(&self.pending[from..from + rest]);
        }
        Ok(())
    }

    /// Everything appended, written to the file, and a handle of the file
    /// that reads it independently of `self` (`None` while it is empty).
    pub fn snapshot(&mut self) -> io::Result<Option<File>> {
        self.flush()?;
        match &self.file {
            Some(f) => f.try_clone().map(Some),
            None => Ok(None),
        }
    }

    /// Forgets everything (and removes the file).
    pub fn clear(&mut self) {
        self.file = None;
        self.on_disk = 0;
        self.pending = Vec::new();
    }
}

/// Writes all of `buf` to `f` at byte `off` (`pwrite`): an append that
/// failed half way is then overwritten by the next one, never left between
/// records whose offsets were counted without it.
#[cfg(unix)]
pub fn write_at(f: &File, buf: &[u8], off: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(f, buf, off)
}

/// Writes all of `buf` to `f` at byte `off` (see the Unix one).
#[cfg(windows)]
pub fn write_at(f: &File, mut buf: &[u8], mut off: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match f.seek_write(buf, off) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                buf = &buf[n..];
                off += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Fills `buf` from `f` at byte `off`, without moving a cursor (`pread`), so
/// one scratch file serves lookups and sequential reads alike.
#[cfg(unix)]
pub fn read_at(f: &File, buf: &mut [u8], off: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, off)
}

/// Fills `buf` from `f` at byte `off` (see the Unix one).
#[cfg(windows)]
pub fn read_at(f: &File, mut buf: &mut [u8], mut off: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match f.seek_read(buf, off) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                off += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A blocked Bloom filter: each key sets 7 bits of one 512-bit block (one
/// cache line), 10 bits a key in all, for about 1% false hits.
struct Bloom {
    words: Vec<u64>,
    blocks: u64,
}

impl Bloom {
    fn new(keys: usize) -> Bloom {
        let blocks = keys.saturating_mul(10).div_ceil(512).max(1);
        Bloom {
            words: vec![0; blocks * 8],
            blocks: blocks as u64,
        }
    }

    /// The block and the 7 bit numbers (0..512) of `key`.
    fn bits(&self, key: Key) -> (usize, u64) {
        let low = mix(key as u64);
        let lo = mix(low ^ (key >> 64) as u64);
        let hi = mix(lo ^ low);
        let block = ((u128::from(lo) * u128::from(self.blocks)) >> 64) as usize;
        (block, hi)
    }

    fn add(&mut self, key: Key) {
        let (block, mut h) = self.bits(key);
        let words = &mut self.words[block * 8..block * 8 + 8];
        for _ in 0..7 {
            let bit = (h & 511) as usize;
            words[bit / 64] |= 1 << (bit % 64);
            h >>= 9;
        }
    }

    fn may_hold(&self, key: Key) -> bool {
        let (block, mut h) = self.bits(key);
        let words = &self.words[block * 8..block * 8 + 8];
        for _ in 0..7 {
            let bit = (h & 511) as usize;
            if words[bit / 64] & (1 << (bit % 64)) == 0 {
                return false;
            }
            h >>= 9;
        }
        true
    }
}

/// SplitMix64's finalizer: spreads keys that are not hashes (tests' small
/// numbers) as well as those that are.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The map's hasher: a key is a hash already, mixed once more for keys
/// that are not.
#[derive(Default)]
struct Fold(u64);

impl Hasher for Fold {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = mix(self.0 ^ u64::from(b));
        }
    }
    fn write_u128(&mut self, i: u128) {
        self.0 = mix(i as u64 ^ mix((i >> 64) as u64));
    }
}

#[cfg(test)]
mod tests;
