//! Companies: a record's company identity, contacts and relationship
//! ids, and the relationship lists written once parents are resolved.

use super::{check_list, reject, Warning};
use crate::plan::Compiled;
use mapc_diag::Code;
use mapc_value::json::parse::{Frame, RecordError};
use mapc_value::json::write::write_str;
use mapc_value::{id_text, Value};
use std::borrow::Cow;

/// What a record's company fields say (companies mappings only).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CompanyData {
    pub id: Option<String>,
    pub number: Option<String>,
    pub parent: Option<String>,
    /// Contacts with an id: (0-based position in the list, id).
    pub contacts: Vec<(usize, String)>,
    /// Positions (0-based) of contacts without an id (null, absent, blank).
    pub contacts_without_id: Vec<usize>,
}

impl Compiled {
    pub(super) fn company_data(
        &self,
        c: &crate::plan::CCompanies,
        frame: &Frame,
    ) -> Result<CompanyData, RecordError> {
        let s = &frame.slots;
        // Ids and numbers: null, absent and blank are all "none".
        let text = |v: &Value| {
            id_text(v)
                .filter(|t| !t.trim().is_empty())
                .map(Cow::into_owned)
        };
        let id = text(&s[c.id as usize]);
        let number = text(&s[c.number as usize]);
        let parent = c.parent.and_then(|p| text(&s[p as usize]));
        let mut contacts = Vec::new();
        let mut contacts_without_id = Vec::new();
        if let Some((list, cid)) = c.contacts {
            let ld = &frame.lists[list as usize];
            check_list(ld, &c.contacts_path, "contacts")?;
            for i in 0..ld.len() {
                let v = &ld.item(i)[cid as usize];
                if let Value::List(_) | Value::Obj(_) = v {
                    return Err(reject(
                        Code::R0010,
                        format!(
                            "the contact id is {}, expected a text or a number",
                            v.kind_name()
                        ),
                    )
                    .with_field(format!("{}[{i}].{}", c.contacts_path, c.contact_id_field))
                    .with_place(format!(
                        "contact {} of `{}`, field `{}`",
                        i + 1,
                        c.contacts_path,
                        c.contact_id_field
                    )));
                }
                // A contact without an id cannot be related: it is left
                // out, and R0106 says so.
                match text(v) {
                    Some(t) => contacts.push((i, t)),
                    None => contacts_without_id.push(i),
                }
            }
        }
        Ok(CompanyData {
            id,
            number,
            parent,
            contacts,
            contacts_without_id,
        })
    }
}

/// The separator inside relationship ids (`{parentId}|{childId}`,
/// `{companyId}|{contactId}`).
pub(crate) const RELATIONSHIP_ID_SEPARATOR: char = '|';

/// R0028: an id that goes into a relationship id contains the separator.
pub(crate) fn separator_in_id(what: &str, id: &str, example: &str) -> RecordError {
    reject(
        Code::R0028,
        format!(
            "{what} `{id}` contains `{RELATIONSHIP_ID_SEPARATOR}`, so the relationship id `{example}` would be ambiguous (it could join other ids)"
        ),
    )
    .with_help(
        "relationship ids join two ids with `|`; remove the `|` from the id at the source, or map companies and contacts by ids without it",
    )
}

/// The ids a written company's own relationships are built from: its id
/// (needed when it has contacts or a parent) and its contacts' ids; none
/// may contain `|` (R0028). The parent's id is checked when parents are
/// resolved.
pub(super) fn relationship_ids(
    c: &crate::plan::CCompanies,
    d: &CompanyData,
) -> Result<(), RecordError> {
    let contacts: &[(usize, String)] = if c.relationships { &d.contacts } else { &[] };
    let needs_id = !contacts.is_empty() || (c.hierarchy && d.parent.is_some());
    if !needs_id {
        return Ok(());
    }
    let Some(id) = &d.id else {
        return Err(reject(
            Code::R0010,
            "the company id is null, absent or blank, so the company's relationships cannot be built",
        )
        .with_field(c.id_field.clone()));
    };
    if id.contains(RELATIONSHIP_ID_SEPARATOR) {
        let example = match contacts.first() {
            Some((_, k)) => format!("{id}|{k}"),
            None => format!("{{parentId}}|{id}"),
        };
        return Err(separator_in_id("the company id", id, &example).with_field(c.id_field.clone()));
    }
    for (i, k) in contacts {
        if k.contains(RELATIONSHIP_ID_SEPARATOR) {
            return Err(separator_in_id("the contact id", k, &format!("{id}|{k}"))
                .with_field(format!("{}[{i}].{}", c.contacts_path, c.contact_id_field))
                .with_place(format!(
                    "contact {} of `{}`, field `{}`",
                    i + 1,
                    c.contacts_path,
                    c.contact_id_field
                )));
        }
    }
    Ok(())
}

/// R0106: contacts without an id get no Person relationship.
pub(super) fn contacts_without_id(c: &crate::plan::CCompanies, d: &CompanyData) -> Option<Warning> {
    if !c.relationships || d.contacts_without_id.is_empty() {
        return None;
    }
    let which = match d.contacts_without_id.as_slice() {
        [one] => format!("contact {}", one + 1),
        many => format!(
            "contacts {}",
            many.iter()
                .map(|i| (i + 1).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let verb = if d.contacts_without_id.len() == 1 {
        "has"
    } else {
        "have"
    };
    Some(Warning {
        code: Code::R0106,
        message: format!(
            "{which} of `{}` {verb} no `{}` (null, absent or blank); no Person relationship is written for {}",
            c.contacts_path,
            c.contact_id_field,
            if d.contacts_without_id.len() == 1 { "it" } else { "them" }
        ),
        rule: None,
    })
}

/// Writes a company relationship list: `(other id, is_parent)` entries,
/// where `other` is the parent's id or the contact's id.
pub(crate) fn write_relationships(entries: &[(String, bool)], company: &str, out: &mut Vec<u8>) {
    out.push(b'[');
    for (i, (other, is_parent)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if *is_parent {
            out.extend_from_slice(b"{\"id\":");
            write_str(&format!("{other}|{company}"), out);
            out.extend_from_slice(b",\"relationship_type\":\"Parent Company\",\"parent_id\":");
            write_str(other, out);
            out.extend_from_slice(b",\"company_id\":");
            write_str(company, out);
            out.push(b'}');
        } else {
            out.extend_from_slice(b"{\"id\":");
            write_str(&format!("{company}|{other}"), out);
            out.extend_from_slice(b",\"relationship_type\":\"Person\",\"company_id\":");
            write_str(company, out);
            out.extend_from_slice(b",\"contact_id\":");
            write_str(other, out);
            out.push(b'}');
        }
    }
    out.push(b']');
}
