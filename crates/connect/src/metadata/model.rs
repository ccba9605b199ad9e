//! The resolved, read-only model built from a CSDL document.
//!
//! Everything here is plain data plus lookups. Inheritance is already flattened: an
//! [`EntityType`] answers for its own and all inherited properties, navigation
//! properties and key, so callers never walk `BaseType` chains themselves.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use super::suggest;

/// The type of a structural property (without the `Collection(...)` wrapper, see
/// [`Property::collection`]).
///
/// `Enum` and `Complex` carry the namespace-qualified type name as declared (the schema
/// alias is replaced by the namespace), e.g. `Microsoft.NAV.customerBlocked`.
/// Dataverse Money columns are `Decimal` (`Edm.Decimal`); Dataverse Choice columns are
/// `Int32`. Edm primitives without a variant of their own (`Edm.Single`, `Edm.Byte`,
/// `Edm.SByte`, `Edm.Duration`, `Edm.Stream`, geography types, ...) and names that resolve
/// to nothing in the document are `Other` with the qualified name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "name")]
pub enum EdmType {
    String,
    Decimal,
    Int16,
    Int32,
    Int64,
    Double,
    Boolean,
    Date,
    DateTimeOffset,
    TimeOfDay,
    Guid,
    Binary,
    Enum(String),
    Complex(String),
    Other(String),
}

impl EdmType {
    /// The primitive type for an `Edm.*` name with a variant of its own.
    pub fn from_edm_name(name: &str) -> Option<EdmType> {
        Some(match name {
            "Edm.String" => EdmType::String,
            "Edm.Decimal" => EdmType::Decimal,
            "Edm.Int16" => EdmType::Int16,
            "Edm.Int32" => EdmType::Int32,
            "Edm.Int64" => EdmType::Int64,
            "Edm.Double" => EdmType::Double,
            "Edm.Boolean" => EdmType::Boolean,
            "Edm.Date" => EdmType::Date,
            "Edm.DateTimeOffset" => EdmType::DateTimeOffset,
            "Edm.TimeOfDay" => EdmType::TimeOfDay,
            "Edm.Guid" => EdmType::Guid,
            "Edm.Binary" => EdmType::Binary,
            _ => return None,
        })
    }

    /// The CSDL spelling: `Edm.String`, `Microsoft.NAV.customerBlocked`, ...
    pub fn csdl_name(&self) -> &str {
        match self {
            EdmType::String => "Edm.String",
            EdmType::Decimal => "Edm.Decimal",
            EdmType::Int16 => "Edm.Int16",
            EdmType::Int32 => "Edm.Int32",
            EdmType::Int64 => "Edm.Int64",
            EdmType::Double => "Edm.Double",
            EdmType::Boolean => "Edm.Boolean",
            EdmType::Date => "Edm.Date",
            EdmType::DateTimeOffset => "Edm.DateTimeOffset",
            EdmType::TimeOfDay => "Edm.TimeOfDay",
            EdmType::Guid => "Edm.Guid",
            EdmType::Binary => "Edm.Binary",
            EdmType::Enum(n) | EdmType::Complex(n) | EdmType::Other(n) => n,
        }
    }

    /// Numbers: Decimal, integers, Double, and the `Other` Edm numerics
    /// (`Edm.Single`, `Edm.Byte`, `Edm.SByte`).
    pub fn is_numeric(&self) -> bool {
        match self {
            EdmType::Decimal
            | EdmType::Int16
            | EdmType::Int32
            | EdmType::Int64
            | EdmType::Double => true,
            EdmType::Other(n) => matches!(n.as_str(), "Edm.Single" | "Edm.Byte" | "Edm.SByte"),
            _ => false,
        }
    }

    /// Whole numbers: Int16/32/64 (and `Edm.Byte`, `Edm.SByte`).
    pub fn is_integer(&self) -> bool {
        match self {
            EdmType::Int16 | EdmType::Int32 | EdmType::Int64 => true,
            EdmType::Other(n) => matches!(n.as_str(), "Edm.Byte" | "Edm.SByte"),
            _ => false,
        }
    }

