//! One run of one mapping: pull -> engine -> decide against target and
//! state -> write -> commit.
//!
//! Crash safety rests on one order, per unit of work: the keys about to be
//! written are recorded as an intent in the state, then the target is
//! written, then the state commits the new hashes and bases (and, with the
//! last unit, the watermark) in one transaction. A run killed anywhere
//! leaves either no trace in the state or an intent whose keys the next run
//! re-checks against the target instead of trusting the stored hash; the
//! state never claims a write that did not happen. A file target makes all
//! its writes visible in one atomic rename at commit.

use crate::decide::{decide, Action, Clash, Sides};
use crate::fields::SyncFields;
use crate::io::{Batch, RecordError, Source, Target, Write, WriteResult};
use crate::probe::{key_text, probe};
use crate::tree;
use crate::watermark::{self, Start, Watermark};
use jiff::Timestamp;
use mapc_diag::Code;
use mapc_engine::{Compiled, Outcome};
use mapc_ir::program::{Mapping, WriteMode};
use mapc_keyindex::KeyIndex;
use mapc_state::{KeyState, KeyStates, RunCounts, Scope, StateError, StateStore};
use serde_json::Value;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// Codes `run` raises itself (the engine's own are in its rejections).
pub mod codes {
    use mapc_diag::Code;

    /// A record's `changed_since` value is absent or not a date-time.
    pub const CHANGED_SINCE: Code = Code::R0040;
    /// A two-way field changed on both sides and `conflict:` did not decide.
    pub const CONFLICT: Code = Code::R0041;
    /// A two-way conflict that `conflict:` resolved.
    pub const RESOLVED: Code = Code::R0108;
    /// The target refused one record's write.
    pub const WRITE_FAILED: Code = Code::R0042;
}

/// Writes are handed to the target (and intents to the state) in units of
/// this many records.
pub const UNIT: usize = 2000;

#[derive(Clone, Debug)]
pub struct Settings {
    pub dry_run: bool,
    pub full: bool,
    pub limit: Option<usize>,
    pub allow_delete: bool,
    /// When the run started (lookback counts from it; the run log).
    pub started: Timestamp,
    /// When the target last changed, for `conflict: newest` on targets that
    /// keep no per-record timestamp (a file's modification time).
    pub target_changed: Option<Timestamp>,
    /// The source was rebound: the stored watermark is not its own.
    pub forget_watermark: bool,
    /// False when the target was rebound: every record is compared with it.
    pub trust_hashes: bool,
}

/// One planned record, as a dry run lists it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Planned {
    pub key: String,
    /// create | update | unchanged | skip | conflict | delete
    pub action: &'static str,
    /// Target paths an update changes; source paths written back.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub back: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A record that was not written, with why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Problem {
    /// 1-based record number in the source and its line.
    pub record: usize,
    pub line: usize,
    pub key: Option<String>,
    pub code: Code,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    pub mapping: String,
    pub counts: RunCounts,
    /// Records older than the watermark (not taken), past `--limit`, or
    /// excluded by the source filter.
    pub older: u64,
    pub past_limit: u64,
    pub filtered: u64,
    pub watermark_before: Option<String>,
    pub watermark_after: Option<String>,
    /// Where the pull started: `full`, `watermark` or `lookback`.
    pub start: &'static str,
    pub problems: Vec<Problem>,
    pub conflicts: Vec<ConflictReport>,
    /// Remarks about the run as a whole (deletes not done and why, ...).
    pub notes: Vec<String>,
    pub dry_run: bool,
    /// The plan of a dry run, when the caller collects it (`--format json`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plan: Vec<Planned>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ConflictReport {
    pub key: String,
    pub field: String,
    pub source: String,
    pub target: String,
    pub base: Option<String>,
    /// `source`, `target`, or null when neither side was written.
    pub resolved: Option<&'static str>,
}

/// Why a run failed as a whole (exit 3): nothing of it was committed.
#[derive(Debug)]
pub enum Failure {
    Source(std::io::Error),
    Target(std::io::Error),
    WriteBack(std::io::Error),
    State(StateError),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Source(e) => write!(f, "reading the source failed: {e}"),
            Failure::Target(e) => write!(f, "writing the target failed: {e}"),
            Failure::WriteBack(e) => write!(f, "writing back to the source failed: {e}"),
            Failure::State(e) => write!(f, "{}", e.message),
        }
    }
}

