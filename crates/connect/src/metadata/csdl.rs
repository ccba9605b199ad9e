//! CSDL XML (OData v4 `$metadata`) parser, built on `roxmltree`.
//!
//! Parsing is two passes: the document is read into raw declarations (names as written,
//! byte offsets for error positions), then names are qualified (aliases replaced by
//! namespaces), inheritance is flattened and references are checked. Line/column
//! positions are computed only when an error is reported.

use std::collections::{HashMap, HashSet};

use roxmltree::{Document, Node};

use super::model::{
    ComplexType, EdmType, EntitySet, EntityType, EnumMember, EnumType, Model, Navigation, Property,
    ReferentialConstraint, Scale, SchemaInfo,
};
use super::{MetadataError, MetadataErrorKind, Position};

const EDMX_V4: &str = "http://docs.oasis-open.org/odata/ns/edmx";
const EDM_V4: &str = "http://docs.oasis-open.org/odata/ns/edm";
const CORE: &str = "Org.OData.Core.V1";
const ALTERNATE_KEYS: &str = "OData.Community.Keys.V1.AlternateKeys";
const HTML_MESSAGE: &str = "not an OData $metadata document: this is an HTML page (often a \
                            sign-in or error page returned instead of $metadata)";

/// Parses an OData v4 CSDL XML document (`GET {service root}/$metadata`) into a [`Model`].
///
/// Errors carry the line/column of the offending element or attribute: malformed XML
/// ([`MetadataErrorKind::Xml`]), a document that is not OData v4 CSDL
/// ([`MetadataErrorKind::NotCsdl`]: HTML, JSON, OData v2/v3, any other XML), or CSDL with
/// broken references ([`MetadataErrorKind::Invalid`]).
pub fn parse_csdl(xml: &str) -> Result<Model, MetadataError> {
    let text = xml.strip_prefix('\u{feff}').unwrap_or(xml);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(MetadataError::new(
            MetadataErrorKind::NotCsdl,
            Some(Position { line: 1, column: 1 }),
            "the document is empty",
        ));
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let at = text.len() - trimmed.len();
        return Err(MetadataError::new(
            MetadataErrorKind::NotCsdl,
            Some(position_in(text, at)),
            "this looks like JSON (CSDL JSON or an error body), not a CSDL XML $metadata \
             document; fetch $metadata with `Accept: application/xml`",
        ));
    }
    let head: String = trimmed
        .chars()
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        let at = text.len() - trimmed.len();
        return Err(MetadataError::new(
            MetadataErrorKind::NotCsdl,
            Some(position_in(text, at)),
            HTML_MESSAGE,
        ));
    }
    let doc = Document::parse(text).map_err(|e| xml_error(text, e))?;
    Parser::new(&doc).parse()
}

/// Line/column of a byte offset without a parsed document (used before parsing).
fn position_in(text: &str, at: usize) -> Position {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    Position { line, column }
}

fn xml_error(text: &str, e: roxmltree::Error) -> MetadataError {
    let mut message = e.to_string();
    let pos = e.pos();
    let suffix = format!(" at {pos}");
    if let Some(stripped) = message.strip_suffix(&suffix) {
        message = stripped.to_string();
    }
    // roxmltree reports 1:1 for errors without a location; point at something useful.
    let position = match e {
        roxmltree::Error::UnexpectedEndOfStream | roxmltree::Error::UnclosedRootNode => {
            message.push_str(" (the document is truncated or an element is never closed)");
            position_in(text, text.len())
        }
        roxmltree::Error::DtdDetected => {
            message = "DTDs (`<!DOCTYPE ...>`) are not allowed in $metadata".to_string();
            position_in(text, text.find("<!DOCTYPE").unwrap_or(0))
        }
        _ => Position {
            line: pos.row,
            column: pos.col,
        },
    };
    MetadataError::new(
        MetadataErrorKind::Xml,
        Some(position),
        format!("malformed XML: {message}"),
    )
}

struct RawProperty {
    name: String,
    ty: String,
    nullable: bool,
    max_length: Option<u32>,
    precision: Option<u32>,
    scale: Option<Scale>,
    unicode: bool,
    read_only: bool,
}

struct RawNavigation {
    name: String,
    ty: String,
    nullable: bool,
    partner: Option<String>,
    contains_target: bool,
    constraints: Vec<ReferentialConstraint>,
    at: usize,
}

struct RawStructured {
    name: String,
    namespace: String,
    base: Option<(String, usize)>,
    is_abstract: bool,
    open_type: bool,
    key: Option<Vec<(String, usize)>>,
    alternate_keys: Vec<Vec<String>>,
    properties: Vec<RawProperty>,
    navigations: Vec<RawNavigation>,
    at: usize,
}