    /// Date, DateTimeOffset or TimeOfDay.
    pub fn is_temporal(&self) -> bool {
        matches!(
            self,
            EdmType::Date | EdmType::DateTimeOffset | EdmType::TimeOfDay
        )
    }
}

impl fmt::Display for EdmType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.csdl_name())
    }
}

/// The `Scale` facet of an `Edm.Decimal` property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Scale {
    /// A fixed number of decimal places.
    Fixed(u32),
    /// `Scale="Variable"` (what Dataverse puts on Money and Decimal columns).
    Variable,
    /// `Scale="floating"` (CSDL 4.01).
    Floating,
}

/// A structural property of an entity or complex type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Property {
    /// Name as declared (case-sensitive; Dataverse logical names are lowercase).
    pub name: String,
    /// Element type; see `collection`.
    pub ty: EdmType,
    /// `Type="Collection(...)"`.
    pub collection: bool,
    /// `Nullable` facet; CSDL default `true`.
    pub nullable: bool,
    /// `MaxLength` facet in characters; `None` when absent or `max`.
    pub max_length: Option<u32>,
    /// `Precision` facet (Decimal: total digits; DateTimeOffset/TimeOfDay: fractional
    /// second digits).
    pub precision: Option<u32>,
    /// `Scale` facet (Decimal only).
    pub scale: Option<Scale>,
    /// `Unicode` facet; CSDL default `true`.
    pub unicode: bool,
    /// Annotated as not writable (`Org.OData.Core.V1.Computed` or
    /// `Org.OData.Core.V1.Permissions` = `Read`), which Dataverse emits with
    /// `$metadata?annotations=true`. `false` when the document has no such annotation.
    pub read_only: bool,
    /// Local name of the type that declares the property (the entity itself, or the
    /// ancestor it was inherited from).
    pub declared_in: String,
}

impl Property {
    /// The CSDL type string, e.g. `Edm.String` or `Collection(Edm.String)`.
    pub fn type_name(&self) -> String {
        if self.collection {
            format!("Collection({})", self.ty)
        } else {
            self.ty.to_string()
        }
    }

    /// For a Dataverse lookup property `_x_value`, the lookup attribute `x`.
    pub fn lookup_attribute(&self) -> Option<&str> {
        lookup_attribute_of(&self.name)
    }
}

/// `_x_value` -> `x`.
pub(crate) fn lookup_attribute_of(name: &str) -> Option<&str> {
    let inner = name.strip_prefix('_')?.strip_suffix("_value")?;
    (!inner.is_empty()).then_some(inner)
}

/// `ReferentialConstraint Property=".." ReferencedProperty=".."` of a navigation property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferentialConstraint {
    /// Property on the declaring (referencing) entity, e.g. `_parentaccountid_value`.
    pub property: String,
    /// Property on the target entity, e.g. `accountid`.
    pub referenced_property: String,
}

/// A navigation property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Navigation {
    /// Name as declared (case-sensitive).
    pub name: String,
    /// Target entity type, local name without namespace (`account`).
    pub target: String,
    /// Target entity type, namespace-qualified (`Microsoft.Dynamics.CRM.account`).
    pub target_qualified: String,
    /// `Type="Collection(...)"`: a 1:N (or N:N) relationship. `false` means single-valued
    /// (N:1).
    pub collection: bool,
    /// `Nullable` facet; CSDL default `true`.
    pub nullable: bool,
    /// `Partner` attribute: the navigation property on the target pointing back.
    pub partner: Option<String>,
    /// `ContainsTarget="true"` (Business Central uses containment under `company`).
    pub contains_target: bool,
    /// Referential constraints, in document order.
    pub constraints: Vec<ReferentialConstraint>,
    /// Local name of the type that declares the navigation property.
    pub declared_in: String,
}

impl Navigation {
    /// The referencing property of the first referential constraint (Dataverse:
    /// `_x_value`; Business Central: e.g. `customerId`).
    pub fn foreign_key(&self) -> Option<&str> {
        self.constraints.first().map(|c| c.property.as_str())
    }
}