impl From<StateError> for Failure {
    fn from(e: StateError) -> Failure {
        Failure::State(e)
    }
}

/// What the run tells as it goes: progress after every unit, and each
/// planned record that is not unchanged (streamed, so a plan of a million
/// records is never held).
pub trait Events {
    fn progress(&mut self, read: u64, written: u64);
    fn planned(&mut self, p: &Planned);
    /// False when [`Events::planned`] ignores creates: a first run then
    /// builds no plan line per record.
    fn wants_plan(&self) -> bool {
        true
    }
}

impl Events for () {
    fn progress(&mut self, _: u64, _: u64) {}
    fn planned(&mut self, _: &Planned) {}
    fn wants_plan(&self) -> bool {
        false
    }
}

/// What the run writes to.
pub struct Ends<'a> {
    pub source: &'a mut dyn Source,
    pub target: &'a mut dyn Target,
    /// The source opened as a keyed target, for values that flow back
    /// (`target_to_source`, two-way); `None` when the mapping has none.
    pub write_back: Option<&'a mut dyn Target>,
}

/// Runs `mapping` (compiled as `engine`, in create mode) once.
pub fn run(
    mapping: &Mapping,
    engine: &Compiled,
    ends: Ends<'_>,
    state: &mut dyn StateStore,
    scope: &Scope,
    settings: &Settings,
    events: &mut dyn Events,
) -> Result<Report, Failure> {
    let fields = SyncFields::of(mapping);
    let key_path: Vec<String> = mapping
        .target
        .key
        .as_deref()
        .unwrap_or_default()
        .split('.')
        .map(String::from)
        .collect();
    let source_key: Vec<String> = mapping.source.key.split('.').map(String::from).collect();
    // The lock first: everything read below is then this run's to change.
    let run_id = if settings.dry_run {
        None
    } else {
        Some(state.begin_run(scope, &settings.started.to_string(), settings.full)?)
    };
    let mut known = state.key_states(scope)?;
    if run_id.is_some() {
        state.compact(scope, &mut known)?;
    }
    let pending: Vec<(i64, Vec<String>)> = state.pending(scope)?;
    let suspect: HashSet<String> = pending
        .iter()
        .flat_map(|(_, k)| k.iter().cloned())
        .collect();
    let stored = match state
        .watermark(scope)?
        .filter(|_| !settings.forget_watermark)
    {
        Some(w) => Some(watermark::parse(&w).map_err(|e| {
            Failure::State(StateError {
                code: mapc_state::codes::UNREADABLE,
                message: format!(
                    "the stored watermark of mapping `{}` is unreadable: {e}",
                    scope.mapping
                ),
                help: Some(format!(
                    "forget it with `mapc state reset SPEC --mapping {} --yes`",
                    scope.mapping
                )),
            })
        })?),
        None => None,
    };
    let start = match &mapping.source.changed_since {
        Some(_) => Start::choose(
            settings.full,
            stored,
            settings.started,
            mapping.polling.lookback_days,
        ),
        None => Start::Full,
    };
    let mut report = Report {
        mapping: mapping.name.clone(),
        watermark_before: stored.map(|t| t.to_string()),
        start: match start {
            Start::Full => "full",
            Start::Stored(_) => "watermark",
            Start::Lookback(_) => "lookback",
        },
        dry_run: settings.dry_run,
        ..Report::default()
    };

    let track_seen = !known.is_empty() || !pending.is_empty();
    let result = (|| {
        let mut ctx = Ctx {
            fields: &fields,
            write: mapping.target.write,
            key_path: &key_path,
            source_key: &source_key,
            known: &mut known,
            suspect: &suspect,
            target: ends.target,
            write_back: ends.write_back,
            state: &mut *state,
            scope,
            run: run_id,
            settings,
            wm: Watermark::new(start),
            report: &mut report,
            pending_writes: Vec::new(),
            unit_bytes: Vec::new(),
            pending_back: Vec::new(),
            pending_keys: Vec::new(),
            intents: Vec::new(),
            track_seen,
            seen: KeyIndex::new(None),
            events: &mut *events,
            written: 0,
        };
        let probes: Arc<Mutex<VecDeque<Probe>>> = Arc::default();
        let mut pull = Pull {
            inner: ends.source,
            changed_since: mapping
                .source
                .changed_since
                .as_deref()
                .map(|f| f.split('.').map(String::from).collect()),
            source_key: &source_key,
            keep_source: !fields.back.is_empty() || !fields.two_way.is_empty(),
            wm: Watermark::new(start),
            limit: settings.limit,
            taken: 0,
            probes: Arc::clone(&probes),
            older: 0,
            past_limit: 0,
            past_limit_min: None,
        };
        let mut fail: Option<Failure> = None;
        let summary = {
            let mut sink = |o: Outcome<'_>| -> std::io::Result<()> {
                if fail.is_some() {
                    return Ok(());
                }
                let index = match &o {
                    Outcome::Written { at, .. }
                    | Outcome::Skipped { at, .. }
                    | Outcome::Filtered { at, .. } => at.index,
                    Outcome::Rejected(r) => r.at.index,
                };
                let probe = take_probe(&probes, index);
                if let Err(f) = ctx.outcome(o, probe) {
                    fail = Some(f);
                }
                Ok(())
            };
            engine.run_parallel(&mut pull, &mut sink)
        };
        if let Some(f) = fail {
            return Err(f);
        }
        let summary = summary.map_err(|e| {
            let keys = e
                .get_ref()
                .is_some_and(|inner| inner.is::<mapc_engine::keys::KeyTableError>());
            if keys {
                scratch(e)
            } else {
                Failure::Source(e)
            }
        })?;
        ctx.report.counts.read = summary.read as u64;
        ctx.report.filtered = summary.filtered as u64;
        ctx.report.older = pull.older;
        ctx.report.past_limit = pull.past_limit;
        if let Some(t) = pull.past_limit_min {
            ctx.wm.open(t);
        }
        ctx.deletes(mapping, start)?;
        ctx.flush()?;
        ctx.finish(stored)
    })();

    match (result, run_id) {
        (Ok(()), Some(id)) => {
            let outcome = if report.counts.rejected > 0 || report.counts.conflicts > 0 {
                "rejected"
            } else {
                "ok"
            };
            state.end_run(id, &Timestamp::now().to_string(), &report.counts, outcome)?;
            Ok(report)
        }
        (Ok(()), None) => Ok(report),
        (Err(f), Some(id)) => {
            // The lock goes; the run log says it failed. Nothing else of
            // this run was committed.
            let _ = state.end_run(id, &Timestamp::now().to_string(), &report.counts, "failed");
            Err(f)
        }
        (Err(f), None) => Err(f),
    }
}

