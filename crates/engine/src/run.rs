//! Running a compiled mapping over a record source: the outcome stream.

/// Stack of each mapping thread: the main thread's usual 8 MiB, so an
/// expression the checker accepts (up to 256 levels) evaluates on a worker
/// exactly as on the main thread.
pub const WORKER_STACK_BYTES: usize = 8 << 20;

use crate::exec::{write_relationships, CompanyData, Processed, Scratch, Verdict, Warning};
use crate::keys::{KeyHash, SeenKeys};
use crate::plan::Compiled;
use mapc_connect::source::{trim, Batch, Item, Source, KEEP_BYTES};
use mapc_diag::{Code, Span};
use mapc_value::json::parse::RecordError;
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Where a record came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// 0-based record number in the input (blank lines are not records);
    /// reports number records from 1.
    pub index: usize,
    /// 1-based line where the record starts.
    pub line: usize,
}

/// A record that was not written because it is broken or a rule said so.
///
/// The parts are kept apart so a report says each once: the record
/// (`file`, `at`, `key`), where in it (`rule`, `place` or `field`), what
/// (`code`, `message`) and the fix (`help`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub file: String,
    pub at: Position,
    /// The record's source key, when it could be read.
    pub key: Option<String>,
    /// The path concerned (a source path for input errors, a target path for
    /// mapping errors), when there is one; list positions 0-based, in JSON
    /// notation (`salesprices[1].endingdate`).
    pub field: Option<String>,
    /// Where, in words numbered from 1 (`price rule 2 of `salesprices`,
    /// field `endingdate``); when set, reports show it instead of `field`.
    pub place: Option<String>,
    /// The rule (0-based index, span of its `when:`) that rejected the
    /// record: its `error` action, or an error in its condition or value.
    pub rule: Option<(usize, Span)>,
    /// A runtime diagnostic code (`R0001`...).
    pub code: Code,
    /// What went wrong; never repeats the record, the path or the rule.
    pub message: String,
    /// How to fix it, when there is a useful hint.
    pub help: Option<String>,
}

/// What became of one input record.
#[derive(Debug)]
pub enum Outcome<'o> {
    /// The target record (compact JSON) and the warnings raised for it.
    Written {
        at: Position,
        key: Option<Cow<'o, str>>,
        json: &'o [u8],
        warnings: &'o [Warning],
        /// The hash of the record's target key (`target.key`), when the
        /// mapping has one ([`crate::keys`]).
        target_key: Option<KeyHash>,
    },
    /// A `skip` rule matched (`rule_span`: its `when:` condition in the spec).
    Skipped {
        at: Position,
        key: Option<Cow<'o, str>>,
        rule: usize,
        rule_span: Span,
        message: String,
    },
    /// The source filter excluded the record (a run would never fetch it).
    Filtered {
        at: Position,
        key: Option<Cow<'o, str>>,
    },
    Rejected(Rejection),
}

/// Receives outcomes in order. An `Err` stops the run (e.g. a closed pipe).
pub trait Sink {
    fn outcome(&mut self, o: Outcome<'_>) -> std::io::Result<()>;
}

impl<F: FnMut(Outcome<'_>) -> std::io::Result<()>> Sink for F {
    fn outcome(&mut self, o: Outcome<'_>) -> std::io::Result<()> {
        self(o)
    }
}

/// Counts of a finished run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub read: usize,
    pub written: usize,
    pub skipped: usize,
    pub filtered: usize,
    pub rejected: usize,
    pub warnings: usize,
}

impl Summary {
    fn count(&mut self, o: &Outcome) {
        self.read += 1;
        match o {
            Outcome::Written { warnings, .. } => {
                self.written += 1;
                self.warnings += warnings.len();
            }
            Outcome::Skipped { .. } => self.skipped += 1,
            Outcome::Filtered { .. } => self.filtered += 1,
            Outcome::Rejected(_) => self.rejected += 1,
        }
    }
}

fn rejection(file: &str, at: Position, key: Option<String>, e: RecordError) -> Rejection {
    Rejection {
        file: file.to_string(),
        at,
        key,
        field: e.field,
        place: e.place.map(String::from),
        rule: e.rule.map(|r| *r),
        code: e.code,
        message: e.message,
        help: e.help.map(String::from),
    }
}