/// An entity type with its inheritance flattened.
#[derive(Debug, Clone, Serialize)]
pub struct EntityType {
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) base_types: Vec<String>,
    pub(crate) is_abstract: bool,
    pub(crate) open_type: bool,
    pub(crate) entity_set: Option<String>,
    pub(crate) key: Vec<String>,
    pub(crate) alternate_keys: Vec<Vec<String>>,
    pub(crate) properties: Vec<Property>,
    pub(crate) navigations: Vec<Navigation>,
    #[serde(skip)]
    pub(crate) property_index: HashMap<String, usize>,
    #[serde(skip)]
    pub(crate) navigation_index: HashMap<String, usize>,
}

impl EntityType {
    /// Local name (the Dataverse table logical name, e.g. `opportunity`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Schema namespace (`Microsoft.Dynamics.CRM`, `Microsoft.NAV`).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// `Namespace.name`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.namespace, self.name)
    }

    /// Ancestors, nearest first, namespace-qualified (`["Microsoft.Dynamics.CRM.crmbaseentity"]`).
    pub fn base_types(&self) -> &[String] {
        &self.base_types
    }

    /// `true` when this type is `other` (local or qualified name) or derives from it.
    pub fn is_a(&self, other: &str) -> bool {
        let q = self.qualified_name();
        if self.name == other || q == other {
            return true;
        }
        self.base_types
            .iter()
            .any(|b| b == other || b.rsplit('.').next() == Some(other))
    }

    /// `Abstract="true"` (e.g. `crmbaseentity`, `principal`).
    pub fn is_abstract(&self) -> bool {
        self.is_abstract
    }

    /// `OpenType="true"` (e.g. Dataverse `expando`).
    pub fn is_open(&self) -> bool {
        self.open_type
    }

    /// Primary key property names, declared or inherited (empty for key-less abstract
    /// types).
    pub fn key(&self) -> Vec<&str> {
        self.key.iter().map(String::as_str).collect()
    }

    /// Alternate keys (`OData.Community.Keys.V1.AlternateKeys`), each a list of property
    /// names.
    pub fn alternate_keys(&self) -> &[Vec<String>] {
        &self.alternate_keys
    }

    /// The entity set of this type in the document's entity container, if any.
    pub fn entity_set(&self) -> Option<&str> {
        self.entity_set.as_deref()
    }

    /// A structural property by exact (case-sensitive) name, inherited ones included.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.property_index
            .get(name)
            .and_then(|&i| self.properties.get(i))
    }

    /// A navigation property by exact (case-sensitive) name, inherited ones included.
    pub fn navigation(&self, name: &str) -> Option<&Navigation> {
        self.navigation_index
            .get(name)
            .and_then(|&i| self.navigations.get(i))
    }

    /// All structural properties, ancestors' first, then in document order.
    pub fn properties(&self) -> impl Iterator<Item = &Property> + '_ {
        self.properties.iter()
    }

    /// All navigation properties, ancestors' first, then in document order.
    pub fn navigations(&self) -> impl Iterator<Item = &Navigation> + '_ {
        self.navigations.iter()
    }

    /// Structural property names (for did-you-mean suggestions).
    pub fn property_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.properties.iter().map(|p| p.name.as_str())
    }

    /// Navigation property names (for did-you-mean suggestions).
    pub fn navigation_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.navigations.iter().map(|n| n.name.as_str())
    }

    /// Dataverse lookup attributes: `x` for every `_x_value` property.
    pub fn lookup_attributes(&self) -> impl Iterator<Item = &str> + '_ {
        self.properties
            .iter()
            .filter_map(|p| lookup_attribute_of(&p.name))
    }

    /// Navigation properties whose target is `target` (local or qualified name), e.g. the
    /// collection-valued `product_opportunities` of `opportunity` for
    /// `opportunityproduct`.
    pub fn navigations_to<'a>(
        &'a self,
        target: &'a str,
    ) -> impl Iterator<Item = &'a Navigation> + 'a {
        self.navigations
            .iter()
            .filter(move |n| n.target == target || n.target_qualified == target)
    }

    /// Ranked did-you-mean candidates for an unknown member name, drawn from structural
    /// and navigation property names.
    pub fn suggest_member(&self, name: &str) -> Vec<String> {
        suggest(name, self.property_names().chain(self.navigation_names()))
    }
}