/// What the pull learned about one record before the engine saw it.
struct Probe {
    index: usize,
    changed: Option<Timestamp>,
    /// The source record, kept when values flow back to the source.
    source: Option<Value>,
    source_key: Option<String>,
}

/// The source as the engine sees it: records older than the watermark and
/// past `--limit` left out, records with an unreadable `changed_since`
/// turned into rejections.
struct Pull<'a> {
    inner: &'a mut dyn Source,
    changed_since: Option<Vec<String>>,
    source_key: &'a [String],
    keep_source: bool,
    wm: Watermark,
    limit: Option<usize>,
    taken: usize,
    /// Shared with the sink: the pull runs ahead of the outcomes.
    probes: Arc<Mutex<VecDeque<Probe>>>,
    older: u64,
    past_limit: u64,
    past_limit_min: Option<Timestamp>,
}

/// The probe of record `index`; probes of records the engine said nothing
/// about (none today) are dropped on the way.
fn take_probe(probes: &Mutex<VecDeque<Probe>>, index: usize) -> Option<Probe> {
    let mut q = probes.lock().unwrap_or_else(|p| p.into_inner());
    while let Some(p) = q.front() {
        if p.index < index {
            q.pop_front();
        } else if p.index == index {
            return q.pop_front();
        } else {
            return None;
        }
    }
    None
}