/// The outcome of one mapped record: its verdict, where it came from and
/// (when written) its output. The one place a [`Verdict`] becomes an
/// [`Outcome`], for every way of running. A skip's message and a
/// rejection's error are taken out of `verdict` (it is done with).
fn outcome<'o>(
    file: &str,
    at: Position,
    key: Option<Cow<'o, str>>,
    verdict: &'o mut Verdict,
    json: &'o [u8],
) -> Outcome<'o> {
    match verdict {
        Verdict::Written {
            warnings,
            target_key,
            ..
        } => Outcome::Written {
            at,
            key,
            json,
            warnings,
            target_key: *target_key,
        },
        Verdict::Skipped {
            rule,
            span,
            message,
        } => Outcome::Skipped {
            at,
            key,
            rule: *rule,
            rule_span: *span,
            message: std::mem::take(message),
        },
        Verdict::Filtered => Outcome::Filtered { at, key },
        Verdict::Rejected(e) => {
            let code = e.code;
            let e = std::mem::replace(e, RecordError::new(code, String::new()));
            Outcome::Rejected(rejection(file, at, key.map(Cow::into_owned), e))
        }
    }
}

/// A rejected item's key and error: the error's position in the input
/// resolved, the key read from what is left of a broken record.
fn broken_item(c: &Compiled, item: &Item, data: &[u8]) -> (Option<String>, RecordError) {
    let Err(e) = &item.body else {
        unreachable!("only called for broken items")
    };
    let key = item
        .salvage
        .clone()
        .and_then(|r| std::str::from_utf8(&data[r]).ok().map(|t| c.salvage_key(t)))
        .flatten()
        .map(Cow::into_owned);
    (key, e.clone())
}

/// Resolves the position of a syntax or encoding error of a record read
/// from `item` into its line and column in the input.
fn locate(e: &mut RecordError, item: &Item, record: &[u8]) {
    if e.offset.is_some() {
        e.locate(record, item.line, item.column);
    }
}

/// The outcome of one record mapped on a worker thread; its key and output
/// are ranges in [`Work::keys`] and [`Work::out`].
struct Res {
    at: Position,
    key: Option<std::ops::Range<usize>>,
    verdict: Verdict,
    range: std::ops::Range<usize>,
}

/// One set of buffers of the threaded pipeline: a batch read by the reader,
/// and what a worker made of it. Sets are reused, never dropped mid-run.
#[derive(Default)]
struct Work {
    seq: u64,
    batch: Batch,
    out: Vec<u8>,
    keys: String,
    results: Vec<Res>,
}

impl Work {
    /// Gives back what a huge record made the buffers grow to.
    fn trim(&mut self) {
        self.batch.trim();
        trim(&mut self.out, KEEP_BYTES);
        if self.keys.capacity() > KEEP_BYTES {
            self.keys.shrink_to(KEEP_BYTES.max(self.keys.len()));
        }
    }
}

fn push_key(keys: &mut String, k: &str) -> std::ops::Range<usize> {
    let s = keys.len();
    keys.push_str(k);
    s..keys.len()
}

fn company_id(held: &[Held], i: usize) -> Option<&str> {
    held[i].company.as_ref().and_then(|d| d.id.as_deref())
}

/// What a company's parent number resolved to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Parent {
    /// The one company (or companies with one id) with that number.
    Found(usize),
    /// No company read has that number.
    Unknown,
    /// Companies with different ids have that number (the first two).
    Ambiguous(usize, usize),
}

/// A record held back until all input is read (companies).
struct Held {
    at: Position,
    key: Option<String>,
    verdict: Verdict,
    company: Option<CompanyData>,
    json: Vec<u8>,
}

