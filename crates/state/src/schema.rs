//! The schema, created and migrated by the crate: `PRAGMA user_version` is
//! the number of migration steps applied; each step runs once, in order,
//! in one transaction with the version bump.

/// Migration steps; step `i` brings the schema from version `i` to `i + 1`.
/// Append only: a released step never changes.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
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
];

/// The schema version this mapc writes.
pub fn current() -> i64 {
    MIGRATIONS.len() as i64
}