/// An `EntitySet` of an entity container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntitySet {
    /// Set name as used in URLs (`accounts`, `salesOrders`).
    pub name: String,
    /// Entity type, local name.
    pub entity_type: String,
    /// Entity type, namespace-qualified.
    pub entity_type_qualified: String,
    /// Name of the `EntityContainer`.
    pub container: String,
}

/// A member of an [`EnumType`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnumMember {
    /// Member name as declared. Business Central encodes characters that are not valid in
    /// identifiers as `_xHHHH_` (`" "` is `_x0020_`); see [`EnumMember::decoded_name`].
    pub name: String,
    pub value: i64,
}

impl EnumMember {
    /// The name with `_xHHHH_` escapes decoded (`In_x0020_Review` -> `In Review`).
    pub fn decoded_name(&self) -> String {
        decode_xml_name(&self.name)
    }
}

/// An `EnumType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnumType {
    pub name: String,
    pub namespace: String,
    pub is_flags: bool,
    pub members: Vec<EnumMember>,
}

impl EnumType {
    /// `Namespace.name`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.namespace, self.name)
    }
}

/// A `ComplexType` (its own and inherited properties).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComplexType {
    pub name: String,
    pub namespace: String,
    pub properties: Vec<Property>,
}

impl ComplexType {
    /// A property by exact name.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }
}

/// A `Schema` element: namespace and optional alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaInfo {
    pub namespace: String,
    pub alias: Option<String>,
}

/// What [`Model::entity`] / [`Model::entity_by_set`] looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupKind {
    EntityType,
    EntitySet,
}

/// An entity type or entity set that is not in the model, with did-you-mean material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupError {
    pub kind: LookupKind,
    /// The name that was looked up.
    pub name: String,
    /// Ranked candidates, best first (at most 5): a case-insensitive match, then the
    /// type/set the name denotes on the other side (an entity set name given where an
    /// entity type was expected, or vice versa), then similar names.
    pub suggestions: Vec<String>,
    /// Extra explanation, e.g. "`accounts` is the entity set of `account`".
    pub hint: Option<String>,
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            LookupKind::EntityType => "entity type",
            LookupKind::EntitySet => "entity set",
        };
        write!(f, "unknown {what} `{}` in $metadata", self.name)?;
        if let Some(h) = &self.hint {
            write!(f, "; {h}")?;
        }
        if let Some(s) = self.suggestions.first() {
            write!(f, "; did you mean `{s}`?")?;
        }
        Ok(())
    }
}

impl std::error::Error for LookupError {}

/// Why [`Model::resolve_via`] could not find an N:1 navigation property.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViaError {
    /// Neither a navigation property nor a lookup attribute of that name exists.
    NotFound {
        entity: String,
        via: String,
        /// Ranked candidates from single-valued navigation properties and lookup
        /// attributes.
        suggestions: Vec<String>,
    },
    /// The name is a collection-valued (1:N / N:N) navigation property.
    CollectionValued {
        entity: String,
        via: String,
        navigation: String,
        target: String,
    },
    /// The lookup exists but points at other entities.
    WrongTarget {
        entity: String,
        via: String,
        /// The related entity the spec asked for.
        expected: String,
        /// The candidate navigation properties and their targets, `(navigation, target)`.
        found: Vec<(String, String)>,
    },
}

impl ViaError {
    /// Did-you-mean candidates (only for `NotFound`).
    pub fn suggestions(&self) -> &[String] {
        match self {
            ViaError::NotFound { suggestions, .. } => suggestions,
            _ => &[],
        }
    }
}

