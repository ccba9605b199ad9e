//! M0904 for inferred IR types: `from:` paths and expressions whose type does
//! not fit the target property, and the Edm-to-expression type mapping the
//! lowering uses.

use super::names::walk;
use super::Schemas;
use mapc_connect::metadata::EdmType;
use mapc_diag::{Code, Diagnostic, Diagnostics, Span};
use mapc_ir::{
    Mapping as IrMapping, PathRef, RuleAction, SchemaInfo, TargetPath, Type, ValueSource,
};

impl Schemas {
    /// M0904 for `from:` paths and expressions (of fields, `set` rules and
    /// document amounts) whose type, inferred with the source metadata, does
    /// not fit the target property. Only mappings lowered without errors are
    /// looked at (their types are trustworthy), and only clear mismatches are
    /// reported; see [`value_mismatch`].
    pub(super) fn value_types(&self, m: &IrMapping, diags: &mut Diagnostics) {
        let Some(model) = self.model(&m.target.connection) else {
            return;
        };
        let Ok(target) = model.entity(&m.target.entity) else {
            return;
        };
        let mut entries: Vec<(&ValueSource, &TargetPath)> = m
            .fields
            .iter()
            .filter(|f| !f.implicit)
            .map(|f| (&f.source, &f.to))
            .collect();
        for r in &m.rules {
            if let RuleAction::Set { to, source } = &r.action {
                entries.push((source, to));
            }
        }
        if let Some(p) = &m.products {
            for a in [&p.discount, &p.tax, &p.freight].into_iter().flatten() {
                entries.push((&a.source, &a.to));
            }
        }
        for (source, to) in entries {
            let (ty, span, what, arg) = match source {
                ValueSource::From(p) => (
                    self.source_path_type(m, p),
                    p.span,
                    format!("`from: {}`", p.dotted()),
                    p.dotted(),
                ),
                ValueSource::Expr(e) => (
                    e.ty.clone(),
                    e.span,
                    "the expression".to_string(),
                    "...".to_string(),
                ),
                ValueSource::Value(_) => continue, // constants: `TargetCx::constant`
            };
            let segs: Vec<(&str, Span)> = to.segments.iter().map(|s| (&**s, to.span)).collect();
            // Unknown target paths were reported (M0902) by the spec walk.
            let mut ignored = Diagnostics::new();
            let Some(prop) = walk(model, &m.target.connection, target, &segs, &mut ignored) else {
                continue;
            };
            if prop.collection {
                continue;
            }
            let Some(help) = value_mismatch(&ty, &prop.ty, &arg) else {
                continue;
            };
            diags.push(
                Diagnostic::new(
                    Code::M0904,
                    span,
                    format!(
                        "{what} is {}, but `{}` of `{}` is {} (connection `{}`)",
                        mapc_ir_a(&ty),
                        to.dotted(),
                        target.name(),
                        prop.ty,
                        m.target.connection
                    ),
                )
                .label(format!("{} does not fit {}", mapc_ir_a(&ty), prop.ty))
                .help(help),
            );
        }
    }

    /// The type of a source path from the source metadata (as the lowering
    /// infers it), else `Unknown`.
    fn source_path_type(&self, m: &IrMapping, p: &PathRef) -> Type {
        let conn = &m.source.connection;
        match p.related {
            Some(i) => match p.segments.len() {
                1 => Type::Record,
                2 => m
                    .related
                    .get(i)
                    .and_then(|r| self.field_type(conn, &r.entity, &p.segments[1]))
                    .unwrap_or(Type::Unknown),
                _ => Type::Unknown,
            },
            None if p.segments.len() == 1 => self
                .field_type(conn, &m.source.entity, &p.segments[0])
                .unwrap_or(Type::Unknown),
            None => Type::Unknown,
        }
    }
}

fn mapc_ir_a(t: &Type) -> String {
    let name = t.name();
    match name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {name}"),
        _ => format!("a {name}"),
    }
}

