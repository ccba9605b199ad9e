//! Checks against cached `$metadata` (M09xx).

use mapc_diag::Diagnostics;
use mapc_ir::{Program, SchemaInfo, Type};
use mapc_syntax::spec::Spec;
use std::path::Path;

/// The cached models of a spec's connections.
pub struct Schemas {}

impl Schemas {
    pub fn load(dir: &Path, spec: &Spec, diags: &mut Diagnostics) -> Schemas {
        let _ = (dir, spec, diags);
        Schemas {}
    }

    pub fn check(&self, spec: &Spec, program: &Program, diags: &mut Diagnostics) {
        let _ = (spec, program, diags);
    }
}

impl SchemaInfo for Schemas {
    fn field_type(&self, _connection: &str, _entity: &str, _field: &str) -> Option<Type> {
        None
    }
}