impl Compiled {
    /// Maps every record of `src`, in input order, into `sink`. One bad
    /// record never stops the stream; only an I/O error (reading the input,
    /// or one returned by the sink) does.
    ///
    /// Memory is flat in the number of records, except for companies
    /// mappings: parent lookup and `create_in_prerequisite` ordering need
    /// every record, so their outputs are held until the input ends.
    pub fn run(&self, src: &mut dyn Source, sink: &mut dyn Sink) -> std::io::Result<Summary> {
        let mut summary = Summary::default();
        let mut scratch = Scratch::new(self);
        let mut batch = Batch::default();
        let mut out = Vec::with_capacity(1 << 16);
        let file = src.name().to_string();
        let mut held: Vec<Held> = Vec::new();
        let mut seen = SeenKeys::new();
        while src.next_batch(&mut batch)? {
            for item in &batch.items {
                let at = Position {
                    index: item.index,
                    line: item.line,
                };
                let body = match &item.body {
                    Ok(r) => &batch.data[r.clone()],
                    Err(_) => {
                        let (key, e) = broken_item(self, item, &batch.data);
                        if self.companies.is_some() {
                            held.push(Held {
                                at,
                                key,
                                verdict: Verdict::Rejected(e),
                                company: None,
                                json: Vec::new(),
                            });
                            continue;
                        }
                        let o = Outcome::Rejected(rejection(&file, at, key, e));
                        summary.count(&o);
                        sink.outcome(o)?;
                        continue;
                    }
                };
                out.clear();
                let Processed {
                    key,
                    mut verdict,
                    company,
                } = self.process(body, &mut scratch, &mut out);
                if self.companies.is_none() {
                    verdict = self.dedupe(&mut seen, verdict, at, &out)?;
                }
                if let Verdict::Rejected(e) = &mut verdict {
                    locate(e, item, body);
                }
                if self.companies.is_some() {
                    held.push(Held {
                        at,
                        key: key.map(Cow::into_owned),
                        verdict,
                        company,
                        json: out.clone(),
                    });
                    continue;
                }
                let o = outcome(&file, at, key, &mut verdict, &out);
                summary.count(&o);
                sink.outcome(o)?;
            }
            batch.trim();
            trim(&mut out, KEEP_BYTES);
        }
        if self.companies.is_some() {
            self.finish_companies(held, &file, &mut summary, sink)?;
        }
        Ok(summary)
    }

