//! Checks against cached `$metadata` (M09xx).
//!
//! With `--schema-cache DIR`, [`Schemas::load`] reads `DIR/{connection}.xml`
//! for every connection of the spec (M0906 when a file is broken, M0907 when
//! an OData connection has none), the lowering takes property types from it
//! through [`SchemaInfo`], and [`Schemas::check`] validates every entity,
//! field, navigation and constant of the spec against the models:
//!
//! - M0901: source, target, related and products entities;
//! - M0902: fields in `from:` paths, expressions, filters, `key`,
//!   `changed_since`, `sku_field`, `order_by`, `navigation`, company fields
//!   and target paths;
//! - M0903: `related.via` is a single-valued navigation to the related entity;
//! - M0904: a `value:`/`default:` constant, or the inferred type of a `from:`
//!   path or an `expr:` (of fields, `set` rules and document amounts), does
//!   not fit the target property's type (only clear mismatches: see
//!   [`value_mismatch`]);
//! - M0905: a string constant is longer than the target property's MaxLength.
//!
//! Connections without a cached model are skipped silently (after M0907):
//! nothing here guesses.
//!
//! The jobs are split by file: [`cache`] reads the cached models, [`names`]
//! checks entity, field and navigation names on the AST, [`types`] checks
//! the inferred IR types against the target properties, and [`edm`] checks
//! constants against Edm types with the literal validators.

mod cache;
mod edm;
mod names;
mod types;

use mapc_connect::metadata::Model;
use mapc_diag::Diagnostics;
use mapc_ir::Program;
use mapc_syntax::spec::{Connection, ConnectionKind, Spec};
use std::collections::HashMap;
use std::path::PathBuf;

pub use edm::{is_date, is_datetime, is_guid, is_time};
pub use types::{edm_to_type, value_mismatch};

/// The cached models of a spec's connections.
pub struct Schemas {
    dir: PathBuf,
    models: HashMap<String, Model>,
}

fn kind_of(c: &Connection) -> Option<ConnectionKind> {
    c.kind.as_ref().map(|k| k.value)
}

impl Schemas {
    pub fn check(&self, spec: &Spec, program: &Program, diags: &mut Diagnostics) {
        for m in &spec.mappings {
            self.mapping(spec, m, diags);
        }
        for m in &program.mappings {
            self.value_types(m, diags);
        }
    }
}