impl RawStructured {
    fn qualified(&self) -> String {
        format!("{}.{}", self.namespace, self.name)
    }
}

/// Qualified names of the enum and complex types, for resolving property types.
struct TypeNames {
    enums: HashSet<String>,
    complex: HashSet<String>,
}

struct RawSet {
    name: String,
    entity_type: String,
    container: String,
    at: usize,
}

struct Parser<'d, 'i> {
    doc: &'d Document<'i>,
    /// alias -> namespace (schema aliases and `edmx:Include` aliases).
    aliases: HashMap<String, String>,
    schemas: Vec<SchemaInfo>,
    entities: Vec<RawStructured>,
    complex: Vec<RawStructured>,
    enums: Vec<EnumType>,
    /// qualified name -> underlying type as written.
    type_definitions: HashMap<String, String>,
    sets: Vec<RawSet>,
}

fn is_edm(n: &Node, local: &str) -> bool {
    n.is_element() && n.tag_name().name() == local && n.tag_name().namespace() == Some(EDM_V4)
}

fn is_edmx(n: &Node, local: &str) -> bool {
    n.is_element() && n.tag_name().name() == local && n.tag_name().namespace() == Some(EDMX_V4)
}

fn parse_bool(v: Option<&str>, default: bool) -> bool {
    match v {
        Some(s) if s.eq_ignore_ascii_case("true") || s == "1" => true,
        Some(s) if s.eq_ignore_ascii_case("false") || s == "0" => false,
        _ => default,
    }
}

/// Splits `Collection(X)` into `(true, X)`.
fn split_collection(ty: &str) -> (bool, &str) {
    match ty
        .strip_prefix("Collection(")
        .and_then(|t| t.strip_suffix(')'))
    {
        Some(inner) => (true, inner.trim()),
        None => (false, ty.trim()),
    }
}

impl<'d, 'i> Parser<'d, 'i> {
    fn new(doc: &'d Document<'i>) -> Self {
        Parser {
            doc,
            aliases: HashMap::new(),
            schemas: Vec::new(),
            entities: Vec::new(),
            complex: Vec::new(),
            enums: Vec::new(),
            type_definitions: HashMap::new(),
            sets: Vec::new(),
        }
    }

    fn pos(&self, at: usize) -> Position {
        let p = self.doc.text_pos_at(at);
        Position {
            line: p.row,
            column: p.col,
        }
    }

    fn err(&self, kind: MetadataErrorKind, at: usize, msg: impl Into<String>) -> MetadataError {
        MetadataError::new(kind, Some(self.pos(at)), msg)
    }

    fn required<'a>(&self, n: &Node<'a, 'i>, attr: &str) -> Result<&'a str, MetadataError> {
        n.attribute(attr).ok_or_else(|| {
            self.err(
                MetadataErrorKind::Invalid,
                n.range().start,
                format!("`<{}>` has no `{attr}` attribute", n.tag_name().name()),
            )
        })
    }

    /// Byte offset of an attribute's value (falls back to the element).
    fn attr_at(n: &Node, attr: &str) -> usize {
        n.attribute_node(attr)
            .map_or(n.range().start, |a| a.range_value().start)
    }

    /// Replaces an alias prefix by its namespace: `mscrm.account` ->
    /// `Microsoft.Dynamics.CRM.account`.
    fn qualify(&self, name: &str) -> String {
        if let Some((prefix, local)) = name.rsplit_once('.') {
            if let Some(ns) = self.aliases.get(prefix) {
                return format!("{ns}.{local}");
            }
        }
        name.to_string()
    }