impl Source for Pull<'_> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn next_batch(&mut self, batch: &mut Batch) -> std::io::Result<bool> {
        loop {
            if !self.inner.next_batch(batch)? {
                return Ok(false);
            }
            let data = &batch.data;
            let mut kept = Vec::with_capacity(batch.items.len());
            for mut item in std::mem::take(&mut batch.items) {
                let Ok(range) = item.body.clone() else {
                    // A broken record: the engine reports it.
                    if self.limit.is_some_and(|l| self.taken >= l) {
                        self.past_limit += 1;
                        continue;
                    }
                    self.taken += 1;
                    kept.push(item);
                    continue;
                };
                let body = &data[range];
                let mut changed = None;
                if let Some(path) = &self.changed_since {
                    match read_changed(body, path) {
                        Ok(t) => {
                            if !self.wm.takes(t) {
                                self.older += 1;
                                continue;
                            }
                            changed = Some(t);
                        }
                        Err(msg) => {
                            item.body = Err(RecordError::new(codes::CHANGED_SINCE, msg)
                                .with_field(path.join("."))
                                .with_help(format!(
                                    "give every record `{}` as an RFC 3339 date-time with an offset (2026-11-20T10:00:00Z), or drop `changed_since:` to pull every record on every run",
                                    path.join(".")
                                )));
                        }
                    }
                }
                if self.limit.is_some_and(|l| self.taken >= l) {
                    self.past_limit += 1;
                    if let Some(t) = changed {
                        self.past_limit_min = Some(self.past_limit_min.map_or(t, |m| m.min(t)));
                    }
                    continue;
                }
                self.taken += 1;
                let (source, source_key) = if self.keep_source && item.body.is_ok() {
                    let v = tree::parse(body).ok();
                    let k = v
                        .as_ref()
                        .and_then(|v| tree::get(v, self.source_key))
                        .and_then(key_text);
                    (v, k)
                } else {
                    (None, None)
                };
                self.probes
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_back(Probe {
                        index: item.index,
                        changed,
                        source,
                        source_key,
                    });
                kept.push(item);
            }
            batch.items = kept;
            if !batch.items.is_empty() {
                return Ok(true);
            }
        }
    }

    fn notes(&mut self) -> Vec<crate::io::Note> {
        self.inner.notes()
    }
}

fn read_changed(body: &[u8], path: &[String]) -> Result<Timestamp, String> {
    match probe(body, path) {
        Ok(Some(Value::String(s))) => watermark::parse(&s),
        Ok(Some(Value::Null)) | Ok(None) => Err(format!(
            "the record has no `{}`, so mapc cannot tell whether it changed",
            path.join(".")
        )),
        Ok(Some(v)) => Err(format!("`{v}` is not a date-time text")),
        Err(e) => Err(format!("cannot read `{}`: {e}", path.join("."))),
    }
}

/// The run's working state while outcomes stream in.
struct Ctx<'a, 'e> {
    fields: &'a SyncFields,
    write: WriteMode,
    key_path: &'a [String],
    source_key: &'a [String],
    known: &'a mut KeyStates,
    suspect: &'a HashSet<String>,
    target: &'a mut (dyn Target + 'e),
    write_back: Option<&'a mut (dyn Target + 'e)>,
    state: &'a mut dyn StateStore,
    scope: &'a Scope,
    run: Option<i64>,
    settings: &'a Settings,
    wm: Watermark,
    report: &'a mut Report,
    /// Writes of the current unit: the key's place in `pending_keys`, and
    /// the write, its bytes in `unit_bytes`.
    pending_writes: Vec<(usize, Owned)>,
    /// The bytes of the current unit's writes, one buffer for all of them.
    unit_bytes: Vec<u8>,
    pending_back: Vec<(String, Vec<u8>)>,
    /// Key states the current unit sets once written (None = forget).
    pending_keys: Vec<(String, Option<KeyState>, Option<Timestamp>)>,
    /// Intents of the units written so far (a unit has one only when the
    /// state knew some of its keys); they end when the run commits.
    intents: Vec<i64>,
    /// Whether `seen` is needed: only keys the state knows can be deleted
    /// or end a killed run's intent, so a first run keeps no set.
    track_seen: bool,
    /// Target keys of this pull (for deletes), as 128-bit hashes
    /// ([`seen_id`]), in bounded memory.
    seen: KeyIndex<0>,
    events: &'a mut dyn Events,
    written: u64,
}

enum Owned {
    Create(std::ops::Range<usize>),
    Update(std::ops::Range<usize>),
    Delete,
}

