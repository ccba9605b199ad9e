//! Targets: where `mapc run` writes, as batches of writes with a result per
//! record; and the keyed file table, the target of file connections.
//!
//! A file target is a table keyed by `target.key`: a commit replaces changed
//! records in place, appends new ones at the end in write order, drops
//! deleted ones, keeps the order of the rest, and rewrites the file
//! atomically (a temp file in the same folder, fsync, rename, fsync of the
//! folder). A session that changes nothing does not touch the file.
//!
//! Memory stays flat in the number of records: the table holds a 128-bit
//! hash of each key with the place of its record's text in a spill file
//! beside the target, never the records or the key texts, and holds even
//! those in a `mapc_keyindex::KeyIndex` (older entries in scratch files of
//! the system's temporary folder) and the order of the entries in a scratch
//! file (`entries.rs`). The existing
//! file is read only when the run first asks for a record, so a run that
//! finds every record unchanged by its hash never reads the target at all.
//!
//! The spill is written as NDJSON lines, in the table's order as long as
//! no record was replaced or deleted: then a commit of an NDJSON target is
//! the spill itself, made durable and renamed over the target (a first run
//! writes its records once, not twice).

mod early_sync;
mod entries;
mod format;
pub mod merge;

use crate::Format;
use mapc_diag::Code;
use mapc_keyindex::KeyIndex;
use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

/// How much of the spill is written or read at a time.
const CHUNK: usize = 1 << 20;

/// One write to a keyed target. `key` is the canonical key text
/// ([`key_text`]).
#[derive(Clone, Copy, Debug)]
pub enum Write<'a> {
    /// A new record (a compact JSON object).
    Create {
        key: &'a str,
        record: &'a [u8],
    },
    /// A partial record for the record with `key`: named members replaced,
    /// objects merged member by member, `null` sets null.
    Update {
        key: &'a str,
        patch: &'a [u8],
    },
    Delete {
        key: &'a str,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteResult {
    Done,
    Failed { code: Code, message: String },
}

/// Batches of writes out, a result per record.
pub trait Target: Send {
    /// The file path or URL, for messages.
    fn name(&self) -> &str;
    /// The record with this key as the target holds it (compact JSON),
    /// writes of this session included; `None` when it has none.
    fn get(&mut self, key: &str) -> io::Result<Option<Vec<u8>>>;
    /// Every key the target holds, in its order.
    fn keys(&mut self) -> io::Result<Vec<String>>;
    fn write(&mut self, writes: &[Write<'_>]) -> io::Result<Vec<WriteResult>>;
    /// Makes every write so far durable and visible at once.
    fn commit(&mut self) -> io::Result<()>;
    /// Whether writing `patch` over the record with `key` changes what the
    /// target gives back. A CSV cell keeps no type, so the text `"1.10"`
    /// and the number `1.10` are one cell: an update between them would be
    /// counted and written for nothing, on every run that compares.
    fn changes(&mut self, key: &str, patch: &[u8]) -> io::Result<bool> {
        let _ = (key, patch);
        Ok(true)
    }
}

/// Codes of the registry (`crates/diag/src/codes.rs`).
pub mod codes {
    use mapc_diag::Code;

    /// A record of an existing target file is broken, has no key, or repeats one.
    pub const TARGET_FILE: Code = Code::R0045;
    /// A write the target refuses (an update that is not an object).
    pub const WRITE: Code = Code::R0042;
}

/// The canonical text of a key value: a text is itself, a number its
/// shortest plain form by mapc's one number reader (`1`, `1.0`, `1e0` and
/// `"1"` are one key, as for the engine's duplicate check, which writes
/// its keys the same way); anything else is not a key. A number no exact
/// decimal holds (40 digits) keeps its text: it is still one key, never
/// rounded into another.
pub fn key_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => {
            let t = n.to_string();
            Some(
                match mapc_value::number::parse_decimal(t.as_bytes(), false) {
                    Ok(d) => mapc_value::number::decimal_shortest(&d),
                    Err(_) => t,
                },
            )
        }
        _ => None,
    }
}

