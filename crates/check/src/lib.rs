//! The validation rules of a spec: the spec rules (`rules`, on the AST) and
//! the metadata checks (`metadata`, against cached `$metadata`). The compile
//! pipeline that runs them is `mapc-compile`.

pub mod metadata;
pub mod rules;