    fn parse(mut self) -> Result<Model, MetadataError> {
        let root = self.doc.root_element();
        self.check_root(&root)?;
        let data_services = root
            .children()
            .find(|c| is_edmx(c, "DataServices"))
            .ok_or_else(|| {
                self.err(
                    MetadataErrorKind::NotCsdl,
                    root.range().start,
                    "`<edmx:Edmx>` has no `<edmx:DataServices>` element, so it declares no types",
                )
            })?;

        for reference in root.children().filter(|c| is_edmx(c, "Reference")) {
            for include in reference.children().filter(|c| is_edmx(c, "Include")) {
                if let (Some(ns), Some(alias)) =
                    (include.attribute("Namespace"), include.attribute("Alias"))
                {
                    self.aliases.insert(alias.to_string(), ns.to_string());
                }
            }
        }

        let mut schema_nodes = Vec::new();
        for child in data_services.children().filter(Node::is_element) {
            if child.tag_name().name() != "Schema" {
                continue;
            }
            if child.tag_name().namespace() != Some(EDM_V4) {
                return Err(self.err(
                    MetadataErrorKind::NotCsdl,
                    child.range().start,
                    format!(
                        "`<Schema>` is in namespace `{}`, not the OData v4 CSDL namespace `{EDM_V4}` \
                         (OData v2/v3 metadata is not supported)",
                        child.tag_name().namespace().unwrap_or("")
                    ),
                ));
            }
            let namespace = self.required(&child, "Namespace")?.to_string();
            let alias = child.attribute("Alias").map(str::to_string);
            if let Some(a) = &alias {
                self.aliases.insert(a.clone(), namespace.clone());
            }
            self.schemas.push(SchemaInfo { namespace, alias });
            schema_nodes.push(child);
        }
        if schema_nodes.is_empty() {
            return Err(self.err(
                MetadataErrorKind::NotCsdl,
                data_services.range().start,
                "`<edmx:DataServices>` contains no `<Schema>` element",
            ));
        }

        for (i, schema) in schema_nodes.iter().enumerate() {
            let namespace = self
                .schemas
                .get(i)
                .map(|s| s.namespace.clone())
                .unwrap_or_default();
            self.read_schema(schema, &namespace)?;
        }
        self.build()
    }

    fn check_root(&self, root: &Node) -> Result<(), MetadataError> {
        let name = root.tag_name().name();
        let ns = root.tag_name().namespace();
        let at = root.range().start;
        if name == "Edmx" {
            return match ns {
                Some(EDMX_V4) => Ok(()),
                Some(other) if other.starts_with("http://schemas.microsoft.com/ado/") => Err(self.err(
                    MetadataErrorKind::NotCsdl,
                    at,
                    format!(
                        "this is OData v2/v3 metadata (namespace `{other}`); mapc needs an OData v4 \
                         CSDL document (namespace `{EDMX_V4}`)"
                    ),
                )),
                other => Err(self.err(
                    MetadataErrorKind::NotCsdl,
                    at,
                    format!(
                        "root element `<Edmx>` is in namespace `{}`, expected `{EDMX_V4}`",
                        other.unwrap_or("")
                    ),
                )),
            };
        }
        let message = if name.eq_ignore_ascii_case("html") {
            HTML_MESSAGE.to_string()
        } else if name == "error" {
            let detail = root
                .descendants()
                .find(|d| d.is_element() && d.tag_name().name() == "message")
                .and_then(|m| m.text())
                .map(|t| format!(": {}", t.trim()))
                .unwrap_or_default();
            format!("not an OData $metadata document: this is an OData error response{detail}")
        } else {
            format!(
                "not an OData CSDL ($metadata) document: the root element is `<{name}>`, \
                 expected `<edmx:Edmx>`"
            )
        };
        Err(self.err(MetadataErrorKind::NotCsdl, at, message))
    }