/// The help for a value of type `found` written to a property of type
/// `want`, when that is a clear mismatch; `None` when it fits or may fit.
/// `arg` is what the suggested conversion applies to (a path, or `...`).
///
/// Conservative by design: what is written is JSON, and a mismatch is
/// reported only when the service rejects (or silently mangles) the JSON
/// value for every record:
/// - unknown, null, time-of-day, binary, enum and complex types: never;
/// - text (`Edm.String`): numbers and booleans are reported (a JSON number
///   or `true` is not a string to OData); dates, date-times and GUIDs are
///   written as JSON strings and fit;
/// - numbers (`Edm.Decimal`, `Edm.Double`, `Edm.Int*`): integers, decimals
///   and numbers fit (a decimal to an integer column may still be whole);
///   text, booleans and dates are reported;
/// - `Edm.Boolean`: only booleans fit;
/// - `Edm.Date`: dates fit; text (it may not be a date), numbers and
///   booleans are reported (a date-time is not: `format_date` would not help);
/// - `Edm.DateTimeOffset`: date-times and dates fit, and text is not reported
///   (there is no text-to-date-time conversion to suggest); numbers and
///   booleans are;
/// - `Edm.Guid`: GUIDs and text fit; numbers, booleans and dates do not;
/// - lists and records never fit a single scalar property.
pub fn value_mismatch(found: &Type, want: &EdmType, arg: &str) -> Option<String> {
    use Type as T;
    let scalar_target = matches!(
        want,
        EdmType::String
            | EdmType::Boolean
            | EdmType::Date
            | EdmType::DateTimeOffset
            | EdmType::Guid
    ) || want.is_numeric();
    if !scalar_target {
        return None;
    }
    let describe_want = describe(want);
    match found {
        T::Unknown | T::Null => None,
        T::List(_) | T::Record => Some(format!(
            "write a single value ({describe_want}), e.g. one field of the related record"
        )),
        t => {
            let numeric = t.is_numeric();
            let fits = match want {
                EdmType::String => !numeric && *t != T::Bool,
                EdmType::Boolean => *t == T::Bool,
                EdmType::Date => matches!(t, T::Date | T::DateTime),
                EdmType::DateTimeOffset => matches!(t, T::DateTime | T::Date | T::String),
                EdmType::Guid => matches!(t, T::Guid | T::String),
                w if w.is_numeric() => numeric,
                _ => true,
            };
            if fits {
                return None;
            }
            Some(match (t, want) {
                (_, EdmType::String) => {
                    format!("convert the value to text with `expr: \"to_string({arg})\"`")
                }
                (T::String, w) if w.is_numeric() => {
                    format!("convert the text to a number with `expr: \"to_decimal({arg})\"`")
                }
                (T::String, EdmType::Date) => {
                    format!("parse the text with `expr: \"parse_date({arg}, 'YYYY-MM-DD')\"`")
                }
                (T::Bool, w) if w.is_numeric() => {
                    format!("turn the condition into a number with `expr: \"if({arg}, 1, 0)\"`")
                }
                (t, EdmType::Boolean) if t.is_numeric() => {
                    format!("turn the value into a condition, e.g. `expr: \"{arg} > 0\"`")
                }
                (T::String, EdmType::Boolean) => {
                    format!("turn the text into a condition, e.g. `expr: \"{arg} == 'yes'\"`")
                }
                _ => format!("map a value of the right type ({describe_want})"),
            })
        }
    }
}

/// `a date`, `a number`, ... for an Edm type.
pub(super) fn describe(ty: &EdmType) -> &'static str {
    match ty {
        EdmType::String => "a string",
        EdmType::Boolean => "a boolean",
        EdmType::Date => "a date",
        EdmType::DateTimeOffset => "a date-time",
        EdmType::TimeOfDay => "a time of day",
        EdmType::Guid => "a GUID",
        t if t.is_integer() => "a whole number",
        t if t.is_numeric() => "a number",
        _ => "a value",
    }
}

/// The expression-language type of an Edm type.
pub fn edm_to_type(ty: &EdmType) -> Type {
    match ty {
        EdmType::String => Type::String,
        EdmType::Decimal | EdmType::Double => Type::Decimal,
        EdmType::Int16 | EdmType::Int32 | EdmType::Int64 => Type::Integer,
        EdmType::Boolean => Type::Bool,
        EdmType::Date => Type::Date,
        EdmType::DateTimeOffset => Type::DateTime,
        EdmType::Guid => Type::Guid,
        _ => Type::Unknown,
    }
}

impl SchemaInfo for Schemas {
    fn field_type(&self, connection: &str, entity: &str, field: &str) -> Option<Type> {
        let model = self.model(connection)?;
        let e = model.find_entity(entity)?;
        let p = e.property(field)?;
        if p.collection {
            return Some(Type::List(Box::new(edm_to_type(&p.ty))));
        }
        Some(edm_to_type(&p.ty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edm_types_map_to_expression_types() {
        assert_eq!(edm_to_type(&EdmType::Decimal), Type::Decimal);
        assert_eq!(edm_to_type(&EdmType::Double), Type::Decimal);
        assert_eq!(edm_to_type(&EdmType::Int32), Type::Integer);
        assert_eq!(edm_to_type(&EdmType::DateTimeOffset), Type::DateTime);
        assert_eq!(edm_to_type(&EdmType::Binary), Type::Unknown);
    }
}