    /// Like [`Compiled::run`], with records mapped on several threads (one
    /// per available core, at most 4) while this thread reads input and
    /// feeds `sink`. Outcomes arrive in input order, exactly as from `run`.
    /// Companies mappings, and machines with one core, run single-threaded.
    pub fn run_parallel(
        &self,
        src: &mut dyn Source,
        sink: &mut dyn Sink,
    ) -> std::io::Result<Summary> {
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4);
        self.run_threads(src, sink, workers)
    }

    /// [`Compiled::run_parallel`] with an explicit number of mapping threads.
    ///
    /// Worker threads get [`WORKER_STACK_BYTES`] of stack, like the main thread.
    pub fn run_threads(
        &self,
        src: &mut dyn Source,
        sink: &mut dyn Sink,
        workers: usize,
    ) -> std::io::Result<Summary> {
        if workers <= 1 || self.companies.is_some() {
            return self.run(src, sink);
        }
        use std::sync::mpsc;
        use std::sync::{Arc, Mutex};
        // Memory is a function of `workers` and the batch size only: a
        // fixed number of buffer sets (`window`) circulates between this
        // thread and the workers, each created once and reused, and a batch
        // is read only when one is free, i.e. when fewer than `window`
        // batches are between being read and being handed to the sink
        // (queued, being mapped, or mapped and waiting for an earlier one).
        // Buffers a huge record made grow are trimmed back when they return.
        let window = workers * 2;
        let file = src.name().to_string();
        let (job_tx, job_rx) = mpsc::sync_channel::<Work>(window);
        let job_rx = Arc::new(Mutex::new(job_rx));
        // Unbounded, so a worker never blocks on it (when the sink fails, no
        // one receives any more); the window bounds what is in it.
        let (res_tx, res_rx) = mpsc::channel::<Work>();
        std::thread::scope(|scope| {
            let mut spawned = 0;
            for _ in 0..workers {
                let job_rx = Arc::clone(&job_rx);
                let res_tx = res_tx.clone();
                // Evaluation recurses over the expression tree; a deep (but
                // accepted) expression needs more than the 2 MiB default stack,
                // in debug builds especially.
                let worker = std::thread::Builder::new().stack_size(WORKER_STACK_BYTES);
                let started = worker.spawn_scoped(scope, move || {
                    let mut scratch = Scratch::new(self);
                    loop {
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(mut w) = job else {
                            return;
                        };
                        self.map_batch(&mut w, &mut scratch);
                        if res_tx.send(w).is_err() {
                            return;
                        }
                    }
                });
                spawned += usize::from(started.is_ok());
            }
            drop(res_tx);
            if spawned == 0 {
                return Err(std::io::Error::other("could not start a mapping thread"));
            }
            let mut summary = Summary::default();
            let mut seen = SeenKeys::new();
            // Mapped batches waiting for an earlier one, by sequence number
            // modulo `window` (at most `window` are unfinished at a time).
            let mut pending: Vec<Option<Work>> = (0..window).map(|_| None).collect();
            let mut free: Vec<Work> = Vec::with_capacity(window);
            let (mut seq, mut next, mut eof) = (0u64, 0u64, false);
            let result = (|| -> std::io::Result<Summary> {
                loop {
                    while !eof && seq - next < window as u64 {
                        let mut w = free.pop().unwrap_or_default();
                        if !src.next_batch(&mut w.batch)? {
                            eof = true;
                            free.push(w);
                            break;
                        }
                        w.seq = seq;
                        if job_tx.send(w).is_err() {
                            return Err(std::io::Error::other("a mapping thread stopped"));
                        }
                        seq += 1;
                    }
                    if next == seq {
                        return Ok(summary);
                    }
                    let done = res_rx
                        .recv()
                        .map_err(|_| std::io::Error::other("a mapping thread stopped"))?;
                    let at = (done.seq % window as u64) as usize;
                    pending[at] = Some(done);
                    while let Some(mut d) = pending[(next % window as u64) as usize].take() {
                        next += 1;
                        for r in d.results.drain(..) {
                            let key = r.key.map(|k| Cow::Borrowed(&d.keys[k]));
                            let json = &d.out[r.range.clone()];
                            let mut verdict = self.dedupe(&mut seen, r.verdict, r.at, json)?;
                            let o = outcome(&file, r.at, key, &mut verdict, json);
                            summary.count(&o);
                            sink.outcome(o)?;
                        }
                        d.trim();
                        free.push(d);
                    }
                }
            })();
            drop(job_tx);
            result
        })
    }

    /// Maps the records of one batch on a worker thread into `w`'s output,
    /// key and result buffers.
    fn map_batch(&self, w: &mut Work, scratch: &mut Scratch) {
        w.out.clear();
        w.keys.clear();
        w.results.clear();
        let batch = &w.batch;
        for item in &batch.items {
            let at = Position {
                index: item.index,
                line: item.line,
            };
            let start = w.out.len();
            let (key, verdict) = match &item.body {
                Ok(r) => {
                    let body = &batch.data[r.clone()];
                    let mut p = self.process(body, scratch, &mut w.out);
                    if let Verdict::Rejected(e) = &mut p.verdict {
                        locate(e, item, body);
                    }
                    let key = p.key.map(|k| push_key(&mut w.keys, &k));
                    (key, p.verdict)
                }
                Err(_) => {
                    let (key, e) = broken_item(self, item, &batch.data);
                    let key = key.map(|k| push_key(&mut w.keys, &k));
                    (key, Verdict::Rejected(e))
                }
            };
            w.results.push(Res {
                at,
                key,
                verdict,
                range: start..w.out.len(),
            });
        }
    }

    /// Parent lookup, cycle detection, relationship lists and
    /// `create_in_prerequisite` ordering over all held records.
    ///
    /// Parents are looked up by `number_field` among every record that passed
    /// the source filter and could be read (skipped and rejected ones
    /// included); a number that records with different ids share is no
    /// parent (the child is R0027). A parent id with `|` rejects the child
    /// (R0028). Then target keys are checked for repeats in input order
    /// (R0026). Written records are then reordered among the positions written
    /// records occupy, so skips and rejections keep their input positions in
    /// the outcome stream.
    fn finish_companies(
        &self,
        mut held: Vec<Held>,
        file: &str,
        summary: &mut Summary,
        sink: &mut dyn Sink,
    ) -> std::io::Result<()> {
        let Some(c) = &self.companies else {
            return Ok(());
        };
        let n = held.len();
        // Number -> the first company with it, and another company with it
        // whose id differs (the number then names two companies).
        let mut by_number: HashMap<&str, (usize, Option<usize>)> = HashMap::new();
        for (i, h) in held.iter().enumerate() {
            if let Some(num) = h.company.as_ref().and_then(|d| d.number.as_deref()) {
                let e = by_number.entry(num).or_insert((i, None));
                if e.0 != i && e.1.is_none() && company_id(&held, e.0) != company_id(&held, i) {
                    e.1 = Some(i);
                }
            }
        }
        let parent: Vec<Option<Parent>> = held
            .iter()
            .map(|h| {
                let p = h.company.as_ref()?.parent.as_deref()?;
                Some(match by_number.get(p) {
                    None => Parent::Unknown,
                    Some(&(j, None)) => Parent::Found(j),
                    Some(&(j, Some(k))) => Parent::Ambiguous(j, k),
                })
            })
            .collect();
        // Cycle membership in the functional graph i -> parent(i).
        let mut on_cycle = vec![false; n];
        let mut state = vec![0u8; n]; // 0 new, 1 on the current path, 2 done
        for s in 0..n {
            let mut path = Vec::new();
            let mut cur = Some(s);
            while let Some(i) = cur {
                match state[i] {
                    0 => {
                        state[i] = 1;
                        path.push(i);
                        cur = match parent[i] {
                            Some(Parent::Found(j)) => Some(j),
                            _ => None,
                        };
                    }
                    1 => {
                        // Found a cycle: every node from `i` to the end of the path.
                        if let Some(pos) = path.iter().position(|&x| x == i) {
                            for &x in &path[pos..] {
                                on_cycle[x] = true;
                            }
                        }
                        cur = None;
                    }
                    _ => cur = None,
                }
            }
            for x in path {
                state[x] = 2;
            }
        }
        // Records in a cycle are rejected instead of written.
        for (i, h) in held.iter_mut().enumerate() {
            if on_cycle[i] && matches!(h.verdict, Verdict::Written { .. }) {
                let msg = if parent[i] == Some(Parent::Found(i)) {
                    "the company is its own parent".to_string()
                } else {
                    "the company is in a parent cycle".to_string()
                };
                let mut e = RecordError::new(Code::R0013, msg).with_help(
                    "fix the parent numbers so that the chain of parents ends at a company without a parent",
                );
                e.field = c.parent_field.clone();
                h.verdict = Verdict::Rejected(e);
                h.json.clear();
            }
        }
        // A parent relationship must point to one company, by an id that
        // keeps the relationship id unambiguous.
        if c.hierarchy {
            for i in 0..n {
                if !matches!(held[i].verdict, Verdict::Written { .. }) {
                    continue;
                }
                let number = || {
                    held[i]
                        .company
                        .as_ref()
                        .and_then(|d| d.parent.clone())
                        .unwrap_or_default()
                };
                let e = match parent[i] {
                    Some(Parent::Ambiguous(j, k)) => {
                        let who = |x: usize| match company_id(&held, x) {
                            Some(id) => format!(
                                "record {} (line {}, id `{id}`)",
                                held[x].at.index + 1,
                                held[x].at.line
                            ),
                            None => format!(
                                "record {} (line {}, no id)",
                                held[x].at.index + 1,
                                held[x].at.line
                            ),
                        };
                        RecordError::new(
                            Code::R0027,
                            format!(
                                "the parent company number `{}` belongs to more than one company read in this run: {} and {}; the parent relationship would be a guess",
                                number(),
                                who(j),
                                who(k)
                            ),
                        )
                        .with_help("company numbers must be unique: correct the number of the wrong company at the source")
                    }
                    Some(Parent::Found(p)) if p != i => match company_id(&held, p) {
                        Some(pid) if pid.contains(crate::exec::RELATIONSHIP_ID_SEPARATOR) => {
                            let child = company_id(&held, i).unwrap_or_default();
                            crate::exec::separator_in_id(
                                &format!(
                                    "the id of the parent company (record {}, line {})",
                                    held[p].at.index + 1,
                                    held[p].at.line
                                ),
                                pid,
                                &format!("{pid}|{child}"),
                            )
                        }
                        _ => continue,
                    },
                    _ => continue,
                };
                let mut e = e;
                e.field = c.parent_field.clone();
                held[i].verdict = Verdict::Rejected(e);
                held[i].json.clear();
            }
        }
        // Target keys: the first written record with a key wins, in input
        // order (before `create_in_prerequisite` reorders).
        let mut seen = SeenKeys::new();
        for h in held.iter_mut() {
            if matches!(h.verdict, Verdict::Written { .. }) {
                let v = std::mem::replace(&mut h.verdict, Verdict::Filtered);
                h.verdict = self.dedupe(&mut seen, v, h.at, &h.json)?;
                if !matches!(h.verdict, Verdict::Written { .. }) {
                    h.json.clear();
                }
            }
        }
        let emitted: Vec<bool> = held
            .iter()
            .map(|h| matches!(h.verdict, Verdict::Written { .. }))
            .collect();
        // Emission order.
        let order: Vec<usize> = if c.create_in_prerequisite {
            let mut waiting: HashMap<usize, Vec<usize>> = HashMap::new();
            let mut heap = BinaryHeap::new();
            for i in (0..n).filter(|&i| emitted[i]) {
                match parent[i] {
                    Some(Parent::Found(p)) if emitted[p] && p != i => {
                        waiting.entry(p).or_default().push(i)
                    }
                    _ => heap.push(Reverse(i)),
                }
            }
            let mut order = Vec::with_capacity(n);
            while let Some(Reverse(i)) = heap.pop() {
                order.push(i);
                if let Some(kids) = waiting.remove(&i) {
                    for k in kids {
                        heap.push(Reverse(k));
                    }
                }
            }
            order
        } else {
            (0..n).filter(|&i| emitted[i]).collect()
        };
        let mut next_written = order.into_iter();
        let mut rel_entries: Vec<(String, bool)> = Vec::new();
        let mut json = Vec::new();
        for (slot, &is_written) in emitted.iter().enumerate() {
            let i = if is_written {
                next_written.next().unwrap_or(slot)
            } else {
                slot
            };
            let h = &held[i];
            let at = h.at;
            let key = h.key.clone().map(Cow::Owned);
            let mut verdict = match &h.verdict {
                Verdict::Written {
                    warnings,
                    marker,
                    target_key,
                } => {
                    let mut warnings = warnings.clone();
                    rel_entries.clear();
                    let d = h.company.clone().unwrap_or_default();
                    let company = d.id.clone().unwrap_or_default();
                    if c.hierarchy {
                        match parent[i] {
                            Some(Parent::Found(p)) => match held[p].company.as_ref().and_then(|x| x.id.clone()) {
                                Some(pid) => rel_entries.push((pid, true)),
                                None => warnings.push(Warning {
                                    code: Code::R0102,
                                    message: format!(
                                        "the parent company `{}` has no id; no parent relationship is written",
                                        d.parent.clone().unwrap_or_default()
                                    ),
                                    rule: None,
                                }),
                            },
                            // Rejected above (R0027).
                            Some(Parent::Ambiguous(..)) => {}
                            Some(Parent::Unknown) => warnings.push(Warning {
                                code: Code::R0102,
                                message: format!(
                                    "parent company number `{}` matches no company read in this run; no parent relationship is written",
                                    d.parent.clone().unwrap_or_default()
                                ),
                                rule: None,
                            }),
                            None => {}
                        }
                    }
                    if c.relationships {
                        for (_, ct) in &d.contacts {
                            rel_entries.push((ct.clone(), false));
                        }
                    }
                    json.clear();
                    let m = marker.unwrap_or(h.json.len().saturating_sub(1));
                    json.extend_from_slice(&h.json[..m.min(h.json.len())]);
                    write_relationships(&rel_entries, &company, &mut json);
                    json.extend_from_slice(&h.json[m.min(h.json.len())..]);
                    Verdict::Written {
                        warnings,
                        marker: None,
                        target_key: *target_key,
                    }
                }
                other => other.clone(),
            };
            let o = outcome(file, at, key, &mut verdict, &json);
            summary.count(&o);
            sink.outcome(o)?;
        }
        Ok(())
    }
}
