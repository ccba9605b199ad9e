//! The one registry of diagnostic codes.
//!
//! Codes are grouped by the phase that raises them and are never reused: a
//! retired code keeps its row with `retired: true`. Every code has an explain
//! page in `explain/CODE.md` (shown by `mapc explain CODE`) and, for spec
//! codes, at least one failing fixture under `tests/check/`; tests enforce both.

use crate::Severity;
use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// M01xx: reading the YAML document itself.
    Yaml,
    /// M02xx: the shape of the spec (keys, types, enums).
    Shape,
    /// M03xx: syntax inside expression, filter and path strings.
    Syntax,
    /// M04xx: names that refer to other parts of the spec.
    Reference,
    /// M05xx: expression types and functions.
    Types,
    /// M06xx: sync directions and locked fields.
    Sync,
    /// M07xx: products, sales prices, companies, polling settings.
    Integration,
    /// M08xx: secrets and connection safety.
    Security,
    /// M09xx: checks against cached `$metadata`.
    Metadata,
    /// R0xxx: per-record errors and warnings raised while mapping records.
    Runtime,
}

#[derive(Clone, Copy, Debug)]
pub struct CodeInfo {
    pub code: Code,
    /// kebab-case name, also accepted by `mapc explain`.
    pub name: &'static str,
    pub severity: Severity,
    pub phase: Phase,
    pub summary: &'static str,
    pub explain: &'static str,
}

/// One row per code: `CODE "name" Severity Phase "summary";`. The rows are
/// the single source of the [`Code`] enum and of [`CODES`], so the two cannot
/// drift apart, and the code of a row is an identifier so that a diagnostic
/// naming a code that is not registered does not compile.
macro_rules! codes {
    ($( $code:ident $name:literal $sev:ident $phase:ident $summary:literal; )*) => {
        /// A registered diagnostic code. The variants are declared in the
        /// order of the rows, which is also the order of their strings, so
        /// ordering codes (as sorted diagnostics do) orders them as text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $( #[doc = $summary] $code, )*
        }

        impl Code {
            /// Every code, in the order of the registry.
            pub const ALL: &'static [Code] = &[ $( Code::$code, )* ];

            /// The code as written in output and in `mapc explain`: `M0202`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Code::$code => stringify!($code), )*
                }
            }
        }

        pub const CODES: &[CodeInfo] = &[
            $( CodeInfo {
                code: Code::$code,
                name: $name,
                severity: Severity::$sev,
                phase: Phase::$phase,
                summary: $summary,
                explain: include_str!(concat!("../explain/", stringify!($code), ".md")),
            }, )*
        ];
    };
}

