//! OData v4 `$metadata` (CSDL XML) model for Dataverse, Business Central and generic OData
//! services.
//!
//! [`parse_csdl`] turns a `$metadata` document into a [`Model`]: entity types (with
//! `BaseType` inheritance flattened, so inherited keys, properties and navigation
//! properties are answered directly), entity sets, enum and complex types. `mapc check`
//! uses it to validate entity, field, key and `related.via` names of a spec against the
//! real service, with did-you-mean suggestions.
//!
//! # What is read
//!
//! `edmx:Edmx` / `edmx:DataServices` / `Schema` (one or more, each with `Namespace` and
//! optional `Alias`; `edmx:Reference/edmx:Include` aliases are honoured too):
//! - `EntityType` (`Name`, `BaseType`, `Abstract`, `OpenType`) with `Key/PropertyRef`,
//!   `Property` (`Name`, `Type`, `Nullable`, `MaxLength`, `Precision`, `Scale`, `Unicode`,
//!   and `Core.Computed` / `Core.Permissions` annotations), `NavigationProperty` (`Name`,
//!   `Type` such as `mscrm.account` or `Collection(mscrm.opportunityproduct)`, `Nullable`,
//!   `Partner`, `ContainsTarget`, `ReferentialConstraint`) and the
//!   `OData.Community.Keys.V1.AlternateKeys` annotation;
//! - `ComplexType`, `EnumType` (members), `TypeDefinition` (resolved to its underlying
//!   type);
//! - `EntityContainer/EntitySet` (`Name`, `EntityType`).
//!
//! Everything else (functions, actions, terms, out-of-line `Annotations`) is skipped.
//! OData v2/v3 CSDL (`schemas.microsoft.com` namespaces) and JSON CSDL are rejected with a
//! clear [`MetadataError`]. Names are case-sensitive, as in the Web API.
//!
//! # Schema cache layout
//!
//! `mapc check --schema-cache DIR` reads, and the OData connector writes, one file per
//! connection of the spec:
//!
//! ```text
//! DIR/
//!   {connection_name}.xml     the raw $metadata document of that connection, exactly as
//!                             served by GET {service root}/$metadata (UTF-8; a BOM is allowed)
//! ```
//!
//! For a spec with connections `crm` (Dataverse) and `bc` (Business Central) that is
//! `DIR/crm.xml` (from `{url}/api/data/v9.2/$metadata`) and `DIR/bc.xml` (from
//! `.../api/v2.0/$metadata`). A missing file means "no metadata for this connection":
//! [`load_cache`] returns `Ok(None)` and checks that need metadata are skipped. A file that
//! cannot be read or parsed is an error naming the file. Use [`cache_path`] to build the
//! path and [`write_cache`] to store a document (written to a temporary file, then renamed).
//!
//! # Dataverse conventions the model understands
//!
//! Entity types are table logical names and derive from `mscrm.crmbaseentity`
//! (`systemuser`/`team` from `mscrm.principal`, whose key `ownerid` they inherit). A lookup
//! column `x` appears as a read-only `_x_value` (`Edm.Guid`) property plus single-valued
//! navigation properties (`x`, or `x_{table}` per target for polymorphic lookups);
//! [`Model::resolve_via`] implements the spec's `related.via` rules on top of that.

mod csdl;
mod model;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub use csdl::parse_csdl;
pub use model::{
    ComplexType, EdmType, EntitySet, EntityType, EnumMember, EnumType, LookupError, LookupKind,
    Model, Navigation, Property, ReferentialConstraint, Scale, SchemaInfo, ViaError,
};

/// At most this many did-you-mean candidates are reported.
pub const MAX_SUGGESTIONS: usize = 5;

/// A 1-based line/column position in a `$metadata` document (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// What went wrong with a `$metadata` document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataErrorKind {
    /// The cache file could not be read or written.
    Io,
    /// The text is not well-formed XML.
    Xml,
    /// Well-formed, but not an OData v4 CSDL document (HTML error page, JSON, OData v3, ...).
    NotCsdl,
    /// CSDL with a broken reference (unknown base type, navigation target, entity set
    /// type, key property, inheritance cycle, missing required attribute).
    Invalid,
}

/// An error reading or parsing a `$metadata` document. Carries the position in the
/// document when there is one, and the file path when it came from the schema cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataError {
    pub kind: MetadataErrorKind,
    /// Human-readable message without position or path.
    pub message: String,
    /// Where in the document (1-based); `None` for I/O errors.
    pub position: Option<Position>,
    /// The cache file, when the document came from one.
    pub path: Option<PathBuf>,
}

impl MetadataError {
    pub(crate) fn new(
        kind: MetadataErrorKind,
        position: Option<Position>,
        message: impl Into<String>,
    ) -> Self {
        MetadataError {
            kind,
            message: message.into(),
            position,
            path: None,
        }
    }

    /// 1-based line, if the error has a position.
    pub fn line(&self) -> Option<u32> {
        self.position.map(|p| p.line)
    }

    /// 1-based column, if the error has a position.
    pub fn column(&self) -> Option<u32> {
        self.position.map(|p| p.column)
    }

    /// Attaches the file the document was read from.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }
}

impl fmt::Display for MetadataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, self.position) {
            (Some(p), Some(pos)) => write!(f, "{}:{}: {}", p.display(), pos, self.message),
            (Some(p), None) => write!(f, "{}: {}", p.display(), self.message),
            (None, Some(pos)) => write!(f, "$metadata {}: {}", pos, self.message),
            (None, None) => write!(f, "$metadata: {}", self.message),
        }
    }
}

