//! The schema, created and migrated by the crate: `PRAGMA user_version` is
//! the number of migration steps applied; each step runs once, in order,
//! in one transaction with the version bump.

use crate::packed;
use rusqlite::Connection;

/// One migration step: SQL, or code where SQL cannot say it (packing key
/// states into units).
pub enum Step {
    Sql(&'static str),
    Code(fn(&Connection) -> rusqlite::Result<()>),
}

/// Migration steps; step `i` brings the schema from version `i` to `i + 1`.
/// Append only: a released step never changes.
pub const MIGRATIONS: &[Step] = &[
    // 1: the first schema.
    Step::Sql(
        "CREATE TABLE watermarks (
        env TEXT NOT NULL, mapping TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (env, mapping)) WITHOUT ROWID;
     CREATE TABLE bindings (
        env TEXT NOT NULL, connection TEXT NOT NULL, url TEXT NOT NULL,
        PRIMARY KEY (env, connection)) WITHOUT ROWID;
     CREATE TABLE keys (
        env TEXT NOT NULL, mapping TEXT NOT NULL, key TEXT NOT NULL,
        hash BLOB NOT NULL, bases TEXT,
        PRIMARY KEY (env, mapping, key)) WITHOUT ROWID;
     CREATE TABLE intents (
        id INTEGER PRIMARY KEY, env TEXT NOT NULL, mapping TEXT NOT NULL,
        run INTEGER NOT NULL, keys TEXT NOT NULL);
     CREATE TABLE runs (
        id INTEGER PRIMARY KEY, env TEXT NOT NULL, mapping TEXT NOT NULL,
        started TEXT NOT NULL, ended TEXT, full INTEGER NOT NULL,
        outcome TEXT, counts TEXT);
     CREATE TABLE locks (
        env TEXT NOT NULL, mapping TEXT NOT NULL, pid INTEGER NOT NULL,
        since TEXT NOT NULL, run INTEGER NOT NULL,
        PRIMARY KEY (env, mapping)) WITHOUT ROWID;",
    ),
    // 2: key states a unit at a time (`key_units`, see `packed.rs`), which
    // count once their run's `committed` is set.
    Step::Code(key_units),
];

/// Version 1 kept a row a key (`keys`); version 2 keeps a row a unit. The
/// rows move over as units of `PER_UNIT` keys that belong to no run (they
/// were committed). A row whose hash is not 16 bytes is left out: the
/// state then knows less than was written, which is the safe side (the
/// next run compares that record with the target).
fn key_units(tx: &Connection) -> rusqlite::Result<()> {
    const PER_UNIT: usize = 4096;
    tx.execute_batch(
        "ALTER TABLE runs ADD COLUMN committed INTEGER NOT NULL DEFAULT 0;
         CREATE TABLE key_units (
            id INTEGER PRIMARY KEY, env TEXT NOT NULL, mapping TEXT NOT NULL,
            run INTEGER, entries INTEGER NOT NULL, data BLOB NOT NULL);
         CREATE INDEX key_units_scope ON key_units (env, mapping, id);",
    )?;
    let mut put = tx.prepare(
        "INSERT INTO key_units (env, mapping, run, entries, data) VALUES (?1, ?2, NULL, ?3, ?4)",
    )?;
    let mut rows =
        tx.prepare("SELECT env, mapping, key, hash, bases FROM keys ORDER BY env, mapping, key")?;
    let mut rows = rows.query([])?;
    let mut scope: Option<(String, String)> = None;
    let (mut data, mut n) = (Vec::new(), 0usize);
    let mut flush = |scope: &Option<(String, String)>, data: &mut Vec<u8>, n: &mut usize| {
        if let (Some((env, mapping)), true) = (scope, *n > 0) {
            put.execute(rusqlite::params![env, mapping, *n as i64, &data[..]])?;
        }
        data.clear();
        *n = 0;
        Ok::<(), rusqlite::Error>(())
    };
    while let Some(r) = rows.next()? {
        let here: (String, String) = (r.get(0)?, r.get(1)?);
        if scope.as_ref() != Some(&here) || n == PER_UNIT {
            flush(&scope, &mut data, &mut n)?;
            scope = Some(here);
        }
        let key: String = r.get(2)?;
        let hash: Vec<u8> = r.get(3)?;
        let bases: Option<String> = r.get(4)?;
        let Ok(hash) = <[u8; 16]>::try_from(&hash[..]) else {
            continue;
        };
        let bases: Vec<(String, String)> = match bases {
            Some(b) => match serde_json::from_str(&b) {
                Ok(b) => b,
                Err(_) => continue,
            },
            None => Vec::new(),
        };
        let state = crate::KeyState {
            hash: u128::from_be_bytes(hash),
            bases: bases.into_boxed_slice(),
        };
        packed::push(&mut data, &key, Some(&state));
        n += 1;
    }
    flush(&scope, &mut data, &mut n)?;
    drop(rows);
    tx.execute_batch("DROP TABLE keys;")
}

/// The schema version this mapc writes.
pub fn current() -> i64 {
    MIGRATIONS.len() as i64
}