/// The value at a dotted path of a record.
fn at<'v>(v: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter()
        .try_fold(v, |cur, seg| cur.as_object()?.get(seg))
}

/// `dir:` connections: the file of an entity.
pub fn dir_entity_path(dir: &Path, entity: &str) -> PathBuf {
    dir.join(format!("{entity}.ndjson"))
}

/// Opens the file at `path` as a keyed table (`key`: the key field's path
/// segments). A missing file is an empty table, created by the first
/// commit that writes.
pub fn open_file_target(
    path: &Path,
    format: Option<Format>,
    key: &[&str],
) -> io::Result<FileTarget> {
    let format = match format.or_else(|| Format::from_path(path)) {
        Some(f) => f,
        None => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{}: cannot tell the file format from the extension; use .ndjson, .jsonl, .json or .csv",
                    path.display()
                ),
            ))
        }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if dir.exists() && !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{}: the folder {} is a file", path.display(), dir.display()),
        ));
    }
    Ok(FileTarget {
        path: path.to_path_buf(),
        name: path.display().to_string(),
        dir,
        format,
        key: key.iter().map(|s| s.to_string()).collect(),
        loaded: false,
        index: KeyIndex::new(None),
        entries: entries::Entries::default(),
        linear: true,
        spill: None,
        early: None,
        spill_len: 0,
        pending: Vec::new(),
        window: Vec::new(),
        window_off: 0,
        dirty: false,
        columns: Vec::new(),
    })
}

/// Where a key's record is: 16 bytes in the index ([`Slot::bytes`]).
#[derive(Clone, Copy)]
struct Slot {
    /// The latest text of the record: its spill entry's offset and length.
    off: u64,
    len: u32,
    /// The spill entry that gives the record its place in the table's order
    /// (its first write; a key deleted and created again moves to the end);
    /// [`DELETED`] for a deleted record.
    pos: u32,
}

/// `Slot::pos` of a deleted record (no entry has this number: `put` refuses
/// the 4 294 967 295th write).
const DELETED: u32 = u32::MAX;

impl Slot {
    fn deleted(&self) -> bool {
        self.pos == DELETED
    }

    fn bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.off.to_le_bytes());
        b[8..12].copy_from_slice(&self.len.to_le_bytes());
        b[12..].copy_from_slice(&self.pos.to_le_bytes());
        b
    }

    fn of(b: [u8; 16]) -> Slot {
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut off = [0u8; 8];
        off.copy_from_slice(&b[..8]);
        Slot {
            off: u64::from_le_bytes(off),
            len: u32_at(8),
            pos: u32_at(12),
        }
    }
}

/// A key's identity in the table: XXH3-128 of its canonical text. Two keys
/// share one with probability about n^2/2^129 (as for the engine's
/// duplicate-key check), which is negligible for any real table.
type KeyId = u128;

fn key_id(key: &str) -> KeyId {
    xxhash_rust::xxh3::xxh3_128(key.as_bytes())
}

pub struct FileTarget {
    path: PathBuf,
    name: String,
    dir: PathBuf,
    format: Format,
    key: Vec<String>,
    loaded: bool,
    index: KeyIndex<16>,
    /// The key id of each spill entry, in order (each entry is its text and a
    /// newline; its place and length are in the key's slot); no key text is
    /// kept.
    entries: entries::Entries,
    /// Every entry so far is the latest text of a live record, in order:
    /// the spill is then the table's NDJSON file as it stands.
    linear: bool,
    spill: Option<(File, PathBuf)>,
    /// While the spill may become the target as it is (`linear` NDJSON),
    /// its bytes go to disk as the run goes on (`early_sync.rs`).
    early: Option<early_sync::EarlySync>,
    /// Bytes of the spill, on disk and in `pending`.
    spill_len: u64,
    /// The spill's tail not written yet: records are appended in memory and
    /// written a chunk at a time, not a system call per record.
    pending: Vec<u8>,
    /// A chunk of the spill read from disk, so reading records back in the
    /// order they were written (a commit) reads the file a chunk at a time.
    window: Vec<u8>,
    window_off: u64,
    dirty: bool,
    /// CSV: the header of the existing file, extended by new columns.
    columns: Vec<String>,
}

