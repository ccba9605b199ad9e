//! [`StateStore`] on one SQLite file.
//!
//! WAL journal with `synchronous = NORMAL`: a commit is atomic and survives
//! a killed process; after a power loss the last commits may be missing,
//! which errs on the safe side (the state then claims less than was
//! written, and the next run compares those records with the target).
//!
//! **Key states** live in `key_units`: a row per unit of work, its key
//! states packed (`packed.rs`), applied in row order (a later entry for a
//! key wins). A row with a `run` counts only once that run's `committed`
//! is set ([`StateStore::commit_run`]); `begin_run` deletes the rows of
//! runs that never got there. When superseded entries outnumber the live
//! ones, [`StateStore::compact`] writes the live ones afresh.

use crate::error::{codes, StateError};
use crate::packed;
use crate::schema::{current, Step, MIGRATIONS};
use crate::{
    Binding, KeyState, KeyStates, MappingState, Overview, RunCounts, RunLog, Scope, StateStore,
    Unit,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};

pub struct SqliteState {
    db: Connection,
    path: PathBuf,
}

type Res<T> = Result<T, StateError>;

impl SqliteState {
    /// Opens the database at `path`, creating it (and its folder) when it
    /// does not exist, and migrates its schema.
    pub fn open(path: &Path) -> Res<SqliteState> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StateError {
                code: codes::WRITE,
                message: format!(
                    "cannot create the folder of the state file {}: {e}",
                    path.display()
                ),
                help: Some("make the folder writable, or point --state elsewhere".into()),
            })?;
        }
        Self::connect(path)
    }

    /// Opens an existing database (for `state show` / `reset`).
    pub fn open_existing(path: &Path) -> Res<SqliteState> {
        if !path.is_file() {
            return Err(StateError {
                code: codes::UNREADABLE,
                message: format!("the state file {} does not exist", path.display()),
                help: Some("run `mapc run` first, or point --state at the state file".into()),
            });
        }
        Self::connect(path)
    }

    fn connect(path: &Path) -> Res<SqliteState> {
        let err = |e: rusqlite::Error| StateError::sqlite(path, &e);
        if path.is_dir() {
            return Err(StateError {
                code: codes::UNREADABLE,
                message: format!("the state file {} is a folder", path.display()),
                help: Some("point --state at a file (e.g. .mapc/state.db)".into()),
            });
        }
        let db = Connection::open(path).map_err(err)?;
        db.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        let mut s = SqliteState {
            db,
            path: path.to_path_buf(),
        };
        // The first read tells a non-database file from a database.
        let version: i64 =
            s.db.query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(err)?;
        if version > current() {
            return Err(StateError {
                code: codes::VERSION,
                message: format!(
                    "the state file {} has schema version {version}, written by a newer mapc; this mapc knows versions up to {}",
                    path.display(),
                    current()
                ),
                help: Some("run the newer mapc, or point --state at another file".into()),
            });
        }
        s.db.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .map_err(err)?;
        s.db.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        // 1 MiB of page cache (negative: KiB), half SQLite's default. Key
        // states are written and read a unit blob at a time, in order, so
        // a larger cache buys no speed; it only made a run's memory grow
        // with the state file (16 MiB was the cache of schema 1's row per
        // key).
        s.db.pragma_update(None, "cache_size", -1024).map_err(err)?;
        s.migrate(version)?;
        Ok(s)
    }

    fn err(&self, e: rusqlite::Error) -> StateError {
        StateError::sqlite(&self.path, &e)
    }

    fn migrate(&mut self, from: i64) -> Res<()> {
        for (i, step) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            self.write(|tx| {
                // Another process may have migrated while we waited for the lock.
                let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                if now > i as i64 {
                    return Ok(());
                }
                match step {
                    Step::Sql(sql) => tx.execute_batch(sql)?,
                    Step::Code(f) => f(tx)?,
                }
                tx.pragma_update(None, "user_version", i as i64 + 1)
            })?;
        }
        Ok(())
    }

    /// The schema version of the open database.
    pub fn version(&self) -> Res<i64> {
        self.db
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether the process `pid` is alive (Linux: `/proc/PID`; elsewhere every
/// process is taken as alive, so a lock is never stolen wrongly).
fn alive(pid: i64) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

impl StateStore for SqliteState {
    fn begin_run(&mut self, scope: &Scope, started: &str, full: bool) -> Res<i64> {
        // Inside: `Err((pid, since))` when a live process holds the lock
        // (the transaction then changed nothing, and commits nothing).
        let got = self.write(|tx| {
            let held: Option<(i64, String)> = tx
                .query_row(
                    "SELECT pid, since FROM locks WHERE env = ?1 AND mapping = ?2",
                    params![scope.env, scope.mapping],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((pid, since)) = held.filter(|(pid, _)| alive(*pid)) {
                return Ok(Err((pid, since)));
            }
            // Units staged by runs that never committed (killed, failed): the
            // lock is ours, so none of them is still being written.
            tx.execute(
                "DELETE FROM key_units WHERE env = ?1 AND mapping = ?2 AND run IS NOT NULL
                   AND run NOT IN (SELECT id FROM runs WHERE committed = 1)",
                params![scope.env, scope.mapping],
            )?;
            tx.execute(
                "INSERT INTO runs (env, mapping, started, full) VALUES (?1, ?2, ?3, ?4)",
                params![scope.env, scope.mapping, started, full],
            )?;
            let run = tx.last_insert_rowid();
            tx.execute(
                "INSERT OR REPLACE INTO locks (env, mapping, pid, since, run) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![scope.env, scope.mapping, i64::from(std::process::id()), started, run],
            )?;
            Ok(Ok(run))
        })?;
        got.map_err(|(pid, since)| StateError {
            code: codes::LOCKED,
            message: format!(
                "another mapc run (pid {pid}, since {since}) holds mapping `{}`{} in the state file {}",
                scope.mapping,
                if scope.env.is_empty() { String::new() } else { format!(" of environment `{}`", scope.env) },
                self.path.display()
            ),
            help: Some("wait for it to finish; runs of one mapping never interleave. If that process is gone, the next run takes the lock over".into()),
        })
    }

    fn end_run(&mut self, run: i64, ended: &str, counts: &RunCounts, outcome: &str) -> Res<()> {
        let counts = serde_json::to_string(counts).unwrap_or_default();
        self.write(|tx| {
            tx.execute(
                "UPDATE runs SET ended = ?2, outcome = ?3, counts = ?4 WHERE id = ?1",
                params![run, ended, outcome, counts],
            )?;
            tx.execute("DELETE FROM locks WHERE run = ?1", params![run])?;
            Ok(())
        })
    }

    fn watermark(&self, scope: &Scope) -> Res<Option<String>> {
        self.db
            .query_row(
                "SELECT value FROM watermarks WHERE env = ?1 AND mapping = ?2",
                params![scope.env, scope.mapping],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    fn binding(&self, env: &str, connection: &str) -> Res<Option<String>> {
        self.db
            .query_row(
                "SELECT url FROM bindings WHERE env = ?1 AND connection = ?2",
                params![env, connection],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    fn bind(&mut self, env: &str, connection: &str, url: &str) -> Res<()> {
        self.db
            .execute(
                "INSERT OR REPLACE INTO bindings (env, connection, url) VALUES (?1, ?2, ?3)",
                params![env, connection, strip_secrets(url)],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    fn key_states(&self, scope: &Scope) -> Res<KeyStates> {
        self.load(scope)
    }

    fn intend(&mut self, scope: &Scope, run: i64, keys: &[String]) -> Res<i64> {
        let keys = serde_json::to_string(keys).unwrap_or_default();
        self.db
            .execute(
                "INSERT INTO intents (env, mapping, run, keys) VALUES (?1, ?2, ?3, ?4)",
                params![scope.env, scope.mapping, run, keys],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.db.last_insert_rowid())
    }

    fn commit(&mut self, scope: &Scope, unit_id: Option<i64>, unit: &Unit<'_>) -> Res<()> {
        self.write(|tx| {
            put_unit(tx, scope, None, unit.keys)?;
            finish_commit(tx, scope, unit.watermark, unit_id.as_slice())
        })
    }

    fn stage(&mut self, scope: &Scope, run: i64, keys: &[(String, Option<KeyState>)]) -> Res<()> {
        if keys.is_empty() {
            return Ok(());
        }
        put_unit(&self.db, scope, Some(run), keys).map_err(|e| self.err(e))
    }

    fn commit_run(
        &mut self,
        scope: &Scope,
        run: i64,
        watermark: Option<&str>,
        intents: &[i64],
    ) -> Res<()> {
        self.write(|tx| {
            tx.execute("UPDATE runs SET committed = 1 WHERE id = ?1", params![run])?;
            finish_commit(tx, scope, watermark, intents)
        })
    }

    fn compact(&mut self, scope: &Scope, live: &mut KeyStates) -> Res<()> {
        let stored: i64 = self
            .db
            .query_row(
                "SELECT coalesce(sum(entries), 0) FROM key_units WHERE env = ?1 AND mapping = ?2",
                params![scope.env, scope.mapping],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let stale = (stored.max(0) as usize).saturating_sub(live.len());
        if stale <= live.len().max(COMPACT_SLACK) {
            return Ok(());
        }
        // Streamed a unit at a time: the live states are never all in memory.
        self.write(|tx| {
            tx.execute(
                "DELETE FROM key_units WHERE env = ?1 AND mapping = ?2",
                params![scope.env, scope.mapping],
            )?;
            let mut chunk: Vec<(String, Option<KeyState>)> = Vec::with_capacity(COMPACT_UNIT);
            let mut failed = None;
            live.for_each(|k, s| {
                if failed.is_some() {
                    return;
                }
                chunk.push((k.to_string(), Some(s)));
                if chunk.len() == COMPACT_UNIT {
                    failed = put_unit(tx, scope, None, &chunk).err();
                    chunk.clear();
                }
            })
            // A scratch file's I/O error, carried out of the transaction.
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            match failed {
                Some(e) => Err(e),
                None if chunk.is_empty() => Ok(()),
                None => put_unit(tx, scope, None, &chunk),
            }
        })
    }

    fn pending(&self, scope: &Scope) -> Res<Vec<(i64, Vec<String>)>> {
        let mut st = self
            .db
            .prepare_cached(
                "SELECT id, keys FROM intents WHERE env = ?1 AND mapping = ?2 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![scope.env, scope.mapping], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, keys) = row.map_err(|e| self.err(e))?;
            let keys: Vec<String> = serde_json::from_str(&keys).map_err(|_| StateError {
                code: codes::UNREADABLE,
                message: format!(
                    "the state file {} is damaged: intent {id} cannot be read",
                    self.path.display()
                ),
                help: Some(format!(
                    "forget the mapping's state with `mapc state reset SPEC --mapping {} --yes`",
                    scope.mapping
                )),
            })?;
            out.push((id, keys));
        }
        Ok(out)
    }

    fn drop_intent(&mut self, unit_id: i64) -> Res<()> {
        self.db
            .execute("DELETE FROM intents WHERE id = ?1", params![unit_id])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    fn reset(&mut self, mapping: &str, env: Option<&str>) -> Res<usize> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| StateError::sqlite(&path, &e);
        // Unchecked: the count below reads through `self` inside it.
        let tx = self.db.unchecked_transaction().map_err(err)?;
        let envs: Vec<String> = match env {
            Some(e) => vec![e.to_string()],
            None => {
                let mut st = tx
                    .prepare("SELECT DISTINCT env FROM key_units WHERE mapping = ?1")
                    .map_err(err)?;
                let rows = st.query_map(params![mapping], |r| r.get(0)).map_err(err)?;
                rows.collect::<Result<_, _>>().map_err(err)?
            }
        };
        let mut n = 0;
        for env in envs {
            let scope = Scope {
                env,
                mapping: mapping.to_string(),
            };
            // Reset is the fix a damaged state names, so it must work on
            // one: what cannot be read counts as the entries stored.
            n += match self.load(&scope) {
                Ok(live) => live.len(),
                Err(_) => tx
                    .query_row(
                        "SELECT coalesce(sum(entries), 0) FROM key_units WHERE env = ?1 AND mapping = ?2",
                        params![scope.env, scope.mapping],
                        |r| r.get::<_, i64>(0),
                    )
                    .map_err(err)?
                    .max(0) as usize,
            };
        }
        for table in ["key_units", "watermarks", "intents"] {
            match env {
                Some(e) => tx.execute(
                    &format!("DELETE FROM {table} WHERE mapping = ?1 AND env = ?2"),
                    params![mapping, e],
                ),
                None => tx.execute(
                    &format!("DELETE FROM {table} WHERE mapping = ?1"),
                    params![mapping],
                ),
            }
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(n)
    }

    fn show(&self, last_runs: usize) -> Res<Overview> {
        let e = |e: rusqlite::Error| self.err(e);
        let mut o = Overview::default();
        let mut st = self
            .db
            .prepare(
                "SELECT s.env, s.mapping,
                    (SELECT value FROM watermarks w WHERE w.env = s.env AND w.mapping = s.mapping),
                    (SELECT count(*) FROM intents i WHERE i.env = s.env AND i.mapping = s.mapping),
                    (SELECT 'pid ' || pid || ' since ' || since FROM locks l WHERE l.env = s.env AND l.mapping = s.mapping)
                 FROM (SELECT env, mapping FROM watermarks UNION SELECT env, mapping FROM key_units
                       UNION SELECT env, mapping FROM runs) s ORDER BY s.env, s.mapping",
            )
            .map_err(e)?;
        let rows = st
            .query_map([], |r| {
                Ok(MappingState {
                    env: r.get(0)?,
                    mapping: r.get(1)?,
                    watermark: r.get(2)?,
                    keys: 0,
                    pending_units: r.get::<_, i64>(3)? as u64,
                    locked_by: r.get(4)?,
                })
            })
            .map_err(e)?;
        for r in rows {
            let mut m = r.map_err(e)?;
            let scope = Scope {
                env: m.env.clone(),
                mapping: m.mapping.clone(),
            };
            m.keys = self.load(&scope)?.len() as u64;
            o.mappings.push(m);
        }
        let mut st = self
            .db
            .prepare("SELECT env, connection, url FROM bindings ORDER BY env, connection")
            .map_err(e)?;
        let rows = st
            .query_map([], |r| {
                Ok(Binding {
                    env: r.get(0)?,
                    connection: r.get(1)?,
                    bound_to: r.get(2)?,
                })
            })
            .map_err(e)?;
        for r in rows {
            o.bindings.push(r.map_err(e)?);
        }
        let mut st = self
            .db
            .prepare("SELECT id, env, mapping, started, ended, full, outcome, counts FROM runs ORDER BY id DESC LIMIT ?1")
            .map_err(e)?;
        let rows = st
            .query_map(params![last_runs as i64], |r| {
                let counts: Option<String> = r.get(7)?;
                Ok(RunLog {
                    id: r.get(0)?,
                    env: r.get(1)?,
                    mapping: r.get(2)?,
                    started: r.get(3)?,
                    ended: r.get(4)?,
                    full: r.get(5)?,
                    outcome: r.get(6)?,
                    counts: counts.and_then(|c| serde_json::from_str(&c).ok()),
                })
            })
            .map_err(e)?;
        for r in rows {
            o.runs.push(r.map_err(e)?);
        }
        Ok(o)
    }
}

/// A binding is shown and stored; a URL's user info and query (where a
/// token could hide) are not part of it.
fn strip_secrets(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let rest = match rest.split_once('/') {
        Some((auth, path)) => format!("{}/{path}", auth.rsplit('@').next().unwrap_or(auth)),
        None => rest.rsplit('@').next().unwrap_or(rest).to_string(),
    };
    format!("{scheme}://{rest}")
}

/// Superseded entries [`StateStore::compact`] lets pass before it
/// rewrites (at least; past that, when they outnumber the live keys).
const COMPACT_SLACK: usize = 4096;

/// Keys a unit written by [`StateStore::compact`] holds.
const COMPACT_UNIT: usize = 4096;

/// Inserts one unit's key states, packed, staged by `run` (or committed).
fn put_unit(
    db: &Connection,
    scope: &Scope,
    run: Option<i64>,
    keys: &[(String, Option<KeyState>)],
) -> rusqlite::Result<()> {
    let mut data = Vec::with_capacity(keys.len() * 64);
    for (k, s) in keys {
        packed::push(&mut data, k, s.as_ref());
    }
    db.prepare_cached(
        "INSERT INTO key_units (env, mapping, run, entries, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        scope.env,
        scope.mapping,
        run,
        keys.len() as i64,
        data
    ])?;
    Ok(())
}

/// The end of a commit: the watermark, and the intents that are done.
fn finish_commit(
    db: &Connection,
    scope: &Scope,
    watermark: Option<&str>,
    intents: &[i64],
) -> rusqlite::Result<()> {
    if let Some(w) = watermark {
        db.execute(
            "INSERT OR REPLACE INTO watermarks (env, mapping, value) VALUES (?1, ?2, ?3)",
            params![scope.env, scope.mapping, w],
        )?;
    }
    let mut done = db.prepare_cached("DELETE FROM intents WHERE id = ?1")?;
    for id in intents {
        done.execute(params![id])?;
    }
    Ok(())
}

impl SqliteState {
    /// Runs `f` in one write transaction (taken at once, so a run waits for
    /// another's commit instead of failing half-way) and commits it.
    fn write<T>(&mut self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Res<T> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| StateError::sqlite(&path, &e);
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let out = f(&tx).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(out)
    }

    /// The live key states of a scope.
    fn load(&self, scope: &Scope) -> Res<KeyStates> {
        let mut st = self
            .db
            .prepare_cached(
                "SELECT u.id, u.data FROM key_units u LEFT JOIN runs r ON r.id = u.run
                 WHERE u.env = ?1 AND u.mapping = ?2 AND (u.run IS NULL OR r.committed = 1)
                 ORDER BY u.id",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = st
            .query(params![scope.env, scope.mapping])
            .map_err(|e| self.err(e))?;
        let mut live = KeyStates::new();
        let mut failed: Option<std::io::Error> = None;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let id: i64 = r.get(0).map_err(|e| self.err(e))?;
            let data = r
                .get_ref(1)
                .and_then(|v| v.as_blob().map_err(Into::into))
                .map_err(|e| self.err(e))?;
            packed::read(data, |k, s| {
                if failed.is_some() {
                    return;
                }
                failed = match s {
                    Some(s) => live.insert(k, &s),
                    None => live.remove(k),
                }
                .err();
            })
            .map_err(|d| StateError {
                code: codes::UNREADABLE,
                message: format!(
                    "the state file {} is damaged: the key states of mapping `{}` (unit {id}, byte {}) cannot be read: bad {}",
                    self.path.display(),
                    scope.mapping,
                    d.offset,
                    d.what
                ),
                help: Some(format!("forget the mapping's state with `mapc state reset SPEC --mapping {} --yes`; the next run compares every record with the target", scope.mapping)),
            })?;
            if let Some(e) = failed.take() {
                return Err(self.scratch_error(scope, e));
            }
        }
        Ok(live)
    }

    fn scratch_error(&self, scope: &Scope, e: std::io::Error) -> StateError {
        StateError {
            code: codes::WRITE,
            message: format!(
                "the key states of mapping `{}` cannot be held: {e}",
                scope.mapping
            ),
            // The scratch file's error names the folder and the fix.
            help: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Every key state of `sc`, as a map to compare.
    fn states(s: &SqliteState, sc: &Scope) -> HashMap<String, KeyState> {
        s.key_states(sc).unwrap().to_map().unwrap()
    }

    fn scope(m: &str) -> Scope {
        Scope {
            env: "prod".into(),
            mapping: m.into(),
        }
    }

    fn ks(h: u128) -> KeyState {
        KeyState {
            hash: h,
            bases: vec![("email".into(), "\"a@x\"".into())].into(),
        }
    }

    #[test]
    fn units_commit_key_states_and_the_watermark_together() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/state.db");
        let mut s = SqliteState::open(&path).unwrap();
        assert_eq!(s.version().unwrap(), current());
        let sc = scope("m");
        let run = s.begin_run(&sc, "2026-12-06T00:00:00Z", false).unwrap();
        let u = s.intend(&sc, run, &["k1".into(), "k2".into()]).unwrap();
        assert_eq!(
            s.pending(&sc).unwrap(),
            vec![(u, vec!["k1".to_string(), "k2".to_string()])]
        );
        assert!(
            s.key_states(&sc).unwrap().is_empty(),
            "an intent claims nothing"
        );
        let keys = [
            ("k1".to_string(), Some(ks(1))),
            ("k2".to_string(), Some(ks(u128::MAX))),
        ];
        s.commit(
            &sc,
            Some(u),
            &Unit {
                keys: &keys,
                watermark: Some("2026-11-20T10:00:00Z"),
            },
        )
        .unwrap();
        assert!(s.pending(&sc).unwrap().is_empty());
        s.end_run(run, "2026-12-06T00:00:01Z", &RunCounts::default(), "ok")
            .unwrap();
        drop(s);
        let s = SqliteState::open(&path).unwrap();
        let k = states(&s, &sc);
        assert_eq!(k["k2"], ks(u128::MAX));
        assert_eq!(
            s.watermark(&sc).unwrap().as_deref(),
            Some("2026-11-20T10:00:00Z")
        );
        assert_eq!(s.watermark(&scope("other")).unwrap(), None);
        let o = s.show(5).unwrap();
        assert_eq!(o.mappings[0].keys, 2);
        assert_eq!(o.runs[0].outcome.as_deref(), Some("ok"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 12, ..Default::default() })]
        /// A run's staged units of many keys, with repeats and deletes
        /// between them, end as the units applied one by one once it commits.
        #[test]
        fn staged_units_of_many_keys_follow_a_model(
            units in proptest::collection::vec(
                proptest::collection::vec((0u16..700, proptest::option::weighted(0.85, 0u8..4)), 0..600),
                1..4,
            )
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut s = SqliteState::open(&dir.path().join("s.db")).unwrap();
            let sc = scope("m");
            let mut model: HashMap<String, u128> = HashMap::new();
            let units: Vec<Vec<(String, Option<KeyState>)>> = units
                .into_iter()
                .map(|u| {
                    u.into_iter()
                        .map(|(k, h)| {
                            let key = format!("k\u{e9}{k:03}");
                            let st = h.map(|h| KeyState {
                                hash: u128::from(h) << 100 | u128::from(k),
                                bases: if h == 0 { vec![("f".into(), "1".into())].into() } else { Box::default() },
                            });
                            match &st {
                                Some(st) => model.insert(key.clone(), st.hash),
                                None => model.remove(&key),
                            };
                            (key, st)
                        })
                        .collect()
                })
                .collect();
            let run = s.begin_run(&sc, "t", false).unwrap();
            let mut ids = Vec::new();
            for u in &units {
                let names: Vec<String> = u.iter().map(|(k, _)| k.clone()).collect();
                ids.push(s.intend(&sc, run, &names).unwrap());
                s.stage(&sc, run, u).unwrap();
            }
            s.commit_run(&sc, run, None, &ids).unwrap();
            let got: HashMap<String, u128> = states(&s, &sc)
                .into_iter()
                .map(|(k, v)| (k, v.hash))
                .collect();
            proptest::prop_assert_eq!(got, model);
            proptest::prop_assert!(s.pending(&sc).unwrap().is_empty());
        }
    }

    /// A run's staged units end as units committed one by one would: a
    /// later unit's state of a key (or its forgetting) wins, whatever the
    /// key order; every intent given ends; the watermark given is stored.
    #[test]
    fn staged_units_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteState::open(&dir.path().join("s.db")).unwrap();
        let sc = scope("m");
        let u0 = s.intend(&sc, 1, &[]).unwrap();
        s.commit(
            &sc,
            Some(u0),
            &Unit {
                keys: &[("gone".into(), Some(ks(9)))],
                watermark: Some("w0"),
            },
        )
        .unwrap();
        let u1 = s.intend(&sc, 1, &["z".into(), "a".into()]).unwrap();
        let u2 = s.intend(&sc, 1, &["a".into(), "gone".into()]).unwrap();
        let u3 = s.intend(&sc, 1, &["m".into()]).unwrap();
        let k1 = [
            ("z".to_string(), Some(ks(1))),
            ("a".to_string(), Some(ks(2))),
        ];
        let k2 = [("a".to_string(), Some(ks(3))), ("gone".to_string(), None)];
        let k3 = [("m".to_string(), Some(ks(4)))];
        let run = s.begin_run(&sc, "t", false).unwrap();
        for keys in [&k1[..], &k2[..], &k3[..]] {
            s.stage(&sc, run, keys).unwrap();
        }
        s.commit_run(&sc, run, Some("w2"), &[u1, u2, u3]).unwrap();
        let k = states(&s, &sc);
        assert_eq!(k.len(), 3);
        assert_eq!(k["a"].hash, 3, "the later unit wins");
        assert_eq!(k["z"].hash, 1);
        assert_eq!(k["m"].hash, 4);
        assert!(!k.contains_key("gone"));
        assert!(s.pending(&sc).unwrap().is_empty());
        assert_eq!(s.watermark(&sc).unwrap().as_deref(), Some("w2"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 16, ..Default::default() })]
        /// Runs that stage units and then commit, fail or are killed, with
        /// a compaction at the start of each: the store always equals a
        /// model that applies only committed runs' units, in order.
        #[test]
        fn staged_units_count_only_once_their_run_commits(
            runs in proptest::collection::vec(
                (
                    proptest::collection::vec(
                        proptest::collection::vec((0u8..40, proptest::option::weighted(0.8, 0u8..3)), 0..30),
                        0..4,
                    ),
                    0u8..3,
                ),
                1..8,
            )
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("s.db");
            let mut s = SqliteState::open(&path).unwrap();
            let sc = scope("m");
            let mut model: HashMap<String, KeyState> = HashMap::new();
            for (i, (units, end)) in runs.into_iter().enumerate() {
                let run = s.begin_run(&sc, &format!("t{i}"), false).unwrap();
                let mut live = s.key_states(&sc).unwrap();
                proptest::prop_assert_eq!(&live.to_map().unwrap(), &model);
                s.compact(&sc, &mut live).unwrap();
                proptest::prop_assert_eq!(&states(&s, &sc), &model);
                let mut next = model.clone();
                for u in units {
                    let keys: Vec<(String, Option<KeyState>)> = u
                        .into_iter()
                        .map(|(k, h)| {
                            let st = h.map(|h| KeyState {
                                hash: u128::from(h) << 64 | u128::from(k) | (i as u128) << 100,
                                bases: if h == 0 { vec![("f".into(), format!("{i}"))].into() } else { Box::default() },
                            });
                            (format!("k{k}"), st)
                        })
                        .collect();
                    for (k, st) in &keys {
                        match st {
                            Some(st) => next.insert(k.as_str().into(), st.clone()),
                            None => next.remove(k.as_str()),
                        };
                    }
                    s.stage(&sc, run, &keys).unwrap();
                    // Staged, not yet counted.
                    proptest::prop_assert_eq!(&states(&s, &sc), &model);
                }
                match end {
                    0 => {
                        s.commit_run(&sc, run, Some(&format!("w{i}")), &[]).unwrap();
                        s.end_run(run, "t", &RunCounts::default(), "ok").unwrap();
                        model = next;
                    }
                    1 => s.end_run(run, "t", &RunCounts::default(), "failed").unwrap(),
                    _ => {
                        // Killed: the lock stays with a process that is gone.
                        s.db.execute("UPDATE locks SET pid = 2147483647", []).unwrap();
                        drop(s);
                        s = SqliteState::open(&path).unwrap();
                    }
                }
                proptest::prop_assert_eq!(&states(&s, &sc), &model);
            }
            let run = s.begin_run(&sc, "last", false).unwrap();
            let _ = run;
            // Nothing an unfinished run staged survives its successor's start.
            let orphans: i64 = s
                .db
                .query_row(
                    "SELECT count(*) FROM key_units WHERE run IS NOT NULL AND run NOT IN (SELECT id FROM runs WHERE committed = 1)",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            proptest::prop_assert_eq!(orphans, 0);
            proptest::prop_assert_eq!(s.show(1).unwrap().mappings[0].keys, model.len() as u64);
        }
    }

    /// Setting the same keys run after run does not grow the store past
    /// a bound: compaction keeps the entries near the live keys.
    #[test]
    fn compaction_bounds_the_store_by_the_keys() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteState::open(&dir.path().join("s.db")).unwrap();
        let sc = scope("m");
        let keys: Vec<String> = (0..3000).map(|i| format!("key-{i}")).collect();
        for r in 0..6u128 {
            let run = s.begin_run(&sc, "t", false).unwrap();
            let mut live = s.key_states(&sc).unwrap();
            s.compact(&sc, &mut live).unwrap();
            let set: Vec<(String, Option<KeyState>)> =
                keys.iter().map(|k| (k.clone(), Some(ks(r)))).collect();
            s.stage(&sc, run, &set).unwrap();
            s.commit_run(&sc, run, None, &[]).unwrap();
            s.end_run(run, "t", &RunCounts::default(), "ok").unwrap();
        }
        let stored: i64 =
            s.db.query_row("SELECT sum(entries) FROM key_units", [], |r| r.get(0))
                .unwrap();
        assert!(
            stored <= (3000 + 3000 + COMPACT_SLACK) as i64,
            "{stored} entries stored for 3000 keys"
        );
        let k = states(&s, &sc);
        assert_eq!(k.len(), 3000);
        assert!(k.values().all(|v| v.hash == 5));
    }

    /// A version 1 file (a row a key) opens as version 2 with the same key
    /// states; a row whose hash is not 16 bytes is left out (the state
    /// then knows less, the safe side).
    #[test]
    fn a_version_1_file_keeps_its_key_states() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.db");
        let c = Connection::open(&path).unwrap();
        let Step::Sql(v1) = &MIGRATIONS[0] else {
            panic!("step 1 is SQL")
        };
        c.execute_batch(v1).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        for i in 0..5000u128 {
            c.execute(
                "INSERT INTO keys VALUES ('prod', 'm', ?1, ?2, ?3)",
                params![
                    format!("k{i}"),
                    &i.to_be_bytes()[..],
                    (i % 2 == 0).then(|| format!("[[\"f\",\"{i}\"]]"))
                ],
            )
            .unwrap();
        }
        c.execute(
            "INSERT INTO keys VALUES ('', 'other', 'x', ?1, NULL)",
            params![&7u128.to_be_bytes()[..]],
        )
        .unwrap();
        c.execute(
            "INSERT INTO keys VALUES ('prod', 'm', 'bad', x'0102', NULL)",
            [],
        )
        .unwrap();
        drop(c);
        let s = SqliteState::open(&path).unwrap();
        assert_eq!(s.version().unwrap(), 2);
        let k = states(&s, &scope("m"));
        assert_eq!(k.len(), 5000);
        assert_eq!(k["k4"].hash, 4);
        assert_eq!(&*k["k4"].bases, &[("f".to_string(), "4".to_string())]);
        assert!(k["k5"].bases.is_empty());
        let other = Scope {
            env: String::new(),
            mapping: "other".into(),
        };
        assert_eq!(states(&s, &other)["x"].hash, 7);
        let gone: Option<String> =
            s.db.query_row(
                "SELECT name FROM sqlite_master WHERE name = 'keys'",
                [],
                |r| r.get(0),
            )
            .optional()
            .unwrap();
        assert_eq!(gone, None);
    }

    #[test]
    fn forgetting_keys_and_resetting() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteState::open(&dir.path().join("s.db")).unwrap();
        let sc = scope("m");
        let u = s.intend(&sc, 1, &[]).unwrap();
        s.commit(
            &sc,
            Some(u),
            &Unit {
                keys: &[("a".into(), Some(ks(1))), ("b".into(), Some(ks(2)))],
                watermark: Some("w"),
            },
        )
        .unwrap();
        let u = s.intend(&sc, 1, &["a".into()]).unwrap();
        s.commit(
            &sc,
            Some(u),
            &Unit {
                keys: &[("a".into(), None)],
                watermark: None,
            },
        )
        .unwrap();
        assert_eq!(s.key_states(&sc).unwrap().len(), 1);
        assert_eq!(s.watermark(&sc).unwrap().as_deref(), Some("w"));
        s.intend(&sc, 1, &["x".into()]).unwrap();
        assert_eq!(s.reset("m", Some("test")).unwrap(), 0);
        assert_eq!(s.reset("m", None).unwrap(), 1);
        assert_eq!(s.watermark(&sc).unwrap(), None);
        assert!(s.pending(&sc).unwrap().is_empty());
    }

    /// A damaged unit makes reading the keys an error that names the fix,
    /// and the fix (reset) works on it.
    #[test]
    fn a_damaged_unit_is_named_and_reset_clears_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteState::open(&dir.path().join("s.db")).unwrap();
        let sc = scope("m");
        s.commit(
            &sc,
            None,
            &Unit {
                keys: &[("k\u{e9}".into(), Some(ks(1)))],
                watermark: Some("w"),
            },
        )
        .unwrap();
        s.db.execute("UPDATE key_units SET data = x'0100000041'", [])
            .unwrap();
        let e = s.key_states(&sc).unwrap_err();
        assert_eq!(e.code, codes::UNREADABLE);
        assert!(
            e.message.contains("s.db") && e.message.contains("`m`"),
            "{}",
            e.message
        );
        assert!(
            e.help.as_deref().unwrap_or("").contains("mapc state reset"),
            "{e:?}"
        );
        assert_eq!(s.reset("m", None).unwrap(), 1);
        assert!(s.key_states(&sc).unwrap().is_empty());
        assert_eq!(s.watermark(&sc).unwrap(), None);
    }

    #[test]
    fn a_live_lock_is_refused_and_a_dead_one_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut a = SqliteState::open(&path).unwrap();
        let mut b = SqliteState::open(&path).unwrap();
        let sc = scope("m");
        let run = a.begin_run(&sc, "t0", false).unwrap();
        let e = b.begin_run(&sc, "t1", false).unwrap_err();
        assert_eq!(e.code, codes::LOCKED);
        assert!(
            e.message.contains("another mapc run")
                && e.message.contains(&std::process::id().to_string()),
            "{}",
            e.message
        );
        // Another mapping is not held.
        b.begin_run(&scope("n"), "t1", false).unwrap();
        a.end_run(run, "t2", &RunCounts::default(), "ok").unwrap();
        b.begin_run(&sc, "t3", false).unwrap();
        // A lock whose process is gone (a killed run).
        b.db.execute("UPDATE locks SET pid = 2147483647", [])
            .unwrap();
        a.begin_run(&sc, "t4", false).unwrap();
    }

    #[test]
    fn broken_files_are_named_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.db");
        std::fs::write(
            &junk,
            b"this is not a database, not at all, but long enough to have a header",
        )
        .unwrap();
        let e = SqliteState::open(&junk).err().unwrap();
        assert_eq!(e.code, codes::UNREADABLE);
        assert!(e.message.contains("junk.db"), "{}", e.message);

        let good = dir.path().join("good.db");
        let mut s = SqliteState::open(&good).unwrap();
        let u = s.intend(&scope("m"), 1, &[]).unwrap();
        let keys: Vec<(String, Option<KeyState>)> = (0..2000)
            .map(|i| (format!("key-{i}"), Some(ks(i))))
            .collect();
        s.commit(
            &scope("m"),
            Some(u),
            &Unit {
                keys: &keys,
                watermark: None,
            },
        )
        .unwrap();
        s.db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
        drop(s);
        let bytes = std::fs::read(&good).unwrap();
        let cut = dir.path().join("cut.db");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let e = SqliteState::open(&cut).and_then(|s| s.key_states(&scope("m")).map(|_| ()));
        let e = e
            .err()
            .unwrap_or_else(|| panic!("a truncated file is refused"));
        assert_eq!(e.code, codes::UNREADABLE, "{}", e.message);
        assert!(e.message.contains("cut.db"));

        let newer = dir.path().join("newer.db");
        let c = Connection::open(&newer).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        let e = SqliteState::open(&newer).err().unwrap();
        assert_eq!(e.code, codes::VERSION);
        assert!(e.message.contains("version 99"), "{}", e.message);

        let e = SqliteState::open(dir.path()).err().unwrap();
        assert!(e.message.contains("is a folder"), "{}", e.message);
    }

    #[test]
    fn bindings_keep_no_secrets() {
        assert_eq!(
            strip_secrets("https://user:pw@host/x?token=1"),
            "https://host/x"
        );
        assert_eq!(strip_secrets("/data/out.ndjson"), "/data/out.ndjson");
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteState::open(&dir.path().join("s.db")).unwrap();
        s.bind(
            "prod",
            "crm",
            "https://a:b@org.crm4.dynamics.com/?sig=secret",
        )
        .unwrap();
        assert_eq!(
            s.binding("prod", "crm").unwrap().as_deref(),
            Some("https://org.crm4.dynamics.com/")
        );
        assert_eq!(s.binding("test", "crm").unwrap(), None);
    }
}