impl fmt::Display for ViaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViaError::NotFound {
                entity,
                via,
                suggestions,
            } => {
                write!(
                    f,
                    "`{entity}` has no single-valued navigation property or lookup column `{via}`"
                )?;
                if let Some(s) = suggestions.first() {
                    write!(f, "; did you mean `{s}`?")?;
                }
                Ok(())
            }
            ViaError::CollectionValued {
                entity,
                via,
                navigation,
                target,
            } => {
                write!(
                    f,
                    "`{via}` on `{entity}` is the collection-valued (1:N) navigation property \
                     `{navigation}` to `{target}`; a related entity needs a single-valued (N:1) lookup"
                )
            }
            ViaError::WrongTarget {
                entity,
                via,
                expected,
                found,
            } => {
                let mut targets: Vec<&str> = found.iter().map(|(_, t)| t.as_str()).collect();
                targets.dedup();
                let list = targets
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(" or ");
                write!(
                    f,
                    "`{via}` on `{entity}` points at {list}, not at the related entity `{expected}`"
                )
            }
        }
    }
}

impl std::error::Error for ViaError {}

/// A parsed `$metadata` document. Build it with [`super::parse_csdl`] or
/// [`super::load_cache`].
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub(crate) schemas: Vec<SchemaInfo>,
    pub(crate) entities: Vec<EntityType>,
    pub(crate) entity_sets: Vec<EntitySet>,
    pub(crate) enums: Vec<EnumType>,
    pub(crate) complex_types: Vec<ComplexType>,
    #[serde(skip)]
    pub(crate) by_qualified: HashMap<String, usize>,
    #[serde(skip)]
    pub(crate) by_name: HashMap<String, usize>,
    #[serde(skip)]
    pub(crate) set_index: HashMap<String, usize>,
}

impl Model {
    /// The schemas of the document (namespace, alias).
    pub fn schemas(&self) -> &[SchemaInfo] {
        &self.schemas
    }

