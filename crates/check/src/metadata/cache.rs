//! Loading the cached `$metadata` models of a spec's connections (M0906, M0907).

use super::{kind_of, Schemas};
use mapc_connect::metadata::{load_cache, Model};
use mapc_diag::{Code, Diagnostic, Diagnostics};
use mapc_syntax::spec::{ConnectionKind, Spec};
use std::collections::HashMap;
use std::path::Path;

impl Schemas {
    pub fn load(dir: &Path, spec: &Spec, diags: &mut Diagnostics) -> Schemas {
        let mut models = HashMap::new();
        for (name, c) in &spec.connections {
            let odata = matches!(
                kind_of(c),
                Some(
                    ConnectionKind::Dataverse
                        | ConnectionKind::BusinessCentral
                        | ConnectionKind::Odata
                )
            );
            match load_cache(dir, &name.value) {
                Ok(Some(model)) => {
                    models.insert(name.value.clone(), model);
                }
                Ok(None) if odata => diags.push(
                    Diagnostic::new(Code::M0907, name.span, format!("no cached `$metadata` for connection `{}`", name.value))
                        .label(format!("no {}", mapc_connect::metadata::cache_path(dir, &name.value).display()))
                        .help(format!(
                            "{}; until then its entities and fields are not checked",
                            put_metadata(dir, &name.value)
                        )),
                ),
                Ok(None) => {}
                Err(e) => diags.push(
                    Diagnostic::new(
                        Code::M0906,
                        name.span,
                        format!("the cached `$metadata` of connection `{}` cannot be read: {e}", name.value),
                    )
                    .label("broken schema cache file")
                    .help(format!(
                        "replace {} with the connection's `$metadata` document (the connector's `mapc schema pull` will do this), or delete the file to check without it",
                        mapc_connect::metadata::cache_path(dir, &name.value).display()
                    )),
                ),
            }
        }
        Schemas {
            dir: dir.to_path_buf(),
            models,
        }
    }

    /// The cache directory the models were read from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The connections whose cache file was read.
    pub fn connections(&self) -> impl Iterator<Item = &str> {
        self.models.keys().map(String::as_str)
    }

    /// The model of one connection, when its cache file was read.
    pub fn model(&self, connection: &str) -> Option<&Model> {
        self.models.get(connection)
    }
}

/// How to provide a connection's metadata: no command fetches it yet.
fn put_metadata(dir: &Path, connection: &str) -> String {
    format!(
        "put the connection's `$metadata` document in {} (the connector's `mapc schema pull` will do this)",
        mapc_connect::metadata::cache_path(dir, connection).display()
    )
}