codes! {
    M0101 "yaml-syntax"            Error Yaml "the file is not well-formed YAML";
    M0102 "duplicate-key"          Error Yaml "a mapping key appears twice";
    M0103 "tab-indentation"        Error Yaml "a tab is used for indentation";
    M0104 "alias-budget"           Error Yaml "YAML aliases expand beyond the node budget";
    M0105 "too-deep"               Error Yaml "the document nests deeper than allowed";
    M0106 "scalar-too-large"       Error Yaml "a scalar value is larger than allowed";
    M0107 "not-utf8"               Error Yaml "the file is not valid UTF-8";
    M0108 "empty-document"         Error Yaml "the file contains no spec";
    M0109 "multiple-documents"     Error Yaml "the file contains more than one YAML document";

    M0201 "missing-key"            Error Shape "a required key is missing";
    M0202 "unknown-key"            Error Shape "a key is not part of the spec format";
    M0203 "wrong-type"             Error Shape "a value has the wrong YAML type";
    M0204 "invalid-value"          Error Shape "a value is not one of the allowed values";
    M0205 "invalid-name"           Error Shape "a name does not match the required pattern";
    M0206 "unsupported-version"    Error Shape "the `mapc:` format version is not supported";
    M0207 "empty-list"             Error Shape "a list that needs at least one entry is empty";
    M0208 "invalid-delimiter"      Error Shape "a CSV `delimiter:` is not `,`, `;`, `|` or a tab";
    M0209 "csv-only-setting"       Error Shape "`delimiter:` or `columns:` is set where no CSV file is read";

    M0301 "expr-syntax"            Error Syntax "an expression does not parse";
    M0302 "filter-syntax"          Error Syntax "an OData `$filter` does not parse";
    M0303 "invalid-literal"        Error Syntax "a literal in an expression or filter is invalid";
    M0304 "invalid-path"           Error Syntax "a field path is not a dotted list of names";
    M0305 "filter-not-local"       Warning Syntax "preview and test cannot evaluate a filter construct locally";
    M0306 "path-too-long"          Error Syntax "a field path has more than 64 segments or 1024 bytes";

    M0401 "unknown-connection"     Error Reference "a connection name is not defined";
    M0402 "unknown-mapping"        Error Reference "a mapping name is not defined";
    M0403 "unknown-related"        Error Reference "a path starts with a name that is not a related alias";
    M0404 "duplicate-mapping"      Error Reference "two mappings have the same name";
    M0405 "duplicate-target"       Error Reference "two entries write the same target path";
    M0406 "field-source-count"     Error Reference "a field entry needs exactly one of from, expr, value";
    M0407 "target-path-overlap"    Error Reference "one target path is written both as a value and as an object";
    M0408 "ambiguous-test-mapping" Error Reference "a test does not say which mapping it exercises";
    M0409 "set-rule-shape"         Error Reference "a `set` rule needs `to` and one of `expr`/`value`";
    M0410 "inactive-test-mapping"  Warning Reference "a test exercises an inactive mapping";
    M0411 "target-key-unmapped"    Error Reference "no field or `set` rule writes the target key";
    M0412 "several-default-environments" Error Reference "more than one environment is marked `default: true`";

    M0501 "unknown-function"       Error Types "an expression calls a function that does not exist";
    M0502 "arity"                  Error Types "a function is called with the wrong number of arguments";
    M0503 "type-mismatch"          Error Types "an operand or argument has the wrong type";
    M0504 "when-not-boolean"       Error Types "a rule condition is not of type boolean";
    M0505 "constant-out-of-range"  Error Types "a constant argument is outside what the function accepts";
    M0506 "time-in-date-pattern"   Error Types "a date pattern formats a time of day a date does not have";
    M0507 "division-by-constant-zero" Error Types "an expression divides by a constant zero";

    M0601 "writeback-needs-from"   Error Sync "`two_way`/`target_to_source` need a direct `from:`";
    M0602 "conflict-without-two-way" Error Sync "`conflict:` is set on a field that is not `two_way`";
    M0603 "locked-pricing-field"   Error Sync "a locked product pricing field is remapped";
    M0604 "product-writeback"      Error Sync "product data cannot flow from target to source";
    M0605 "document-amount-direction" Error Sync "discount/tax/freight accept only `once` or `source_to_target`";

    M0701 "separator-ambiguity"    Error Integration "the sales-price separator and delimiter are ambiguous";
    M0702 "empty-code"             Error Integration "an excluded SKU or sales code is empty";
    M0703 "duplicate-code"         Error Integration "an excluded SKU, a sales code or a price field is listed twice";
    M0704 "invalid-lookback"       Error Integration "`lookback_days` is not a positive integer";
    M0705 "invalid-order-by"       Error Integration "`order_by` is not `field` or `field asc|desc`";
    M0706 "companies-shape"        Error Integration "a companies setting is missing what it depends on";
    M0708 "products-shape"         Error Integration "a products setting is missing what it depends on";

    M0801 "literal-secret"         Error Security "a secret is written literally instead of `${ENV}`";
    M0802 "invalid-env-reference"  Error Security "a `${...}` reference is malformed";
    M0803 "missing-auth-setting"   Error Security "an auth flow lacks a setting it needs";
    M0804 "invalid-url"            Error Security "a service or sign-in URL is not an `https://` URL";

    M0901 "unknown-entity"         Error Metadata "an entity is not in the connection's `$metadata`";
    M0902 "unknown-field"          Error Metadata "a field is not a property of the entity";
    M0903 "via-not-single-valued"  Error Metadata "`via` is not a single-valued (N:1) navigation property";
    M0904 "metadata-type-mismatch" Error Metadata "a value's type does not fit the target property";
    M0905 "max-length"             Error Metadata "a constant is longer than the target property's MaxLength";
    M0906 "invalid-metadata"       Error Metadata "a cached `$metadata` file cannot be read";
    M0907 "no-metadata"            Warning Metadata "no cached `$metadata` for a connection";

    R0001 "not-an-object"          Error Runtime "an input record is not a JSON object";
    R0002 "number-out-of-range"    Error Runtime "a number does not fit an exact decimal";
    R0003 "invalid-date"           Error Runtime "a value is not a valid date or date-time";
    R0004 "missing-related"        Error Runtime "a related record the mapping needs is absent";
    R0005 "invalid-json"           Error Runtime "an input record is not valid JSON";
    R0006 "csv-shape"              Error Runtime "a CSV row has the wrong number of columns";
    R0007 "invalid-utf8"           Error Runtime "an input record is not valid UTF-8";
    R0008 "rule-error"             Error Runtime "a rule with `action: error` matched";
    R0009 "null-value"             Error Runtime "a field with `on_null: error` is null";
    R0010 "runtime-type"           Error Runtime "a value has the wrong type at run time";
    R0011 "arithmetic"             Error Runtime "arithmetic overflowed or divided by zero";
    R0012 "separator-in-value"     Error Runtime "a sales-price value contains the separator or delimiter";
    R0013 "parent-cycle"           Error Runtime "a company is its own parent or in a parent cycle";
    R0014 "record-too-large"       Error Runtime "an input record or value is larger than allowed";
    R0015 "price-rule-without-code" Error Runtime "a sales-price rule has no sales code";
    R0017 "csv-value-type"         Error Runtime "a CSV value is not of its column's type";
    R0018 "csv-header"             Error Runtime "a CSV header lacks a column the mapping reads, or repeats one";
    R0019 "csv-delimiter"          Error Runtime "the delimiter of a CSV file cannot be told from its header";
    R0020 "numeric-text-order"     Error Runtime "two texts that read as numbers are ordered differently as text and as numbers";
    R0021 "duplicate-json-key"     Error Runtime "a key appears twice in one object of a JSON record";
    R0022 "inexact-result"         Error Runtime "an arithmetic result would have to be rounded";
    R0023 "argument-out-of-range"  Error Runtime "a function argument is outside what the function accepts";
    R0025 "target-key-missing"     Error Runtime "a record's target key is absent, null or blank";
    R0026 "duplicate-target-key"   Error Runtime "an earlier record of the input has the same target key";
    R0027 "ambiguous-parent"       Error Runtime "a parent company number belongs to more than one company";
    R0028 "separator-in-id"        Error Runtime "an id in a relationship id contains `|`";
    R0040 "changed-since-invalid"  Error Runtime "a record's `changed_since` value is absent or not a date-time";
    R0041 "two-way-conflict"       Error Runtime "a two-way field changed on both sides and `conflict: fail` leaves it";
    R0042 "write-refused"          Error Runtime "the target (or the source, for a write-back) refused one record's write";
    R0045 "broken-target-file"     Error Runtime "a record of an existing target file is broken, has no key, or repeats one";
    R0050 "state-unreadable"       Error Runtime "the state file is not a mapc state database, or it is damaged";
    R0051 "state-newer"            Error Runtime "the state file was written by a newer mapc";
    R0052 "run-locked"             Error Runtime "another run of the same spec, environment and mapping is in progress";
    R0053 "state-unwritable"       Error Runtime "the state file cannot be written (read-only, busy, disk full)";
    R0101 "rule-warning"           Warning Runtime "a rule with `action: warn` matched";
    R0102 "unknown-parent"         Warning Runtime "a company's parent number matches no company";
    R0103 "odata-page"             Warning Runtime "a saved OData response is one page of more, or incomplete";
    R0104 "unseen-source-path"     Warning Runtime "a source path the mapping reads is in none of the records read";
    R0106 "contact-without-id"     Warning Runtime "a company's contact has no id and gets no relationship";
    R0107 "sales-code-normalized"  Warning Runtime "a sales code matched a listed code only ignoring case or blanks";
    R0108 "conflict-resolved"      Warning Runtime "a two-way field changed on both sides and `conflict:` chose a side";
}