    /// All entity types in document order.
    pub fn entities(&self) -> impl Iterator<Item = &EntityType> + '_ {
        self.entities.iter()
    }

    /// Local names of all entity types.
    pub fn entity_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.entities.iter().map(|e| e.name.as_str())
    }

    /// All entity sets in document order.
    pub fn entity_sets(&self) -> impl Iterator<Item = &EntitySet> + '_ {
        self.entity_sets.iter()
    }

    /// Names of all entity sets.
    pub fn entity_set_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.entity_sets.iter().map(|s| s.name.as_str())
    }

    /// Rewrites an alias-qualified name (`mscrm.account`) to the namespace-qualified form.
    fn dealias<'a>(&self, name: &'a str) -> std::borrow::Cow<'a, str> {
        if let Some((prefix, local)) = name.rsplit_once('.') {
            for s in &self.schemas {
                if s.alias.as_deref() == Some(prefix) {
                    return format!("{}.{}", s.namespace, local).into();
                }
            }
        }
        name.into()
    }

    /// Exact, case-sensitive lookup of an entity type by local name (`account`),
    /// namespace-qualified name (`Microsoft.Dynamics.CRM.account`) or alias-qualified name
    /// (`mscrm.account`). When two schemas declare the same local name, the first one in
    /// the document wins for the local-name form.
    pub fn find_entity(&self, name: &str) -> Option<&EntityType> {
        let idx = self
            .by_name
            .get(name)
            .or_else(|| self.by_qualified.get(self.dealias(name).as_ref()))?;
        self.entities.get(*idx)
    }

    /// Exact, case-sensitive lookup of an entity set by name.
    pub fn find_entity_set(&self, name: &str) -> Option<&EntitySet> {
        self.set_index
            .get(name)
            .and_then(|&i| self.entity_sets.get(i))
    }

    /// An entity type by (logical) name, or a [`LookupError`] with suggestions.
    pub fn entity(&self, name: &str) -> Result<&EntityType, LookupError> {
        if let Some(e) = self.find_entity(name) {
            return Ok(e);
        }
        let mut first = Vec::new();
        let mut hint = None;
        if let Some(set) = self.find_entity_set(name) {
            hint = Some(format!(
                "`{}` is the entity set of `{}`",
                set.name, set.entity_type
            ));
            first.push(set.entity_type.clone());
        }
        Err(LookupError {
            kind: LookupKind::EntityType,
            name: name.to_string(),
            suggestions: merge_suggestions(first, name, self.entity_names()),
            hint,
        })
    }

    /// The entity type of an entity set, or a [`LookupError`] with suggestions.
    pub fn entity_by_set(&self, set: &str) -> Result<&EntityType, LookupError> {
        if let Some(s) = self.find_entity_set(set) {
            if let Some(e) = self.by_qualified.get(&s.entity_type_qualified) {
                if let Some(e) = self.entities.get(*e) {
                    return Ok(e);
                }
            }
        }
        let mut first = Vec::new();
        let mut hint = None;
        if let Some(e) = self.find_entity(set) {
            match &e.entity_set {
                Some(s) => {
                    hint = Some(format!(
                        "`{}` is an entity type; its entity set is `{s}`",
                        e.name
                    ));
                    first.push(s.clone());
                }
                None => {
                    hint = Some(format!(
                        "`{}` is an entity type without an entity set",
                        e.name
                    ))
                }
            }
        }
        Err(LookupError {
            kind: LookupKind::EntitySet,
            name: set.to_string(),
            suggestions: merge_suggestions(first, set, self.entity_set_names()),
            hint,
        })
    }

    /// The entity set name of an entity type given by local or qualified name (first set
    /// in document order; `None` for abstract or contained-only types).
    pub fn entity_set_of(&self, entity: &str) -> Option<&str> {
        self.find_entity(entity).and_then(|e| e.entity_set())
    }

    /// An enum type by local, namespace- or alias-qualified name.
    pub fn enum_type(&self, name: &str) -> Option<&EnumType> {
        let q = self.dealias(name);
        self.enums
            .iter()
            .find(|e| e.name == name || e.qualified_name() == q.as_ref())
    }

    /// A complex type by local, namespace- or alias-qualified name.
    pub fn complex_type(&self, name: &str) -> Option<&ComplexType> {
        let q = self.dealias(name);
        self.complex_types
            .iter()
            .find(|c| c.name == name || format!("{}.{}", c.namespace, c.name) == q.as_ref())
    }

    /// Finds the single-valued (N:1) navigation property of `entity` that a spec's
    /// `related: { <alias>: { entity: <related>, via: <via> } }` means.
    ///
    /// `via` may be:
    /// - the navigation property name itself (`parentaccountid`, Business Central
    ///   `customer`);
    /// - a Dataverse lookup attribute `x` whose `_x_value` property exists; its navigation
    ///   property is `x` or, for polymorphic (customer/owner/regarding) lookups,
    ///   `x_{related}` (`customerid` -> `customerid_account`, `customerid_contact`), or any
    ///   navigation property whose referential constraint uses `_x_value`;
    /// - the lookup property `_x_value` itself, treated like `x`;
    /// - a foreign-key property named by a referential constraint (Business Central
    ///   `customerId` -> `customer`).
    ///
    /// A candidate matches when its target is `related` (local or qualified name) or an
    /// ancestor of `related` (Dataverse `ownerid` targets `principal`, so `systemuser` and
    /// `team` match). Callers should check that `related` itself exists first; this
    /// function reports a missing related entity as [`ViaError::WrongTarget`].
    pub fn resolve_via<'e>(
        &self,
        entity: &'e EntityType,
        via: &str,
        related: &str,
    ) -> Result<&'e Navigation, ViaError> {
        let related_local = related.rsplit('.').next().unwrap_or(related);
        let related_type = self.find_entity(related);
        let matches_related = |n: &Navigation| {
            n.target == related_local
                || n.target_qualified == self.dealias(related).as_ref()
                || related_type.is_some_and(|r| r.is_a(&n.target_qualified))
        };

        let (attr, exact_allowed) = match lookup_attribute_of(via) {
            Some(inner) => (inner, false),
            None => (via, true),
        };
        let lookup_prop = format!("_{attr}_value");
        let polymorphic = format!("{attr}_{related_local}");

        let mut candidates: Vec<&'e Navigation> = Vec::new();
        let push = |n: &'e Navigation, c: &mut Vec<&'e Navigation>| {
            if !c.iter().any(|x| x.name == n.name) {
                c.push(n);
            }
        };
        if exact_allowed {
            if let Some(n) = entity.navigation(via) {
                push(n, &mut candidates);
            }
        }
        if entity.property(&lookup_prop).is_some() {
            if let Some(n) = entity.navigation(&polymorphic) {
                push(n, &mut candidates);
            }
        }
        for n in entity.navigations() {
            if n.constraints
                .iter()
                .any(|c| c.property == lookup_prop || c.property == via)
            {
                push(n, &mut candidates);
            }
        }

        let Some(&first) = candidates.first() else {
            let mut pool: Vec<&str> = entity
                .navigations()
                .filter(|n| !n.collection)
                .map(|n| n.name.as_str())
                .collect();
            pool.extend(entity.lookup_attributes());
            pool.extend(
                entity
                    .navigations()
                    .filter(|n| !n.collection)
                    .flat_map(|n| n.constraints.iter().map(|c| c.property.as_str()))
                    .filter(|p| lookup_attribute_of(p).is_none()),
            );
            pool.sort_unstable();
            pool.dedup();
            return Err(ViaError::NotFound {
                entity: entity.name.clone(),
                via: via.to_string(),
                suggestions: suggest(via, pool),
            });
        };

        let single: Vec<&'e Navigation> = candidates
            .iter()
            .copied()
            .filter(|n| !n.collection)
            .collect();
        if let Some(n) = single.iter().copied().find(|n| matches_related(n)) {
            return Ok(n);
        }
        if !single.is_empty() {
            return Err(ViaError::WrongTarget {
                entity: entity.name.clone(),
                via: via.to_string(),
                expected: related.to_string(),
                found: single
                    .iter()
                    .map(|n| (n.name.clone(), n.target.clone()))
                    .collect(),
            });
        }
        Err(ViaError::CollectionValued {
            entity: entity.name.clone(),
            via: via.to_string(),
            navigation: first.name.clone(),
            target: first.target.clone(),
        })
    }
}