impl FileTarget {
    fn spill(&mut self) -> io::Result<&mut File> {
        if self.spill.is_none() {
            std::fs::create_dir_all(&self.dir).map_err(|e| self.io(e, "create its folder"))?;
            let p = self.temp_path("spill");
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&p)
                .map_err(|e| self.io(e, "create a spill file beside it"))?;
            if self.linear && self.format == Format::Ndjson {
                self.early = early_sync::EarlySync::start(&f);
            }
            self.spill = Some((f, p));
        }
        match &mut self.spill {
            Some((f, _)) => Ok(f),
            None => Err(io::Error::other("no spill file")),
        }
    }

    /// Removes the spill and temp files that killed runs left beside the
    /// target (`.NAME.mapc-spill-PID`, `.NAME.mapc-new-PID`) at a commit: a killed first
    /// run of a million records leaves a file as large as its target. Only
    /// files of processes that are gone are removed (Linux: no
    /// `/proc/PID`); elsewhere, or when unsure, a file stays. A run that
    /// still writes one unseen here (another machine or PID namespace on a
    /// shared folder) then fails at its rename, with an error; it never
    /// commits a short file.
    fn remove_stale_temps(&self) {
        let Some(file) = self
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
        else {
            return;
        };
        if !Path::new("/proc/self").exists() {
            return;
        }
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let prefix = format!(".{file}.mapc-");
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(&prefix) else {
                continue;
            };
            let Some((what, pid)) = rest.rsplit_once('-') else {
                continue;
            };
            let Ok(pid) = pid.parse::<u32>() else {
                continue;
            };
            if !matches!(what, "spill" | "new")
                || pid == std::process::id()
                || Path::new(&format!("/proc/{pid}")).exists()
            {
                continue;
            }
            let _ = std::fs::remove_file(entry.path());
        }
    }

    fn temp_path(&self, what: &str) -> PathBuf {
        let file = self
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.dir
            .join(format!(".{file}.mapc-{what}-{}", std::process::id()))
    }

    fn io(&self, e: io::Error, doing: &str) -> io::Error {
        io::Error::new(e.kind(), format!("{}: cannot {doing}: {e}", self.name))
    }

    fn put(&mut self, key: &str, text: &[u8]) -> io::Result<()> {
        let len = u32::try_from(text.len())
            .ok()
            .filter(|l| *l < u32::MAX)
            .ok_or_else(|| io::Error::other("a record over 4 GiB"))?;
        let pos = u32::try_from(self.entries.len())
            .ok()
            .filter(|p| *p != DELETED)
            .ok_or_else(|| io::Error::other("more than 4 billion writes to one table"))?;
        let off = self.spill_len;
        self.pending.extend_from_slice(text);
        self.pending.push(b'\n');
        self.spill_len += u64::from(len) + 1;
        let id = key_id(key);
        self.entries.push(id)?;
        let slot = match self.slot(id)? {
            Some(mut s) => {
                if s.deleted() {
                    // Deleted, then created again: it moves to the end.
                    s.pos = pos;
                }
                s.off = off;
                s.len = len;
                self.linear = false;
                self.early = None;
                s
            }
            None => Slot { off, len, pos },
        };
        self.index.insert(id, slot.bytes())?;
        if self.pending.len() >= CHUNK {
            self.flush_pending()?;
        }
        Ok(())
    }

    /// Writes `pending` to the end of the spill file.
    fn flush_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let f = self.spill()?;
        f.seek(SeekFrom::End(0))?;
        f.write_all(&pending)?;
        if let Some(e) = &mut self.early {
            e.wrote(pending.len());
        }
        self.pending = pending;
        self.pending.clear();
        Ok(())
    }

    fn slot(&mut self, id: KeyId) -> io::Result<Option<Slot>> {
        Ok(self.index.get(id)?.map(Slot::of))
    }

    fn text(&mut self, key: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(s) = self.slot(key_id(key))? else {
            return Ok(None);
        };
        if s.deleted() {
            return Ok(None);
        }
        let (off, len) = (s.off, s.len as usize);
        self.spilled(off, len).map(Some)
    }

    /// The `len` bytes of the spill at `off`.
    fn spilled(&mut self, off: u64, len: usize) -> io::Result<Vec<u8>> {
        let on_disk = self.spill_len - self.pending.len() as u64;
        if off >= on_disk {
            // `flush_pending` writes whole records, so a record is either
            // all on disk or all pending.
            let at = (off - on_disk) as usize;
            return match self.pending.get(at..at + len) {
                Some(b) => Ok(b.to_vec()),
                None => Err(io::Error::other("a spilled record is out of range")),
            };
        }
        let end = off + len as u64;
        let window_end = self.window_off + self.window.len() as u64;
        if off < self.window_off || end > window_end {
            let want = (len.max(CHUNK) as u64).min(on_disk - off) as usize;
            if want < len {
                return Err(io::Error::other("a spilled record is out of range"));
            }
            let mut window = std::mem::take(&mut self.window);
            window.resize(want, 0);
            let f = self.spill()?;
            f.seek(SeekFrom::Start(off))?;
            f.read_exact(&mut window)?;
            self.window = window;
            self.window_off = off;
        }
        let at = (off - self.window_off) as usize;
        Ok(self.window[at..at + len].to_vec())
    }

    /// Reads the existing file into the index (once).
    fn load(&mut self) -> io::Result<()> {
        if self.loaded {
            return Ok(());
        }
        self.loaded = true;
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.io(e, "read it")),
        };
        let name = self.name.clone();
        let key = self.key.clone();
        let mut failure: Option<io::Error> = None;
        let each = |line: usize, text: String, me: &mut FileTarget| -> io::Result<()> {
            let v: Value = serde_json::from_str(&text).map_err(|e| {
                refused(
                    &name,
                    line,
                    format!("the record is not valid JSON ({e})"),
                    "fix or remove the line; mapc never guesses what a broken record meant",
                )
            })?;
            if !v.is_object() {
                return Err(refused(
                    &name,
                    line,
                    "the record is not a JSON object".into(),
                    "every record of a target file is an object",
                ));
            }
            let k = at(&v, &key).and_then(key_text).ok_or_else(|| {
                refused(
                    &name,
                    line,
                    format!("the record has no key `{}` (a text or a number)", key.join(".")),
                    "give the record its key, or remove it: a record without a key cannot be matched",
                )
            })?;
            if me.slot(key_id(&k))?.is_some() {
                return Err(refused(
                    &name,
                    line,
                    format!("a record before has the same key `{k}`"),
                    "remove one of the two records: a keyed table holds each key once",
                ));
            }
            me.put(&k, text.as_bytes())
        };
        let columns = format::read(
            self.format,
            file,
            &mut |line, text, me: &mut FileTarget| {
                if failure.is_some() {
                    return;
                }
                if let Err(e) = each(line, text, me) {
                    failure = Some(e);
                }
            },
            self,
        )
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.name)))?;
        if let Some(e) = failure {
            return Err(e);
        }
        self.columns = columns;
        Ok(())
    }
}