impl std::error::Error for MetadataError {}

/// Words longer than this get no similarity-ranked suggestions: no OData
/// identifier is that long (at most 128 characters), and Jaro-Winkler is
/// quadratic in the length (a 1 MB misspelled column name kept
/// `mapc check --schema-cache` busy for half a minute).
pub const MAX_SUGGESTION_WORD: usize = 256;

/// Ranked did-you-mean candidates for `word` among `candidates`, best first, at most
/// [`MAX_SUGGESTIONS`]: exact case-insensitive matches first, then names whose
/// Jaro-Winkler similarity (case-insensitive) is at least 0.8. A word longer than
/// [`MAX_SUGGESTION_WORD`] is only matched case-insensitively.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let lower = word.to_lowercase();
    let long = word.len() > MAX_SUGGESTION_WORD;
    let mut scored: Vec<(f64, &str)> = Vec::new();
    for c in candidates {
        if c == word {
            continue;
        }
        let cl = c.to_lowercase();
        let score = if cl == lower {
            2.0
        } else if long {
            continue;
        } else {
            strsim::jaro_winkler(&lower, &cl)
        };
        if score >= 0.8 && !scored.iter().any(|(_, s)| *s == c) {
            scored.push((score, c));
        }
    }
    // Stable: equal scores keep candidate order.
    scored.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, c)| c.to_string())
        .collect()
}

/// `DIR/{connection}.xml`.
pub fn cache_path(dir: &Path, connection: &str) -> PathBuf {
    dir.join(format!("{connection}.xml"))
}

fn check_connection_name(connection: &str) -> Result<(), MetadataError> {
    let bad = connection.is_empty()
        || connection.starts_with('.')
        || connection.contains(['/', '\\', '\0'])
        || connection.contains(':');
    if bad {
        return Err(MetadataError::new(
            MetadataErrorKind::Io,
            None,
            format!("`{connection}` is not usable as a schema cache file name"),
        ));
    }
    Ok(())
}

/// Loads the cached `$metadata` of `connection` from `DIR/{connection}.xml`.
///
/// `Ok(None)` when the file does not exist. An unreadable file, invalid UTF-8 or an
/// invalid document is an error whose `path` is the file.
pub fn load_cache(dir: &Path, connection: &str) -> Result<Option<Model>, MetadataError> {
    check_connection_name(connection)?;
    let path = cache_path(dir, connection);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(MetadataError::new(
                MetadataErrorKind::Io,
                None,
                format!("cannot read schema cache file: {e}"),
            )
            .with_path(path))
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
            let line = prefix.matches('\n').count() as u32 + 1;
            let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            return Err(MetadataError::new(
                MetadataErrorKind::Xml,
                Some(Position { line, column }),
                "the file is not valid UTF-8",
            )
            .with_path(path));
        }
    };
    parse_csdl(&text).map(Some).map_err(|e| e.with_path(path))
}

/// Stores a raw `$metadata` document as `DIR/{connection}.xml` (creating `DIR`), via a
/// temporary file and a rename so readers never see a half-written file. The document is
/// not validated; call [`parse_csdl`] first if that matters. Returns the file path.
pub fn write_cache(dir: &Path, connection: &str, xml: &str) -> Result<PathBuf, MetadataError> {
    check_connection_name(connection)?;
    let path = cache_path(dir, connection);
    let tmp = dir.join(format!(".{connection}.xml.tmp"));
    let io_err = |what: &str, e: io::Error, p: &Path| {
        MetadataError::new(
            MetadataErrorKind::Io,
            None,
            format!("cannot {what} schema cache file: {e}"),
        )
        .with_path(p)
    };
    std::fs::create_dir_all(dir).map_err(|e| io_err("create the directory of the", e, dir))?;
    std::fs::write(&tmp, xml).map_err(|e| io_err("write", e, &tmp))?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err("replace", e, &path)
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_longer_than_an_identifier_is_answered_at_once() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let names: Vec<String> = (0..30).map(|i| format!("column_{i}")).collect();
            let word = "column_".repeat(600_000);
            let _ = tx.send(suggest(&word, names.iter().map(String::as_str)));
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(5));
        assert_eq!(got, Ok(vec![]), "took longer than 5 s, or suggested a name");
        // Still matched when it differs only in case.
        let long = "x".repeat(300);
        assert_eq!(suggest(&long.to_uppercase(), [long.as_str()]), vec![long]);
    }

    #[test]
    fn suggest_ranks_case_insensitive_first() {
        let c = ["accounts", "Account", "contact", "accountleads"];
        let s = suggest("account", c);
        assert_eq!(s.first().map(String::as_str), Some("Account"));
        assert!(s.contains(&"accounts".to_string()));
        assert!(!s.contains(&"contact".to_string()));
        assert!(suggest("zzz", c).is_empty());
    }

    #[test]
    fn error_display_includes_position_and_path() {
        let e = MetadataError::new(
            MetadataErrorKind::Xml,
            Some(Position { line: 3, column: 7 }),
            "boom",
        );
        assert_eq!(e.to_string(), "$metadata 3:7: boom");
        let e = e.with_path("x/crm.xml");
        assert_eq!(e.to_string(), "x/crm.xml:3:7: boom");
    }

    #[test]
    fn rejects_path_like_connection_names() {
        let dir = Path::new("/nonexistent");
        for bad in ["", "../x", "a/b", ".hidden", "a\\b"] {
            assert!(load_cache(dir, bad).is_err(), "{bad}");
        }
    }
}