/// `first` (deduplicated) followed by ranked similar names, at most 5.
fn merge_suggestions<'a>(
    first: Vec<String>,
    name: &str,
    pool: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut out = first;
    for s in suggest(name, pool) {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out.truncate(super::MAX_SUGGESTIONS);
    out
}

/// Decodes XML-name escapes `_xHHHH_` (as Business Central uses in enum member names).
pub(crate) fn decode_xml_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(i) = rest.find("_x") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let hex = tail.get(2..6);
        let decoded = match (hex, tail.as_bytes().get(6)) {
            (Some(h), Some(b'_')) if h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u32::from_str_radix(h, 16).ok().and_then(char::from_u32)
            }
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[7..];
            }
            None => {
                out.push_str("_x");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bc_member_names() {
        assert_eq!(decode_xml_name("_x0020_"), " ");
        assert_eq!(decode_xml_name("In_x0020_Review"), "In Review");
        assert_eq!(decode_xml_name("Non_x002D_Inventory"), "Non-Inventory");
        assert_eq!(decode_xml_name("a_xyz"), "a_xyz");
        assert_eq!(decode_xml_name("_x12"), "_x12");
    }

    #[test]
    fn lookup_attribute_names() {
        assert_eq!(lookup_attribute_of("_customerid_value"), Some("customerid"));
        assert_eq!(lookup_attribute_of("customerid"), None);
        assert_eq!(lookup_attribute_of("__value"), None);
    }

    #[test]
    fn edm_type_helpers() {
        assert_eq!(EdmType::from_edm_name("Edm.Int32"), Some(EdmType::Int32));
        assert_eq!(EdmType::from_edm_name("Edm.Single"), None);
        assert!(EdmType::Other("Edm.Single".into()).is_numeric());
        assert!(EdmType::Decimal.is_numeric());
        assert!(!EdmType::Decimal.is_integer());
        assert!(EdmType::Date.is_temporal());
        assert_eq!(
            EdmType::Enum("Microsoft.NAV.x".into()).to_string(),
            "Microsoft.NAV.x"
        );
    }
}
