//! Connectors for mapc.
//!
//! [`metadata`]: the OData v4 `$metadata` (CSDL) model used by `mapc check --schema-cache`
//! and written by the OData connectors.

pub mod metadata;