impl Ctx<'_, '_> {
    fn outcome(&mut self, o: Outcome<'_>, probe: Option<Probe>) -> Result<(), Failure> {
        let changed = probe.as_ref().and_then(|p| p.changed);
        match o {
            Outcome::Written { json, .. } => {
                self.record(json, probe)?;
            }
            Outcome::Skipped { key, message, .. } => {
                self.report.counts.skipped += 1;
                self.events.planned(&Planned {
                    key: key.map(|k| k.into_owned()).unwrap_or_default(),
                    action: "skip",
                    changed: Vec::new(),
                    back: Vec::new(),
                    reason: Some(message),
                });
                self.done(changed);
            }
            Outcome::Filtered { .. } => self.done(changed),
            Outcome::Rejected(r) => {
                self.report.counts.rejected += 1;
                self.report.problems.push(Problem {
                    record: r.at.index + 1,
                    line: r.at.line,
                    key: r.key,
                    code: r.code,
                    message: match (&r.place, &r.field) {
                        (Some(p), _) => format!("{p}: {}", r.message),
                        (None, Some(f)) => format!("`{f}`: {}", r.message),
                        _ => r.message,
                    },
                    help: r.help,
                });
                // A rejected record is reported and does not hold the
                // watermark back: re-reading it would fail the same way.
                self.done(changed);
            }
        }
        if self.report.counts.read.is_multiple_of(4096) {
            self.events.progress(self.report.counts.read, self.written);
        }
        Ok(())
    }

    /// Appends a write's bytes to the unit's buffer.
    fn bytes(&mut self, b: &[u8]) -> std::ops::Range<usize> {
        let start = self.unit_bytes.len();
        self.unit_bytes.extend_from_slice(b);
        start..self.unit_bytes.len()
    }

    fn done(&mut self, t: Option<Timestamp>) {
        self.report.counts.read += 1;
        if let Some(t) = t {
            self.wm.done(t);
        }
    }

