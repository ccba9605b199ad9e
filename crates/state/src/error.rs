//! Errors of the state store, as data with a stable code, naming the state
//! file and the fix.

use mapc_diag::Code;
use std::path::Path;

/// Codes of the registry (`crates/diag/src/codes.rs`).
pub mod codes {
    use mapc_diag::Code;

    /// The file is not a mapc state database, or it is damaged.
    pub const UNREADABLE: Code = Code::R0050;
    /// The database was written by a newer mapc (a higher schema version).
    pub const VERSION: Code = Code::R0051;
    /// Another run holds the lock of this spec, environment and mapping.
    pub const LOCKED: Code = Code::R0052;
    /// The database cannot be written (read-only, busy, disk full).
    pub const WRITE: Code = Code::R0053;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateError {
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
}

impl std::fmt::Display for StateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StateError {}

impl StateError {
    /// Classifies an SQLite error on the database at `path`.
    pub(crate) fn sqlite(path: &Path, e: &rusqlite::Error) -> StateError {
        use rusqlite::ErrorCode as C;
        let file = path.display();
        let code = match e {
            rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
            _ => None,
        };
        match code {
            Some(C::NotADatabase) | Some(C::DatabaseCorrupt) => StateError {
                code: codes::UNREADABLE,
                message: format!("the state file {file} is not a mapc state database, or it is damaged ({e})"),
                help: Some("point --state at the right file; if this one is damaged, move it aside: the next run starts over from `polling.lookback_days` and compares every record with the target, so nothing is duplicated".into()),
            },
            Some(C::DatabaseBusy) | Some(C::DatabaseLocked) => StateError {
                code: codes::WRITE,
                message: format!("the state file {file} is busy: another process holds it ({e})"),
                help: Some("wait for the other mapc to finish, then run again".into()),
            },
            Some(C::ReadOnly) | Some(C::CannotOpen) | Some(C::PermissionDenied) | Some(C::DiskFull) | Some(C::SystemIoFailure) => StateError {
                code: codes::WRITE,
                message: format!("the state file {file} cannot be written ({e})"),
                help: Some("make the file and its folder writable (and check free disk space), or point --state elsewhere".into()),
            },
            _ => StateError {
                code: codes::UNREADABLE,
                message: format!("the state file {file} cannot be used: {e}"),
                help: None,
            },
        }
    }
}