/// How deep a record of a target file may nest: the reader (serde_json)
/// refuses deeper records, so a deeper one written would make the file
/// unreadable for the next run. A CSV column `a.b.c` is read back as that
/// many levels, so there its dotted names count.
const MAX_DEPTH: usize = 100;

fn too_deep(format: Format, record: &[u8]) -> Option<String> {
    // Each level takes a `{` or `[` (or, in CSV, a `.` of a column name), so
    // most records show by their byte count alone that they are shallow.
    let marks = marks(record, format == Format::Csv);
    if marks <= MAX_DEPTH {
        return None;
    }
    let depth = match format {
        Format::Csv => match serde_json::from_slice::<Value>(record) {
            Ok(v) => format::column_depth(&v),
            Err(e) => return Some(format!("it cannot be read as JSON ({e})")),
        },
        Format::Ndjson | Format::Json => json_depth(record),
    };
    (depth > MAX_DEPTH).then(|| {
        format!("the record nests {depth} levels deep; a target file holds at most {MAX_DEPTH}")
    })
}

/// How many `{` and `[` (and, for CSV, `.`) bytes `record` has. Counted in
/// byte-wide lanes, 255 bytes at a time, so the loop vectorizes: it runs on
/// every record a run writes.
fn marks(record: &[u8], csv: bool) -> usize {
    record
        .chunks(255)
        .map(|chunk| {
            let n: u8 = chunk.iter().fold(0u8, |n, &b| {
                n + u8::from((b == b'{') | (b == b'[') | (csv & (b == b'.')))
            });
            usize::from(n)
        })
        .sum()
}