    fn record(&mut self, json: &[u8], probe: Option<Probe>) -> Result<(), Failure> {
        let changed = probe.as_ref().and_then(|p| p.changed);
        let key = match probe_key(json, self.key_path) {
            Some(k) => k,
            None => {
                // The engine rejects records without a usable key (R0025);
                // a composite (object) key cannot be matched in a table.
                self.report.counts.rejected += 1;
                self.report.problems.push(Problem {
                    record: probe.as_ref().map_or(0, |p| p.index + 1),
                    line: 0,
                    key: None,
                    code: Code::R0025,
                    message: format!(
                        "the target key `{}` is not a text or a number",
                        self.key_path.join(".")
                    ),
                    help: Some("map `target.key` from one text or number field".into()),
                });
                self.done(changed);
                return Ok(());
            }
        };
        if self.track_seen {
            self.seen.insert(seen_id(&key), []).map_err(scratch)?;
        }
        let hash = xxhash_rust::xxh3::xxh3_128(json);
        // One lookup serves the hash check and, below, the bases.
        let known = match self.known.is_empty() {
            true => None,
            false => self.known.get(&key).map_err(scratch)?,
        };
        if self.fields.hash_decides()
            && self.settings.trust_hashes
            && known.as_ref().is_some_and(|k| k.hash == hash)
            && !self.suspect.contains(&key)
        {
            self.report.counts.unchanged += 1;
            self.done(changed);
            return Ok(());
        }
        let current = self.target.get(&key).map_err(Failure::Target)?;
        if current.is_none() && self.fields.two_way.is_empty() && self.write != WriteMode::Update {
            // A new record: nothing to compare, so the mapped bytes go as
            // they are (the common case of a first run, kept cheap).
            self.report.counts.created += 1;
            if self.events.wants_plan() {
                self.events.planned(&Planned {
                    key: key.clone(),
                    action: "create",
                    changed: Vec::new(),
                    back: Vec::new(),
                    reason: None,
                });
            }
            let write = Owned::Create(self.bytes(json));
            self.pending_writes.push((self.pending_keys.len(), write));
            self.pending_keys.push((
                key,
                Some(KeyState {
                    hash,
                    bases: Box::default(),
                }),
                changed,
            ));
            if self.pending_keys.len() >= UNIT {
                self.flush()?;
            }
            return Ok(());
        }
        let output = tree::parse(json).map_err(|e| {
            Failure::Target(std::io::Error::other(format!(
                "the engine wrote invalid JSON: {e}"
            )))
        })?;
        let current = match current {
            Some(bytes) => Some(tree::parse(&bytes).map_err(|e| {
                Failure::Target(std::io::Error::other(format!(
                    "the record with key `{key}` in {} is not valid JSON: {e}",
                    self.target.name()
                )))
            })?),
            None => None,
        };
        let bases = known.as_ref().map(|k| &*k.bases).unwrap_or(&[]);
        let sides = Sides {
            target: current.as_ref(),
            source: probe.as_ref().and_then(|p| p.source.as_ref()),
            bases,
            source_changed: changed,
            target_changed: self.settings.target_changed,
        };
        let d = decide(&output, &sides, self.fields, self.write);
        for c in &d.resolved {
            self.report.conflicts.push(conflict_report(&key, c));
        }
        let state = KeyState {
            hash,
            bases: d.bases.into_boxed_slice(),
        };
        let mut planned = Planned {
            key: key.clone(),
            action: "unchanged",
            changed: Vec::new(),
            back: Vec::new(),
            reason: None,
        };
        // The write is queued only once the record passed every check below.
        let write = match d.action {
            Action::Create => {
                planned.action = "create";
                Some(None)
            }
            Action::Update { patch, changed } => {
                let patch = patch.to_string();
                if self
                    .target
                    .changes(&key, patch.as_bytes())
                    .map_err(Failure::Target)?
                {
                    planned.action = "update";
                    planned.changed = changed;
                    Some(Some(patch))
                } else {
                    // What the target would give back is what it holds.
                    None
                }
            }
            Action::Unchanged => None,
            Action::Skip(why) => {
                self.report.counts.skipped += 1;
                planned.action = "skip";
                planned.reason = Some(why);
                self.events.planned(&planned);
                self.done(changed);
                return Ok(());
            }
            Action::Conflict(clashes) => {
                self.report.counts.conflicts += 1;
                for c in &clashes {
                    self.report.conflicts.push(conflict_report(&key, c));
                }
                planned.action = "conflict";
                planned.reason = Some(format!(
                    "{} changed on both sides since the last run; `conflict: fail` leaves both as they are",
                    clashes.iter().map(|c| format!("`{}`", c.path)).collect::<Vec<_>>().join(", ")
                ));
                self.events.planned(&planned);
                // Reported, not retried forever: the record is done for
                // this run and the user resolves it.
                self.done(changed);
                return Ok(());
            }
        };
        if let Some((back, paths)) = d.back {
            match probe.as_ref().and_then(|p| p.source_key.clone()) {
                Some(sk) => {
                    planned.back = paths;
                    self.pending_back.push((sk, back.to_string().into_bytes()));
                }
                None => {
                    self.report.counts.rejected += 1;
                    self.report.problems.push(Problem {
                        record: probe.as_ref().map_or(0, |p| p.index + 1),
                        line: 0,
                        key: Some(key.clone()),
                        code: codes::WRITE_FAILED,
                        message: format!(
                            "values flow back to the source, but the source record has no key `{}` to find it by",
                            self.source_key.join(".")
                        ),
                        help: Some("give every source record its `source.key`".into()),
                    });
                    self.done(changed);
                    return Ok(());
                }
            }
        }
        // `Some(None)`: create with the mapped record; `Some(Some(patch))`:
        // update with the patch.
        let queued = match write {
            Some(None) => {
                self.report.counts.created += 1;
                Some(Owned::Create(self.bytes(json)))
            }
            Some(Some(patch)) => {
                self.report.counts.updated += 1;
                Some(Owned::Update(self.bytes(patch.as_bytes())))
            }
            None => {
                self.report.counts.unchanged += 1;
                None
            }
        };
        if let Some(w) = queued {
            self.pending_writes.push((self.pending_keys.len(), w));
        }
        if planned.action != "unchanged" || !planned.back.is_empty() {
            self.events.planned(&planned);
        }
        self.pending_keys.push((key, Some(state), changed));
        if self.pending_keys.len() >= UNIT {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the current unit: intent, then the writes.
    fn flush(&mut self) -> Result<(), Failure> {
        if self.pending_keys.is_empty() && self.pending_writes.is_empty() {
            return Ok(());
        }
        let writes = std::mem::take(&mut self.pending_writes);
        let bytes = std::mem::take(&mut self.unit_bytes);
        let back = std::mem::take(&mut self.pending_back);
        let keys = std::mem::take(&mut self.pending_keys);
        if self.settings.dry_run {
            for (_, _, t) in &keys {
                if let Some(t) = t {
                    self.wm.done(*t);
                }
            }
            return Ok(());
        }
        let Some(run) = self.run else { return Ok(()) };
        // Only a key the state knows needs an intent: the next run trusts
        // its stored hash, which a killed write could have made stale. A key
        // it does not know is compared with the target anyway.
        let mut names: Vec<String> = Vec::new();
        for (k, _, _) in &keys {
            if self.known.contains_key(k).map_err(scratch)? {
                names.push(k.clone());
            }
        }
        let unit = if names.is_empty() {
            None
        } else {
            Some(self.state.intend(self.scope, run, &names)?)
        };
        let list: Vec<Write<'_>> = writes
            .iter()
            .map(|(i, w)| {
                let key = keys[*i].0.as_str();
                match w {
                    Owned::Create(r) => Write::Create {
                        key,
                        record: &bytes[r.clone()],
                    },
                    Owned::Update(r) => Write::Update {
                        key,
                        patch: &bytes[r.clone()],
                    },
                    Owned::Delete => Write::Delete { key },
                }
            })
            .collect();
        let results = if list.is_empty() {
            Vec::new()
        } else {
            self.target.write(&list).map_err(Failure::Target)?
        };
        let mut failed: HashMap<usize, (Code, String)> = HashMap::new();
        for ((i, _), r) in writes.iter().zip(&results) {
            if let WriteResult::Failed { code, message } = r {
                failed.insert(*i, (*code, message.clone()));
            }
        }
        drop(list);
        self.unit_bytes = bytes;
        self.unit_bytes.clear();
        self.written += (results.len() - failed.len()) as u64;
        if !back.is_empty() {
            let wb = self.write_back.as_deref_mut().ok_or_else(|| {
                Failure::WriteBack(std::io::Error::other(
                    "values flow back to the source, but the source cannot be written",
                ))
            })?;
            let list: Vec<Write<'_>> = back
                .iter()
                .map(|(k, p)| Write::Update { key: k, patch: p })
                .collect();
            for r in wb.write(&list).map_err(Failure::WriteBack)? {
                if let WriteResult::Failed { code, message } = r {
                    return Err(Failure::WriteBack(std::io::Error::other(format!(
                        "{code}: {message}"
                    ))));
                }
            }
        }
        let mut set = Vec::with_capacity(keys.len());
        for (i, (k, s, t)) in keys.into_iter().enumerate() {
            if let Some((code, message)) = failed.get(&i) {
                self.report.counts.rejected += 1;
                self.report.problems.push(Problem {
                    record: 0,
                    line: 0,
                    key: Some(k.clone()),
                    code: *code,
                    message: message.clone(),
                    help: None,
                });
                // Not written: the watermark stays at or before it.
                if let Some(t) = t {
                    self.wm.open(t);
                }
                continue;
            }
            if let Some(t) = t {
                self.wm.done(t);
            }
            set.push((k, s));
        }
        self.intents.extend(unit);
        // Counted only once the run commits (after the target's commit),
        // so the state never claims a write the target did not keep.
        self.state.stage(self.scope, run, &set)?;
        self.events.progress(self.report.counts.read, self.written);
        Ok(())
    }

    /// Keys the state knows that a full pull no longer has: deleted from
    /// the target when the spec (`target.delete: true`) and the run
    /// (`--allow-delete`) both say so.
    fn deletes(&mut self, mapping: &Mapping, start: Start) -> Result<(), Failure> {
        let why_not = if !mapping.target.delete && !self.settings.allow_delete {
            None
        } else if !mapping.target.delete {
            Some(
                "`--allow-delete` was given, but the mapping's `target.delete` is not `true`"
                    .to_string(),
            )
        } else if !self.settings.allow_delete {
            Some(
                "`target.delete: true`, but deletes also need `mapc run --allow-delete`"
                    .to_string(),
            )
        } else if start != Start::Full {
            Some("an incremental pull cannot tell deleted records from unchanged ones; run with `--full`".to_string())
        } else if self.settings.limit.is_some() {
            Some("`--limit` stopped the pull early".to_string())
        } else if self.report.counts.rejected > 0 {
            Some("records were rejected in this pull, and their keys are unknown".to_string())
        } else {
            None
        };
        // Keys are collected only to be deleted; otherwise only counted: an
        // incremental pull that saw few keys finds nearly every known key
        // "gone", and only says so.
        let delete = why_not.is_none() && mapping.target.delete;
        let mut gone = Vec::new();
        let n = self.gone(|k| {
            if delete {
                gone.push(k.to_string());
            }
        })?;
        if n == 0 {
            return Ok(());
        }
        if let Some(why) = why_not {
            self.report.notes.push(format!(
                "{n} record{} the state knows {} no longer in the source; nothing deleted: {why}",
                if n == 1 { "" } else { "s" },
                if n == 1 { "is" } else { "are" },
            ));
            return Ok(());
        }
        gone.sort();
        for k in gone {
            self.report.counts.deleted += 1;
            self.events.planned(&Planned {
                key: k.clone(),
                action: "delete",
                changed: Vec::new(),
                back: Vec::new(),
                reason: None,
            });
            self.pending_writes
                .push((self.pending_keys.len(), Owned::Delete));
            self.pending_keys.push((k, None, None));
            if self.pending_keys.len() >= UNIT {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Calls `each` with every key the state knows that this pull did not
    /// see; returns how many.
    fn gone(&mut self, mut each: impl FnMut(&str)) -> Result<usize, Failure> {
        if self.known.is_empty() {
            return Ok(0);
        }
        let seen = &self.seen;
        let (mut n, mut failed) = (0, None);
        self.known
            .for_each(|k, _| match seen.get(seen_id(k)) {
                Ok(Some(_)) => {}
                Ok(None) => {
                    n += 1;
                    each(k);
                }
                Err(e) => failed = Some(e),
            })
            .map_err(scratch)?;
        match failed {
            Some(e) => Err(scratch(e)),
            None => Ok(n),
        }
    }

    /// Makes the writes durable, then commits the state: the units staged
    /// so far count, the watermark moves, the units' intents end.
    fn finish(&mut self, stored: Option<Timestamp>) -> Result<(), Failure> {
        let next = self.wm.next(stored);
        self.report.watermark_after = next.or(stored).map(|t| t.to_string());
        if self.settings.dry_run {
            return Ok(());
        }
        self.target.commit().map_err(Failure::Target)?;
        if let Some(wb) = self.write_back.as_deref_mut() {
            wb.commit().map_err(Failure::WriteBack)?;
        }
        let text = next.map(|t| t.to_string());
        if let Some(run) = self.run {
            self.state
                .commit_run(self.scope, run, text.as_deref(), &self.intents)?;
        }
        // An intent a killed run left is done with once every one of its
        // keys was decided against the target again (not by hash) and
        // committed above.
        let pending = self.state.pending(self.scope)?;
        for (id, keys) in pending {
            let mut all_seen = true;
            for k in &keys {
                all_seen &= self.seen.get(seen_id(k)).map_err(scratch)?.is_some();
            }
            if all_seen {
                self.state.drop_intent(id)?;
            }
        }
        self.events.progress(self.report.counts.read, self.written);
        Ok(())
    }
}

/// A scratch file of the run's key tables failed (the temporary folder is
/// full or gone): the run fails as a whole, nothing committed.
fn scratch(e: std::io::Error) -> Failure {
    Failure::State(StateError {
        code: mapc_state::codes::WRITE,
        message: format!("the run cannot keep its table of keys: {e}"),
        // The scratch file's error names the folder and the fix.
        help: None,
    })
}

/// A key's identity in the set of keys a pull saw: XXH3-128 of its text,
/// as the engine's duplicate-key check. Two keys share one with
/// probability about n^2/2^129 (negligible for any real pull, as for the
/// engine); a collision could keep a key from being deleted or end a
/// killed run's intent one run early.
fn seen_id(key: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(key.as_bytes())
}

fn probe_key(json: &[u8], path: &[String]) -> Option<String> {
    probe(json, path).ok().flatten().as_ref().and_then(key_text)
}

fn conflict_report(key: &str, c: &Clash) -> ConflictReport {
    ConflictReport {
        key: key.to_string(),
        field: c.path.clone(),
        source: tree::text(&c.source),
        target: tree::text(&c.target),
        base: c.base.as_ref().map(tree::text),
        resolved: c.resolved.map(|s| match s {
            crate::decide::Side::Source => "source",
            crate::decide::Side::Target => "target",
        }),
    }
}
