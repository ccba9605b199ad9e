//! [`StateStore`] on one SQLite file.
//!
//! WAL journal with `synchronous = NORMAL`: a commit is atomic and survives
//! a killed process; after a power loss the last commits may be missing,
//! which errs on the safe side (the state then claims less than was
//! written, and the next run compares those records with the target).

use crate::error::{codes, StateError};
use crate::schema::{current, MIGRATIONS};
use crate::{
    Binding, KeyState, MappingState, Overview, RunCounts, RunLog, Scope, StateStore, Unit,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
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
        // 16 MiB of page cache (negative: KiB) instead of 2: the key index
        // of a few hundred thousand keys stays cached while a run commits,
        // and memory stays bounded however many keys there are.
        s.db.pragma_update(None, "cache_size", -16384)
            .map_err(err)?;
        s.migrate(version)?;
        Ok(s)
    }

    fn err(&self, e: rusqlite::Error) -> StateError {
        StateError::sqlite(&self.path, &e)
    }

    fn migrate(&mut self, from: i64) -> Res<()> {
        for (i, step) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            let path = self.path.clone();
            let err = |e: rusqlite::Error| StateError::sqlite(&path, &e);
            let tx = self
                .db
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(err)?;
            // Another process may have migrated while we waited for the lock.
            let now: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(err)?;
            if now > i as i64 {
                continue;
            }
            tx.execute_batch(step).map_err(err)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(err)?;
            tx.commit().map_err(err)?;
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

fn hash_blob(h: u128) -> [u8; 16] {
    h.to_be_bytes()
}

fn blob_hash(b: &[u8]) -> Option<u128> {
    Some(u128::from_be_bytes(b.try_into().ok()?))
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
        let path = self.path.clone();
        let err = |e: rusqlite::Error| StateError::sqlite(&path, &e);
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let held: Option<(i64, String)> = tx
            .query_row(
                "SELECT pid, since FROM locks WHERE env = ?1 AND mapping = ?2",
                params![scope.env, scope.mapping],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(err)?;
        if let Some((pid, since)) = held {
            if alive(pid) {
                return Err(StateError {
                    code: codes::LOCKED,
                    message: format!(
                        "another mapc run (pid {pid}, since {since}) holds mapping `{}`{} in the state file {}",
                        scope.mapping,
                        if scope.env.is_empty() { String::new() } else { format!(" of environment `{}`", scope.env) },
                        path.display()
                    ),
                    help: Some("wait for it to finish; runs of one mapping never interleave. If that process is gone, the next run takes the lock over".into()),
                });
            }
        }
        tx.execute(
            "INSERT INTO runs (env, mapping, started, full) VALUES (?1, ?2, ?3, ?4)",
            params![scope.env, scope.mapping, started, full],
        )
        .map_err(err)?;
        let run = tx.last_insert_rowid();
        tx.execute(
            "INSERT OR REPLACE INTO locks (env, mapping, pid, since, run) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![scope.env, scope.mapping, i64::from(std::process::id()), started, run],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(run)
    }

    fn end_run(&mut self, run: i64, ended: &str, counts: &RunCounts, outcome: &str) -> Res<()> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| StateError::sqlite(&path, &e);
        let counts = serde_json::to_string(counts).unwrap_or_default();
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        tx.execute(
            "UPDATE runs SET ended = ?2, outcome = ?3, counts = ?4 WHERE id = ?1",
            params![run, ended, outcome, counts],
        )
        .map_err(err)?;
        tx.execute("DELETE FROM locks WHERE run = ?1", params![run])
            .map_err(err)?;
        tx.commit().map_err(err)
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

    fn key_states(&self, scope: &Scope) -> Res<HashMap<String, KeyState>> {
        let mut st = self
            .db
            .prepare_cached("SELECT key, hash, bases FROM keys WHERE env = ?1 AND mapping = ?2")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![scope.env, scope.mapping], |r| {
                let key: String = r.get(0)?;
                let hash: Vec<u8> = r.get(1)?;
                let bases: Option<String> = r.get(2)?;
                Ok((key, hash, bases))
            })
            .map_err(|e| self.err(e))?;
        let mut out = HashMap::new();
        for row in rows {
            let (key, hash, bases) = row.map_err(|e| self.err(e))?;
            let damaged = |what: &str| {
                StateError {
                code: codes::UNREADABLE,
                message: format!(
                    "the state file {} is damaged: the {what} of key `{key}` of mapping `{}` cannot be read",
                    self.path.display(),
                    scope.mapping
                ),
                help: Some(format!("forget the mapping's state with `mapc state reset SPEC --mapping {} --yes`; the next run compares every record with the target", scope.mapping)),
            }
            };
            let hash = blob_hash(&hash).ok_or_else(|| damaged("hash"))?;
            let bases: Vec<(String, String)> = match bases {
                Some(b) => serde_json::from_str(&b).map_err(|_| damaged("two-way bases"))?,
                None => Vec::new(),
            };
            out.insert(key, KeyState { hash, bases });
        }
        Ok(out)
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

    fn commit_all(&mut self, scope: &Scope, units: &[(Option<i64>, &Unit<'_>)]) -> Res<()> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| StateError::sqlite(&path, &e);
        // In key order, so the inserts walk the index instead of jumping
        // around it; a stable sort keeps a later unit's state of a key after
        // an earlier one's, so the later one wins as it would unit by unit.
        let mut keys: Vec<&(String, Option<KeyState>)> =
            units.iter().flat_map(|(_, u)| u.keys.iter()).collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        let watermark = units.iter().rev().find_map(|(_, u)| u.watermark);
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        {
            // Rows go in statements of ROWS rows: one statement keeps its
            // cursor on the table's last page while the sorted keys append,
            // where a statement a row searches the table from its root each
            // time (most of a first run's commit).
            let many = put_rows_sql(ROWS);
            let mut put_many = tx.prepare_cached(&many).map_err(err)?;
            let mut put = tx.prepare_cached(&put_rows_sql(1)).map_err(err)?;
            let mut forget = tx
                .prepare_cached("DELETE FROM keys WHERE env = ?1 AND mapping = ?2 AND key = ?3")
                .map_err(err)?;
            let mut run: Vec<(&str, [u8; 16], Option<String>)> = Vec::with_capacity(ROWS);
            let mut flush = |run: &mut Vec<(&str, [u8; 16], Option<String>)>| -> Res<()> {
                let mut rest = &run[..];
                while rest.len() >= ROWS {
                    let (now, later) = rest.split_at(ROWS);
                    put_many
                        .execute(rusqlite::params_from_iter(row_params(scope, now)))
                        .map_err(err)?;
                    rest = later;
                }
                for row in rest {
                    put.execute(rusqlite::params_from_iter(row_params(
                        scope,
                        std::slice::from_ref(row),
                    )))
                    .map_err(err)?;
                }
                run.clear();
                Ok(())
            };
            for (key, state) in keys {
                match state {
                    Some(s) => {
                        let bases = (!s.bases.is_empty())
                            .then(|| serde_json::to_string(&s.bases).unwrap_or_default());
                        run.push((key, hash_blob(s.hash), bases));
                    }
                    None => {
                        // In order: rows before the delete go first.
                        flush(&mut run)?;
                        forget
                            .execute(params![scope.env, scope.mapping, key])
                            .map_err(err)?;
                    }
                }
            }
            flush(&mut run)?;
        }
        if let Some(w) = watermark {
            tx.execute(
                "INSERT OR REPLACE INTO watermarks (env, mapping, value) VALUES (?1, ?2, ?3)",
                params![scope.env, scope.mapping, w],
            )
            .map_err(err)?;
        }
        {
            let mut done = tx
                .prepare_cached("DELETE FROM intents WHERE id = ?1")
                .map_err(err)?;
            for id in units.iter().filter_map(|(id, _)| *id) {
                done.execute(params![id]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
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
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let mut n = 0;
        for table in ["keys", "watermarks", "intents"] {
            let k = match env {
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
            if table == "keys" {
                n = k;
            }
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
                    (SELECT count(*) FROM keys k WHERE k.env = s.env AND k.mapping = s.mapping),
                    (SELECT count(*) FROM intents i WHERE i.env = s.env AND i.mapping = s.mapping),
                    (SELECT 'pid ' || pid || ' since ' || since FROM locks l WHERE l.env = s.env AND l.mapping = s.mapping)
                 FROM (SELECT env, mapping FROM watermarks UNION SELECT env, mapping FROM keys
                       UNION SELECT env, mapping FROM runs) s ORDER BY s.env, s.mapping",
            )
            .map_err(e)?;
        let rows = st
            .query_map([], |r| {
                Ok(MappingState {
                    env: r.get(0)?,
                    mapping: r.get(1)?,
                    watermark: r.get(2)?,
                    keys: r.get::<_, i64>(3)? as u64,
                    pending_units: r.get::<_, i64>(4)? as u64,
                    locked_by: r.get(5)?,
                })
            })
            .map_err(e)?;
        for r in rows {
            o.mappings.push(r.map_err(e)?);
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

/// Key rows a multi-row insert statement writes.
const ROWS: usize = 256;

/// `INSERT OR REPLACE` of `n` key rows: `?1`/`?2` are the scope, then key,
/// hash and bases per row.
fn put_rows_sql(n: usize) -> String {
    let mut sql =
        String::from("INSERT OR REPLACE INTO keys (env, mapping, key, hash, bases) VALUES ");
    for i in 0..n {
        let p = 3 + 3 * i;
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("(?1, ?2, ?{}, ?{}, ?{})", p, p + 1, p + 2));
    }
    sql
}

fn row_params<'r>(
    scope: &'r Scope,
    rows: &'r [(&'r str, [u8; 16], Option<String>)],
) -> impl Iterator<Item = rusqlite::types::ToSqlOutput<'r>> + 'r {
    use rusqlite::types::{ToSqlOutput, ValueRef};
    [
        ToSqlOutput::Borrowed(ValueRef::Text(scope.env.as_bytes())),
        ToSqlOutput::Borrowed(ValueRef::Text(scope.mapping.as_bytes())),
    ]
    .into_iter()
    .chain(rows.iter().flat_map(|(key, hash, bases)| {
        [
            ToSqlOutput::Borrowed(ValueRef::Text(key.as_bytes())),
            ToSqlOutput::Borrowed(ValueRef::Blob(&hash[..])),
            match bases {
                Some(b) => ToSqlOutput::Borrowed(ValueRef::Text(b.as_bytes())),
                None => ToSqlOutput::Borrowed(ValueRef::Null),
            },
        ]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(m: &str) -> Scope {
        Scope {
            env: "prod".into(),
            mapping: m.into(),
        }
    }

    fn ks(h: u128) -> KeyState {
        KeyState {
            hash: h,
            bases: vec![("email".into(), "\"a@x\"".into())],
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
        let k = s.key_states(&sc).unwrap();
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
        /// Units past one multi-row statement ([`ROWS`]), with repeats and
        /// deletes between the rows, end as the units applied one by one.
        #[test]
        fn commit_all_follows_a_model(
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
                                bases: if h == 0 { vec![("f".into(), "1".into())] } else { Vec::new() },
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
            let mut ids = Vec::new();
            for u in &units {
                let names: Vec<String> = u.iter().map(|(k, _)| k.clone()).collect();
                ids.push(s.intend(&sc, 1, &names).unwrap());
            }
            let us: Vec<Unit<'_>> = units.iter().map(|k| Unit { keys: k, watermark: None }).collect();
            let refs: Vec<(Option<i64>, &Unit<'_>)> = ids.iter().copied().map(Some).zip(us.iter()).collect();
            s.commit_all(&sc, &refs).unwrap();
            let got: HashMap<String, u128> = s
                .key_states(&sc)
                .unwrap()
                .into_iter()
                .map(|(k, v)| (k, v.hash))
                .collect();
            proptest::prop_assert_eq!(got, model);
            proptest::prop_assert!(s.pending(&sc).unwrap().is_empty());
        }
    }

    /// Several units in one transaction end as they would one by one: a
    /// later unit's state of a key (or its forgetting) wins, whatever the
    /// key order; every intent ends; the last watermark given is stored.
    #[test]
    fn commit_all_equals_units_in_order() {
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
        let (a, b, c) = (
            Unit {
                keys: &k1,
                watermark: Some("w1"),
            },
            Unit {
                keys: &k2,
                watermark: Some("w2"),
            },
            Unit {
                keys: &k3,
                watermark: None,
            },
        );
        s.commit_all(&sc, &[(Some(u1), &a), (Some(u2), &b), (Some(u3), &c)])
            .unwrap();
        let k = s.key_states(&sc).unwrap();
        assert_eq!(k.len(), 3);
        assert_eq!(k["a"].hash, 3, "the later unit wins");
        assert_eq!(k["z"].hash, 1);
        assert_eq!(k["m"].hash, 4);
        assert!(!k.contains_key("gone"));
        assert!(s.pending(&sc).unwrap().is_empty());
        assert_eq!(s.watermark(&sc).unwrap().as_deref(), Some("w2"));
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