/// Finds a code by its code (`M0202`) or its name (`unknown-key`), case-insensitively.
pub fn lookup(code_or_name: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| {
        c.code.as_str().eq_ignore_ascii_case(code_or_name)
            || c.name.eq_ignore_ascii_case(code_or_name)
    })
}

impl Code {
    /// The registry row of this code.
    pub fn info(self) -> &'static CodeInfo {
        // `CODES` and the variants come from the same rows in the same
        // order, so the discriminant is the row's index (a test checks it).
        &CODES[self as usize]
    }

    pub fn severity(self) -> Severity {
        self.info().severity
    }

    pub fn phase(self) -> Phase {
        self.info().phase
    }

    /// The kebab-case name, e.g. `unknown-key` for `M0202`.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The code that `text` names, as [`lookup`] finds it: by code or by
    /// name, case-insensitively.
    pub fn parse(text: &str) -> Option<Code> {
        lookup(text).map(|c| c.code)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: a width or alignment in the format string
        // applies as it did when codes were strings.
        f.pad(self.as_str())
    }
}

/// A code serializes as its string (`"M0202"`), as it did when codes were
/// strings, so JSON and SARIF output do not change.
impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// So tests can compare a code with its text: `assert_eq!(d.code, "M0202")`.
impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique() {
        let mut seen = HashSet::new();
        for c in CODES {
            assert!(seen.insert(c.code.as_str()), "code {} twice", c.code);
            assert!(seen.insert(c.name), "name {} twice", c.name);
        }
    }

    #[test]
    fn every_variant_is_its_row() {
        assert_eq!(Code::ALL.len(), CODES.len());
        for (i, &c) in Code::ALL.iter().enumerate() {
            assert_eq!(c as usize, i, "{c}");
            assert_eq!(c.info().code, c);
            assert_eq!(format!("{c:?}"), c.as_str(), "variant named as its code");
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(c, c.as_str());
        }
    }

    #[test]
    fn parse_reads_back_every_code_and_name() {
        for &c in Code::ALL {
            assert_eq!(Code::parse(c.as_str()), Some(c));
            assert_eq!(Code::parse(&c.as_str().to_lowercase()), Some(c));
            assert_eq!(Code::parse(c.name()), Some(c));
        }
        assert_eq!(Code::parse("M0000"), None);
        assert_eq!(Code::parse(""), None);
    }

    /// Sorted diagnostics order by code; the derived order must be the
    /// order of the strings, as it was when codes were strings.
    #[test]
    fn variant_order_is_string_order() {
        for w in Code::ALL.windows(2) {
            assert!(
                w[0] < w[1] && w[0].as_str() < w[1].as_str(),
                "{} before {}",
                w[0],
                w[1]
            );
        }
    }

    #[test]
    fn a_code_serializes_and_displays_as_its_string() {
        assert_eq!(
            serde_json::to_string(&Code::M0202).ok().as_deref(),
            Some("\"M0202\"")
        );
        assert_eq!(format!("[{:<7}]", Code::R0001), "[R0001  ]");
    }

    #[test]
    fn code_prefix_matches_phase() {
        for c in CODES {
            let code = c.code.as_str();
            let hundreds = &code[..3];
            let ok = match c.phase {
                Phase::Yaml => hundreds == "M01",
                Phase::Shape => hundreds == "M02",
                Phase::Syntax => hundreds == "M03",
                Phase::Reference => hundreds == "M04",
                Phase::Types => hundreds == "M05",
                Phase::Sync => hundreds == "M06",
                Phase::Integration => hundreds == "M07",
                Phase::Security => hundreds == "M08",
                Phase::Metadata => hundreds == "M09",
                Phase::Runtime => code.starts_with('R'),
            };
            assert!(ok, "{} is in the wrong range for {:?}", c.code, c.phase);
        }
    }

    #[test]
    fn every_explain_page_has_a_bad_and_a_fixed_example() {
        for c in CODES {
            let page = c.explain;
            assert!(
                page.starts_with(&format!("# {}", c.code)),
                "{}: page must start with `# {}`",
                c.code,
                c.code
            );
            assert!(
                page.contains("## Bad") && page.contains("## Fixed"),
                "{}: explain page needs `## Bad` and `## Fixed` sections",
                c.code
            );
            assert!(
                page.matches("```").count() >= 4,
                "{}: explain page needs a code block in each example",
                c.code
            );
        }
    }
}
