//! What `mapc run` remembers between runs, per environment and mapping: the
//! watermark, the connection each environment is bound to, for every target
//! key the hash of the record last written and the last-synced value of
//! each `two_way` field (the base of the three-way merge), intents of units
//! being written, the run lock, and a run log.
//!
//! Behind [`StateStore`] so a server database can back it later; SQLite
//! ([`SqliteState`], one file, WAL) is the default and the only one now.
//!
//! The store never claims a write that did not happen: the caller records
//! an intent ([`StateStore::intend`]) before writing a unit, and commits its
//! key states and watermark ([`StateStore::commit`]) in one transaction
//! only after the target accepted the writes. An intent left by a killed run
//! names the keys whose stored hash cannot be trusted.
//!
//! A target that makes a run's writes durable only at its end (a file,
//! renamed into place) lets the run hand each unit's key states over as it
//! goes ([`StateStore::stage`]): they count only once the run commits
//! ([`StateStore::commit_run`], one small transaction after the target's
//! commit), so the run neither holds them in memory nor writes them all
//! at its end.

mod error;
mod key_states;
mod packed;
mod schema;
mod sqlite;

pub use error::{codes, StateError};
pub use key_states::KeyStates;
pub use sqlite::SqliteState;

/// Which stream of state: the environment ("" when the spec has none in
/// use) and the mapping.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    pub env: String,
    pub mapping: String,
}

/// What the store remembers of one target key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyState {
    /// 128-bit hash of the mapped record last written for this key.
    pub hash: u128,
    /// Last-synced value (compact JSON) of each `two_way` field, by dotted
    /// target path.
    pub bases: Box<[(String, String)]>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunCounts {
    pub read: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub conflicts: u64,
    pub rejected: u64,
    pub deleted: u64,
}

/// One committed unit of work: the key states it sets (`None` forgets the
/// key, after a delete) and the new watermark, if it moves.
pub struct Unit<'a> {
    pub keys: &'a [(String, Option<KeyState>)],
    pub watermark: Option<&'a str>,
}

/// For `mapc state show`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Overview {
    pub mappings: Vec<MappingState>,
    pub bindings: Vec<Binding>,
    pub runs: Vec<RunLog>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MappingState {
    pub env: String,
    pub mapping: String,
    pub watermark: Option<String>,
    /// Target keys remembered.
    pub keys: u64,
    /// Units a killed run left unconfirmed (their keys are re-checked).
    pub pending_units: u64,
    /// The run holding the lock now, if any: "pid N since T".
    pub locked_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Binding {
    pub env: String,
    pub connection: String,
    pub bound_to: String,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RunLog {
    pub id: i64,
    pub env: String,
    pub mapping: String,
    pub started: String,
    pub ended: Option<String>,
    pub full: bool,
    /// ok | rejected | failed | (none: still running, or killed)
    pub outcome: Option<String>,
    pub counts: Option<RunCounts>,
}

pub trait StateStore {
    /// Takes the run lock of `scope` and opens a run-log row; returns the
    /// run id. Refused ([`codes::LOCKED`]) while another live process holds
    /// the lock; a lock whose process is gone is taken over.
    fn begin_run(&mut self, scope: &Scope, started: &str, full: bool) -> Result<i64, StateError>;
    /// Closes the run-log row and releases the lock.
    fn end_run(
        &mut self,
        run: i64,
        ended: &str,
        counts: &RunCounts,
        outcome: &str,
    ) -> Result<(), StateError>;
    fn watermark(&self, scope: &Scope) -> Result<Option<String>, StateError>;
    /// The connection URL or file path an environment's connection is bound to.
    fn binding(&self, env: &str, connection: &str) -> Result<Option<String>, StateError>;
    fn bind(&mut self, env: &str, connection: &str, url: &str) -> Result<(), StateError>;
    /// Every key state of a scope (a run holds keys and hashes in memory).
    fn key_states(&self, scope: &Scope) -> Result<KeyStates, StateError>;
    /// Records the intent to write `keys`; returns the unit id.
    fn intend(&mut self, scope: &Scope, run: i64, keys: &[String]) -> Result<i64, StateError>;
    /// After the writes of a unit succeeded and are durable (a target that
    /// commits unit by unit): the unit's key states and watermark, and the
    /// end of its intent, in one transaction. `unit_id`: the unit's intent,
    /// if it had one. (A file target is durable only at its end; a run
    /// writing one stages its units instead, [`StateStore::stage`].)
    fn commit(
        &mut self,
        scope: &Scope,
        unit_id: Option<i64>,
        unit: &Unit<'_>,
    ) -> Result<(), StateError>;
    /// Stores a unit's key states for run `run`, invisible until
    /// [`StateStore::commit_run`] of that run; a run that never gets there
    /// (killed, failed) leaves nothing the store claims, and the next
    /// [`StateStore::begin_run`] of the scope removes them.
    fn stage(
        &mut self,
        scope: &Scope,
        run: i64,
        keys: &[(String, Option<KeyState>)],
    ) -> Result<(), StateError>;
    /// After the target made the run's writes durable: every unit `run`
    /// staged now counts, the watermark moves (when given) and the unit
    /// intents `intents` end, in one transaction.
    fn commit_run(
        &mut self,
        scope: &Scope,
        run: i64,
        watermark: Option<&str>,
        intents: &[i64],
    ) -> Result<(), StateError>;
    /// Under the run lock, with `live` as [`StateStore::key_states`] just
    /// returned it: when superseded entries (keys set again, forgotten)
    /// outnumber the live ones, stores `live` afresh, so the store grows
    /// with the keys, not with the runs.
    fn compact(&mut self, scope: &Scope, live: &mut KeyStates) -> Result<(), StateError>;
    /// Intents never committed (a killed run), with their keys.
    fn pending(&self, scope: &Scope) -> Result<Vec<(i64, Vec<String>)>, StateError>;
    fn drop_intent(&mut self, unit_id: i64) -> Result<(), StateError>;
    /// Forgets a mapping's watermark, key states and intents, in one
    /// environment or (None) all; returns how many keys were forgotten.
    fn reset(&mut self, mapping: &str, env: Option<&str>) -> Result<usize, StateError>;
    fn show(&self, last_runs: usize) -> Result<Overview, StateError>;
}
