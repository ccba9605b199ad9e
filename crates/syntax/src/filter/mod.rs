//! OData v4 `$filter` (`source.filter:`): grammar in `grammar/odata_filter.pest`.
mod ast;
mod parse;
pub use ast::*;
pub use parse::*;
#[cfg(test)]
mod tests;
