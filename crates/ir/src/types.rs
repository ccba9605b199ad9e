/// The types of the expression language.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// Not known statically (a source field without metadata). Checked per record.
    Unknown,
    Null,
    Bool,
    Integer,
    Decimal,
    /// A number not known statically to be an integer or a decimal: the
    /// result of arithmetic on an operand of unknown type. It fits wherever
    /// an integer or a decimal is expected (checked per record), but never
    /// where a boolean, text or a date is.
    Number,
    String,
    Date,
    DateTime,
    Guid,
    List(Box<Type>),
    Record,
}

impl Type {
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Integer | Type::Decimal | Type::Number)
    }

    /// Can a value of type `self` be used where `want` is expected?
    /// `Unknown` and `Null` fit anywhere (reads are null-safe); integers fit decimals.
    pub fn fits(&self, want: &Type) -> bool {
        match (self, want) {
            (Type::Unknown, _) | (_, Type::Unknown) | (Type::Null, _) => true,
            (Type::Integer, Type::Decimal) => true,
            (Type::Number, t) | (t, Type::Number) if t.is_numeric() => true,
            (Type::Guid, Type::String) | (Type::String, Type::Guid) => true,
            (Type::List(a), Type::List(b)) => a.fits(b),
            (a, b) => a == b,
        }
    }

    /// The common type of two branches (`if`, `coalesce`).
    pub fn join(&self, other: &Type) -> Type {
        match (self, other) {
            (Type::Null, t) | (t, Type::Null) => t.clone(),
            (Type::Integer, Type::Decimal) | (Type::Decimal, Type::Integer) => Type::Decimal,
            (Type::Number, t) | (t, Type::Number) if t.is_numeric() => Type::Number,
            (a, b) if a == b => a.clone(),
            _ => Type::Unknown,
        }
    }

    pub fn name(&self) -> String {
        match self {
            Type::Unknown => "any".into(),
            Type::Null => "null".into(),
            Type::Bool => "boolean".into(),
            Type::Integer => "integer".into(),
            Type::Decimal => "decimal".into(),
            Type::Number => "number".into(),
            Type::String => "string".into(),
            Type::Date => "date".into(),
            Type::DateTime => "datetime".into(),
            Type::Guid => "guid".into(),
            Type::List(t) => format!("list of {}", t.name()),
            Type::Record => "record".into(),
        }
    }
}

impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}