/// The bracket depth of JSON text (brackets inside strings do not count).
fn json_depth(text: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for &b in text {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

impl FileTarget {
    fn unreadable(&self, key: &str, why: String) -> WriteResult {
        WriteResult::Failed {
            code: codes::WRITE,
            message: format!(
                "{}: the record with key `{key}` is not written: {why}",
                self.name
            ),
        }
    }
}

fn refused(file: &str, line: usize, what: String, fix: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("[{}] {file}:{line}: {what}; {fix}", codes::TARGET_FILE),
    )
}

impl Target for FileTarget {
    fn name(&self) -> &str {
        &self.name
    }

    fn get(&mut self, key: &str) -> io::Result<Option<Vec<u8>>> {
        self.load()?;
        self.text(key)
    }

    fn keys(&mut self) -> io::Result<Vec<String>> {
        self.load()?;
        // The table keeps no key texts: they are read from the records.
        let mut out = Vec::new();
        let mut entries = self.entries.reader()?;
        while let Some((i, id)) = entries.next()? {
            let Some((off, len)) = self.placed(i, id)? else {
                continue;
            };
            let text = self.spilled(off, len)?;
            let v: Value = serde_json::from_slice(&text).map_err(io::Error::other)?;
            match at(&v, &self.key).and_then(key_text) {
                Some(k) => out.push(k),
                None => {
                    return Err(io::Error::other(format!(
                        "{}: the record at place {} has no key",
                        self.name,
                        i + 1
                    )))
                }
            }
        }
        Ok(out)
    }

    fn write(&mut self, writes: &[Write<'_>]) -> io::Result<Vec<WriteResult>> {
        self.load()?;
        let mut out = Vec::with_capacity(writes.len());
        for w in writes {
            match *w {
                Write::Create { key, record } => {
                    if let Some(why) = too_deep(self.format, record) {
                        out.push(self.unreadable(key, why));
                        continue;
                    }
                    self.put(key, record)?;
                    self.dirty = true;
                    out.push(WriteResult::Done);
                }
                Write::Update { key, patch } => {
                    let Some(old) = self.text(key)? else {
                        out.push(WriteResult::Failed {
                            code: codes::WRITE,
                            message: format!("{}: no record with key `{key}` to update", self.name),
                        });
                        continue;
                    };
                    let merged = serde_json::from_slice::<Value>(patch)
                        .map_err(|e| e.to_string())
                        .and_then(|p| merge::apply(&String::from_utf8_lossy(&old), &p));
                    match merged {
                        Ok(m) if m.as_bytes() == old.as_slice() => out.push(WriteResult::Done),
                        Ok(m) => match too_deep(self.format, m.as_bytes()) {
                            Some(why) => out.push(self.unreadable(key, why)),
                            None => {
                                self.put(key, m.as_bytes())?;
                                self.dirty = true;
                                out.push(WriteResult::Done);
                            }
                        },
                        Err(e) => out.push(WriteResult::Failed {
                            code: codes::WRITE,
                            message: format!(
                                "{}: the update of key `{key}` cannot be applied: {e}",
                                self.name
                            ),
                        }),
                    }
                }
                Write::Delete { key } => {
                    let id = key_id(key);
                    if let Some(mut s) = self.slot(id)? {
                        if !s.deleted() {
                            s.pos = DELETED;
                            self.index.insert(id, s.bytes())?;
                            self.dirty = true;
                            self.linear = false;
                            self.early = None;
                        }
                    }
                    out.push(WriteResult::Done);
                }
            }
        }
        Ok(out)
    }

    fn changes(&mut self, key: &str, patch: &[u8]) -> io::Result<bool> {
        if self.format != Format::Csv {
            return Ok(true);
        }
        self.load()?;
        self.csv_changes(key, patch)
    }

    fn commit(&mut self) -> io::Result<()> {
        // Here, not at open: a dry run opens the table but never commits.
        self.remove_stale_temps();
        if !self.dirty {
            self.discard();
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io(e, "create its folder"))?;
        if self.linear && self.format == Format::Ndjson {
            return self.commit_spill();
        }
        let tmp = self.temp_path("new");
        let result = (|| -> io::Result<()> {
            let f = File::create(&tmp)?;
            let mut w = BufWriter::with_capacity(1 << 16, f);
            let mut sink = format::Writer::new(self.format, std::mem::take(&mut self.columns));
            if self.format == Format::Csv {
                // The header needs every column first.
                let mut entries = self.entries.reader()?;
                while let Some((i, id)) = entries.next()? {
                    let Some((off, len)) = self.placed(i, id)? else {
                        continue;
                    };
                    sink.see(&self.spilled(off, len)?)?;
                }
            }
            sink.start(&mut w)?;
            let mut entries = self.entries.reader()?;
            while let Some((i, id)) = entries.next()? {
                let Some((off, len)) = self.placed(i, id)? else {
                    continue;
                };
                let t = self.spilled(off, len)?;
                sink.record(&mut w, &t)?;
            }
            sink.finish(&mut w)?;
            let f = w.into_inner().map_err(|e| e.into_error())?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, &self.path)?;
            self.sync_dir();
            Ok(())
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(self.io(e, "write it"));
        }
        self.dirty = false;
        self.discard();
        Ok(())
    }
}

impl FileTarget {
    /// See [`Target::changes`]: only a CSV table reads back other values
    /// than it was given.
    fn csv_changes(&mut self, key: &str, patch: &[u8]) -> io::Result<bool> {
        let Some(old) = self.text(key)? else {
            return Ok(true);
        };
        let (Ok(old), Ok(patch)) = (
            serde_json::from_slice::<Value>(&old),
            serde_json::from_slice::<Value>(patch),
        ) else {
            return Ok(true);
        };
        let Ok(merged) = merge::apply(&old.to_string(), &patch) else {
            return Ok(true);
        };
        let Ok(merged) = serde_json::from_str::<Value>(&merged) else {
            return Ok(true);
        };
        Ok(format::csv_round_trip(&merged, &self.columns) != old)
    }

    /// Where the `i`th spill entry's record is (its key id `id`), when that
    /// entry gives a live record its place: the latest text (offset, length)
    /// of that record. Walking the entries gives the table in order, with
    /// nothing collected per record.
    fn placed(&mut self, i: usize, id: KeyId) -> io::Result<Option<(u64, usize)>> {
        Ok(self
            .slot(id)?
            .filter(|s| !s.deleted() && s.pos as usize == i)
            .map(|s| (s.off, s.len as usize)))
    }

    /// The spill is the new file (see the module doc): made durable, then
    /// renamed over the target.
    fn commit_spill(&mut self) -> io::Result<()> {
        let result = (|| -> io::Result<()> {
            self.flush_pending()?;
            if let Some(mut e) = self.early.take() {
                e.stop()?;
            }
            let f = self.spill()?;
            f.sync_all()?;
            if let Some((_, p)) = &self.spill {
                std::fs::rename(p, &self.path)?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            return Err(self.io(e, "write it"));
        }
        // Renamed: nothing left to remove.
        self.spill = None;
        self.sync_dir();
        self.dirty = false;
        self.discard();
        Ok(())
    }

    fn sync_dir(&self) {
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
    }

    /// Drops the spill file (the table is reloaded if used again).
    fn discard(&mut self) {
        self.early = None;
        if let Some((_, p)) = self.spill.take() {
            let _ = std::fs::remove_file(p);
        }
        self.index.clear();
        self.entries.clear();
        self.linear = true;
        self.spill_len = 0;
        self.pending = Vec::new();
        self.window = Vec::new();
        self.window_off = 0;
        self.loaded = false;
    }
}

impl Drop for FileTarget {
    fn drop(&mut self) {
        if let Some((_, p)) = self.spill.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests;