    fn read_schema(&mut self, schema: &Node<'_, 'i>, namespace: &str) -> Result<(), MetadataError> {
        for child in schema.children().filter(Node::is_element) {
            if child.tag_name().namespace() != Some(EDM_V4) {
                continue;
            }
            match child.tag_name().name() {
                "EntityType" => {
                    let t = self.read_structured(&child, namespace, true)?;
                    self.entities.push(t);
                }
                "ComplexType" => {
                    let t = self.read_structured(&child, namespace, false)?;
                    self.complex.push(t);
                }
                "EnumType" => {
                    let e = self.read_enum(&child, namespace)?;
                    self.enums.push(e);
                }
                "TypeDefinition" => {
                    let name = self.required(&child, "Name")?;
                    let underlying = self.required(&child, "UnderlyingType")?;
                    self.type_definitions
                        .insert(format!("{namespace}.{name}"), underlying.to_string());
                }
                "EntityContainer" => self.read_container(&child)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn read_enum(&self, node: &Node, namespace: &str) -> Result<EnumType, MetadataError> {
        let name = self.required(node, "Name")?.to_string();
        let is_flags = parse_bool(node.attribute("IsFlags"), false);
        let mut members = Vec::new();
        let mut next: i64 = 0;
        for m in node.children().filter(|c| is_edm(c, "Member")) {
            let mname = self.required(&m, "Name")?.to_string();
            let value = match m.attribute("Value") {
                Some(v) => v.trim().parse::<i64>().map_err(|_| {
                    self.err(
                        MetadataErrorKind::Invalid,
                        Self::attr_at(&m, "Value"),
                        format!("enum member `{mname}` of `{name}` has a non-integer value `{v}`"),
                    )
                })?,
                None => next,
            };
            next = value.saturating_add(1);
            members.push(EnumMember { name: mname, value });
        }
        Ok(EnumType {
            name,
            namespace: namespace.to_string(),
            is_flags,
            members,
        })
    }

    fn read_container(&mut self, node: &Node) -> Result<(), MetadataError> {
        let container = node.attribute("Name").unwrap_or("").to_string();
        for set in node.children().filter(|c| is_edm(c, "EntitySet")) {
            let name = self.required(&set, "Name")?.to_string();
            let entity_type = self.required(&set, "EntityType")?.to_string();
            self.sets.push(RawSet {
                name,
                entity_type,
                container: container.clone(),
                at: Self::attr_at(&set, "EntityType"),
            });
        }
        Ok(())
    }

    fn read_structured(
        &self,
        node: &Node,
        namespace: &str,
        entity: bool,
    ) -> Result<RawStructured, MetadataError> {
        let name = self.required(node, "Name")?.to_string();
        let base = node
            .attribute("BaseType")
            .map(|b| (b.trim().to_string(), Self::attr_at(node, "BaseType")));
        let mut t = RawStructured {
            name,
            namespace: namespace.to_string(),
            base,
            is_abstract: parse_bool(node.attribute("Abstract"), false),
            open_type: parse_bool(node.attribute("OpenType"), false),
            key: None,
            alternate_keys: Vec::new(),
            properties: Vec::new(),
            navigations: Vec::new(),
            at: node.range().start,
        };
        for child in node.children().filter(Node::is_element) {
            if child.tag_name().namespace() != Some(EDM_V4) {
                continue;
            }
            match child.tag_name().name() {
                "Key" if entity => {
                    let mut refs = Vec::new();
                    for r in child.children().filter(|c| is_edm(c, "PropertyRef")) {
                        let n = self.required(&r, "Name")?;
                        refs.push((n.to_string(), Self::attr_at(&r, "Name")));
                    }
                    t.key = Some(refs);
                }
                "Property" => t.properties.push(self.read_property(&child)?),
                "NavigationProperty" => t.navigations.push(self.read_navigation(&child)?),
                "Annotation" if entity => {
                    if let Some(term) = child.attribute("Term") {
                        if self.qualify(term) == ALTERNATE_KEYS {
                            t.alternate_keys.extend(read_alternate_keys(&child));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(t)
    }

    fn read_property(&self, node: &Node) -> Result<RawProperty, MetadataError> {
        let name = self.required(node, "Name")?.to_string();
        let ty = self.required(node, "Type")?.to_string();
        let number = |attr: &str| {
            node.attribute(attr)
                .and_then(|v| v.trim().parse::<u32>().ok())
        };
        let scale = node.attribute("Scale").and_then(|s| {
            let s = s.trim();
            if s.eq_ignore_ascii_case("variable") {
                Some(Scale::Variable)
            } else if s.eq_ignore_ascii_case("floating") {
                Some(Scale::Floating)
            } else {
                s.parse::<u32>().ok().map(Scale::Fixed)
            }
        });
        let mut read_only = false;
        for a in node.children().filter(|c| is_edm(c, "Annotation")) {
            let Some(term) = a.attribute("Term") else {
                continue;
            };
            let term = self.qualify(term);
            if term == format!("{CORE}.Computed") {
                let explicit = a.attribute("Bool").or_else(|| {
                    a.children()
                        .find(|c| is_edm(c, "Bool"))
                        .and_then(|b| b.text())
                });
                read_only |= parse_bool(explicit.map(str::trim), true);
            } else if term == format!("{CORE}.Permissions") {
                let value = a.attribute("EnumMember").map(str::to_string).or_else(|| {
                    a.children()
                        .find(|c| is_edm(c, "EnumMember"))
                        .and_then(|b| b.text())
                        .map(str::to_string)
                });
                if let Some(v) = value {
                    let flags: Vec<&str> = v.split_whitespace().collect();
                    read_only |= !flags.is_empty() && flags.iter().all(|f| f.ends_with("/Read"));
                }
            }
        }
        Ok(RawProperty {
            name,
            ty,
            nullable: parse_bool(node.attribute("Nullable"), true),
            max_length: number("MaxLength"),
            precision: number("Precision"),
            scale,
            unicode: parse_bool(node.attribute("Unicode"), true),
            read_only,
        })
    }

    fn read_navigation(&self, node: &Node) -> Result<RawNavigation, MetadataError> {
        let name = self.required(node, "Name")?.to_string();
        let ty = self.required(node, "Type")?.to_string();
        let mut constraints = Vec::new();
        for c in node
            .children()
            .filter(|c| is_edm(c, "ReferentialConstraint"))
        {
            constraints.push(ReferentialConstraint {
                property: self.required(&c, "Property")?.to_string(),
                referenced_property: self.required(&c, "ReferencedProperty")?.to_string(),
            });
        }
        Ok(RawNavigation {
            name,
            ty,
            nullable: parse_bool(node.attribute("Nullable"), true),
            partner: node.attribute("Partner").map(str::to_string),
            contains_target: parse_bool(node.attribute("ContainsTarget"), false),
            constraints,
            at: Self::attr_at(node, "Type"),
        })
    }

    fn resolve_property_type(&self, ty: &str, names: &TypeNames) -> (bool, EdmType) {
        let (collection, inner) = split_collection(ty);
        let q = self.qualify(inner);
        let edm = if let Some(t) = EdmType::from_edm_name(&q) {
            t
        } else if q.starts_with("Edm.") {
            EdmType::Other(q)
        } else if names.enums.contains(&q) {
            EdmType::Enum(q)
        } else if names.complex.contains(&q) {
            EdmType::Complex(q)
        } else if let Some(underlying) = self.type_definitions.get(&q) {
            let u = self.qualify(underlying);
            EdmType::from_edm_name(&u).unwrap_or(EdmType::Other(u))
        } else {
            EdmType::Other(q)
        };
        (collection, edm)
    }

    /// The chain `[i, base(i), base(base(i)), ...]` of indices into `types`.
    fn chain(
        &self,
        types: &[RawStructured],
        index: &HashMap<String, usize>,
        i: usize,
        what: &str,
    ) -> Result<Vec<usize>, MetadataError> {
        let mut chain = vec![i];
        let mut cur = i;
        while let Some((base, at)) = types.get(cur).and_then(|t| t.base.as_ref()) {
            let q = self.qualify(base);
            let Some(&b) = index.get(&q) else {
                let name = types.get(cur).map_or("", |t| t.name.as_str());
                return Err(self.err(
                    MetadataErrorKind::Invalid,
                    *at,
                    format!("{what} `{name}` has base type `{base}`, which this document does not declare"),
                ));
            };
            if chain.contains(&b) {
                let name = types.get(i).map_or("", |t| t.name.as_str());
                return Err(self.err(
                    MetadataErrorKind::Invalid,
                    *at,
                    format!("{what} `{name}` inherits from itself (BaseType cycle)"),
                ));
            }
            chain.push(b);
            cur = b;
        }
        Ok(chain)
    }

    fn build_properties(
        &self,
        types: &[RawStructured],
        chain: &[usize],
        names: &TypeNames,
    ) -> (Vec<Property>, HashMap<String, usize>) {
        let mut props: Vec<Property> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for &c in chain.iter().rev() {
            let Some(t) = types.get(c) else { continue };
            for p in &t.properties {
                let (collection, ty) = self.resolve_property_type(&p.ty, names);
                let prop = Property {
                    name: p.name.clone(),
                    ty,
                    collection,
                    nullable: p.nullable,
                    max_length: p.max_length,
                    precision: p.precision,
                    scale: p.scale,
                    unicode: p.unicode,
                    read_only: p.read_only,
                    declared_in: t.name.clone(),
                };
                match index.get(&p.name) {
                    Some(&existing) => {
                        if let Some(slot) = props.get_mut(existing) {
                            *slot = prop;
                        }
                    }
                    None => {
                        index.insert(p.name.clone(), props.len());
                        props.push(prop);
                    }
                }
            }
        }
        (props, index)
    }

    fn build(self) -> Result<Model, MetadataError> {
        // Name tables.
        let mut entity_index: HashMap<String, usize> = HashMap::new();
        for (i, e) in self.entities.iter().enumerate() {
            if entity_index.insert(e.qualified(), i).is_some() {
                return Err(self.err(
                    MetadataErrorKind::Invalid,
                    e.at,
                    format!("entity type `{}` is declared twice", e.qualified()),
                ));
            }
        }
        let complex_index: HashMap<String, usize> = self
            .complex
            .iter()
            .enumerate()
            .map(|(i, c)| (c.qualified(), i))
            .collect();
        let names = TypeNames {
            enums: self.enums.iter().map(EnumType::qualified_name).collect(),
            complex: complex_index.keys().cloned().collect(),
        };

        // Entity sets: first set per type wins.
        let mut entity_sets = Vec::new();
        let mut set_index = HashMap::new();
        let mut set_of_type: HashMap<usize, String> = HashMap::new();
        for s in &self.sets {
            let q = self.qualify(&s.entity_type);
            let Some(&ei) = entity_index.get(&q) else {
                return Err(self.err(
                    MetadataErrorKind::Invalid,
                    s.at,
                    format!(
                        "entity set `{}` has entity type `{}`, which is not an entity type in this document",
                        s.name, s.entity_type
                    ),
                ));
            };
            set_of_type.entry(ei).or_insert_with(|| s.name.clone());
            if set_index.contains_key(&s.name) {
                continue;
            }
            set_index.insert(s.name.clone(), entity_sets.len());
            entity_sets.push(EntitySet {
                name: s.name.clone(),
                entity_type: self
                    .entities
                    .get(ei)
                    .map_or_else(String::new, |e| e.name.clone()),
                entity_type_qualified: q,
                container: s.container.clone(),
            });
        }

        // Entity types, inheritance flattened.
        let mut entities = Vec::with_capacity(self.entities.len());
        for (i, raw) in self.entities.iter().enumerate() {
            let chain = self.chain(&self.entities, &entity_index, i, "entity type")?;
            let (properties, property_index) =
                self.build_properties(&self.entities, &chain, &names);

            let key_refs = chain
                .iter()
                .find_map(|&c| self.entities.get(c).and_then(|t| t.key.as_ref()));
            let mut key = Vec::new();
            for (k, at) in key_refs.into_iter().flatten() {
                if !k.contains('/') && !property_index.contains_key(k) {
                    return Err(self.err(
                        MetadataErrorKind::Invalid,
                        *at,
                        format!(
                            "key property `{k}` of entity type `{}` is not a property of it",
                            raw.name
                        ),
                    ));
                }
                key.push(k.clone());
            }

            let mut navigations: Vec<Navigation> = Vec::new();
            let mut navigation_index: HashMap<String, usize> = HashMap::new();
            for &c in chain.iter().rev() {
                let Some(t) = self.entities.get(c) else {
                    continue;
                };
                for n in &t.navigations {
                    let (collection, inner) = split_collection(&n.ty);
                    let q = self.qualify(inner);
                    let Some(target) = entity_index.get(&q).and_then(|&ti| self.entities.get(ti))
                    else {
                        return Err(self.err(
                            MetadataErrorKind::Invalid,
                            n.at,
                            format!(
                                "navigation property `{}` of `{}` has type `{}`, which is not an entity type in this document",
                                n.name, t.name, n.ty
                            ),
                        ));
                    };
                    let nav = Navigation {
                        name: n.name.clone(),
                        target: target.name.clone(),
                        target_qualified: q,
                        collection,
                        nullable: n.nullable,
                        partner: n.partner.clone(),
                        contains_target: n.contains_target,
                        constraints: n.constraints.clone(),
                        declared_in: t.name.clone(),
                    };
                    match navigation_index.get(&n.name) {
                        Some(&existing) => {
                            if let Some(slot) = navigations.get_mut(existing) {
                                *slot = nav;
                            }
                        }
                        None => {
                            navigation_index.insert(n.name.clone(), navigations.len());
                            navigations.push(nav);
                        }
                    }
                }
            }

            let alternate_keys = chain
                .iter()
                .filter_map(|&c| self.entities.get(c))
                .flat_map(|t| t.alternate_keys.iter().cloned())
                .collect();
            let base_types = chain
                .iter()
                .skip(1)
                .filter_map(|&c| self.entities.get(c))
                .map(RawStructured::qualified)
                .collect();

            entities.push(EntityType {
                name: raw.name.clone(),
                namespace: raw.namespace.clone(),
                base_types,
                is_abstract: raw.is_abstract,
                open_type: raw.open_type,
                entity_set: set_of_type.get(&i).cloned(),
                key,
                alternate_keys,
                properties,
                navigations,
                property_index,
                navigation_index,
            });
        }

        // Complex types, inheritance flattened.
        let mut complex_types = Vec::with_capacity(self.complex.len());
        for (i, raw) in self.complex.iter().enumerate() {
            let chain = self.chain(&self.complex, &complex_index, i, "complex type")?;
            let (properties, _) = self.build_properties(&self.complex, &chain, &names);
            complex_types.push(ComplexType {
                name: raw.name.clone(),
                namespace: raw.namespace.clone(),
                properties,
            });
        }

        let mut by_name = HashMap::new();
        let mut by_qualified = HashMap::new();
        for (i, e) in entities.iter().enumerate() {
            by_name.entry(e.name.clone()).or_insert(i);
            by_qualified.insert(e.qualified_name(), i);
        }

        Ok(Model {
            schemas: self.schemas,
            entities,
            entity_sets,
            enums: self.enums,
            complex_types,
            by_qualified,
            by_name,
            set_index,
        })
    }
}

/// Property-name lists of an `OData.Community.Keys.V1.AlternateKeys` annotation.
fn read_alternate_keys(annotation: &Node) -> Vec<Vec<String>> {
    let mut keys = Vec::new();
    for key in annotation
        .descendants()
        .filter(|d| is_edm(d, "PropertyValue") && d.attribute("Property") == Some("Key"))
    {
        let names: Vec<String> = key
            .descendants()
            .filter(|d| is_edm(d, "PropertyValue") && d.attribute("Property") == Some("Name"))
            .filter_map(|d| {
                d.attribute("PropertyPath").map(str::to_string).or_else(|| {
                    d.children()
                        .find(|c| is_edm(c, "PropertyPath"))
                        .and_then(|c| c.text())
                        .map(|t| t.trim().to_string())
                })
            })
            .collect();
        if !names.is_empty() {
            keys.push(names);
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(schemas: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:Reference Uri="https://oasis-tcs.github.io/odata-vocabularies/vocabularies/Org.OData.Core.V1.xml">
    <edmx:Include Namespace="Org.OData.Core.V1" Alias="Core"/>
  </edmx:Reference>
  <edmx:DataServices>
{schemas}
  </edmx:DataServices>
</edmx:Edmx>"#
        )
    }

    const EDM: &str = r#"xmlns="http://docs.oasis-open.org/odata/ns/edm""#;

    #[test]
    fn multiple_schemas_and_aliases() {
        let xml = doc(&format!(
            r#"<Schema Namespace="Contoso.Sales" Alias="cs" {EDM}>
      <EntityType Name="order" BaseType="base.entity">
        <Property Name="total" Type="Edm.Decimal" Precision="19" Scale="4"/>
        <Property Name="tags" Type="Collection(Edm.String)"/>
        <Property Name="status" Type="base.status"/>
        <Property Name="addr" Type="cs.address"/>
        <Property Name="code" Type="base.code"/>
        <Property Name="weight" Type="Edm.Single"/>
        <NavigationProperty Name="customer" Type="base.customer" Nullable="false">
          <ReferentialConstraint Property="customerId" ReferencedProperty="id"/>
        </NavigationProperty>
      </EntityType>
      <ComplexType Name="address">
        <Property Name="city" Type="Edm.String" MaxLength="max"/>
      </ComplexType>
      <EntityContainer Name="c1">
        <EntitySet Name="orders" EntityType="cs.order"/>
      </EntityContainer>
    </Schema>
    <Schema Namespace="Contoso.Base" Alias="base" {EDM}>
      <EntityType Name="entity" Abstract="true">
        <Key><PropertyRef Name="id"/></Key>
        <Property Name="id" Type="Edm.Guid" Nullable="false">
          <Annotation Term="Core.Computed" Bool="true"/>
        </Property>
        <Property Name="customerId" Type="Edm.Guid">
          <Annotation Term="Org.OData.Core.V1.Permissions" EnumMember="Core.Permission/Read"/>
        </Property>
      </EntityType>
      <EntityType Name="customer" BaseType="Contoso.Base.entity">
        <Property Name="name" Type="Edm.String" MaxLength="100"/>
        <NavigationProperty Name="orders" Type="Collection(cs.order)" Partner="customer"/>
      </EntityType>
      <EnumType Name="status"><Member Name="Open"/><Member Name="Closed"/></EnumType>
      <TypeDefinition Name="code" UnderlyingType="Edm.String"/>
      <EntityContainer Name="c2">
        <EntitySet Name="customers" EntityType="Contoso.Base.customer"/>
      </EntityContainer>
    </Schema>"#
        ));
        let m = parse_csdl(&xml).unwrap();
        assert_eq!(m.schemas().len(), 2);
        let order = m.entity("order").unwrap();
        assert_eq!(order.key(), vec!["id"]);
        assert_eq!(order.base_types(), ["Contoso.Base.entity".to_string()]);
        assert!(order.is_a("entity"));
        let id = order.property("id").unwrap();
        assert_eq!(id.declared_in, "entity");
        assert!(id.read_only && !id.nullable);
        assert!(order.property("customerId").unwrap().read_only);
        let total = order.property("total").unwrap();
        assert_eq!(
            (total.precision, total.scale),
            (Some(19), Some(Scale::Fixed(4)))
        );
        let tags = order.property("tags").unwrap();
        assert!(tags.collection);
        assert_eq!(tags.type_name(), "Collection(Edm.String)");
        assert_eq!(
            order.property("status").unwrap().ty,
            EdmType::Enum("Contoso.Base.status".into())
        );
        assert_eq!(
            order.property("addr").unwrap().ty,
            EdmType::Complex("Contoso.Sales.address".into())
        );
        assert_eq!(order.property("code").unwrap().ty, EdmType::String);
        assert_eq!(
            order.property("weight").unwrap().ty,
            EdmType::Other("Edm.Single".into())
        );
        let nav = order.navigation("customer").unwrap();
        assert_eq!(nav.target, "customer");
        assert_eq!(nav.target_qualified, "Contoso.Base.customer");
        assert!(!nav.collection && !nav.nullable);
        assert_eq!(nav.foreign_key(), Some("customerId"));
        assert_eq!(m.entity_by_set("customers").unwrap().name(), "customer");
        assert_eq!(m.entity_set_of("order"), Some("orders"));
        assert_eq!(m.entity_set_of("entity"), None);
        assert!(m.find_entity("cs.order").is_some());
        assert!(m.find_entity("Contoso.Sales.order").is_some());
        let status = m.enum_type("base.status").unwrap();
        assert_eq!(status.members[1].value, 1);
        assert_eq!(
            m.complex_type("address")
                .unwrap()
                .property("city")
                .unwrap()
                .max_length,
            None
        );
        let customer = m.entity("customer").unwrap();
        assert!(customer.navigation("orders").unwrap().collection);
        // via a BC-style foreign key property
        assert_eq!(
            m.resolve_via(order, "customerId", "customer").unwrap().name,
            "customer"
        );
    }

    #[test]
    fn broken_references_are_positioned() {
        let xml = doc(&format!(
            r#"<Schema Namespace="N" {EDM}>
      <EntityType Name="a" BaseType="N.missing">
        <Property Name="id" Type="Edm.Guid"/>
      </EntityType>
    </Schema>"#
        ));
        let e = parse_csdl(&xml).unwrap_err();
        assert_eq!(e.kind, MetadataErrorKind::Invalid);
        assert_eq!(e.line(), Some(8));
        assert!(e.message.contains("N.missing"), "{}", e.message);

        let xml = doc(&format!(
            r#"<Schema Namespace="N" {EDM}>
      <EntityType Name="a" BaseType="N.b"/>
      <EntityType Name="b" BaseType="N.a"/>
    </Schema>"#
        ));
        let e = parse_csdl(&xml).unwrap_err();
        assert!(e.message.contains("cycle"), "{}", e.message);

        let xml = doc(&format!(
            r#"<Schema Namespace="N" {EDM}>
      <EntityType Name="a">
        <Key><PropertyRef Name="aid"/></Key>
        <Property Name="id" Type="Edm.Guid"/>
      </EntityType>
    </Schema>"#
        ));
        let e = parse_csdl(&xml).unwrap_err();
        assert_eq!(e.line(), Some(9));
        assert!(e.message.contains("`aid`"), "{}", e.message);

        let xml = doc(&format!(
            r#"<Schema Namespace="N" {EDM}>
      <EntityType Name="a">
        <NavigationProperty Name="b" Type="N.b"/>
      </EntityType>
    </Schema>"#
        ));
        let e = parse_csdl(&xml).unwrap_err();
        assert_eq!(e.line(), Some(9));
        assert!(e.message.contains("not an entity type"), "{}", e.message);

        let xml = doc(&format!(
            r#"<Schema Namespace="N" {EDM}>
      <EntityType Name="a"><Property Name="x"/></EntityType>
    </Schema>"#
        ));
        let e = parse_csdl(&xml).unwrap_err();
        assert!(e.message.contains("`Type`"), "{}", e.message);
    }

    #[test]
    fn not_csdl_documents() {
        let e = parse_csdl("<html><body>Sign in</body></html>").unwrap_err();
        assert_eq!(e.kind, MetadataErrorKind::NotCsdl);
        assert!(e.message.contains("HTML"));
        let e = parse_csdl(r#"{"$Version":"4.01"}"#).unwrap_err();
        assert!(e.message.contains("JSON"));
        let e = parse_csdl("   ").unwrap_err();
        assert!(e.message.contains("empty"));
        let e = parse_csdl(
            r#"<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx"/>"#,
        )
        .unwrap_err();
        assert!(e.message.contains("v2/v3"), "{}", e.message);
        let e = parse_csdl(
            r#"<error xmlns="http://docs.oasis-open.org/odata/ns/metadata"><code>401</code><message>Unauthorized</message></error>"#,
        )
        .unwrap_err();
        assert!(e.message.contains("Unauthorized"), "{}", e.message);
        let e = parse_csdl(
            r#"<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices/></edmx:Edmx>"#,
        )
        .unwrap_err();
        assert!(e.message.contains("no `<Schema>`"), "{}", e.message);
    }

    #[test]
    fn bom_is_accepted() {
        let xml = format!(
            "\u{feff}{}",
            doc(&format!(r#"<Schema Namespace="N" {EDM}/>"#))
        );
        assert!(parse_csdl(&xml).is_ok());
    }
}
