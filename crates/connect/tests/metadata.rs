//! `$metadata` model against the fixtures in `tests/fixtures/schema/`.

use std::path::{Path, PathBuf};

use mapc_connect::metadata::{
    load_cache, parse_csdl, write_cache, EdmType, LookupKind, MetadataErrorKind, Model, Scale,
    ViaError,
};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/schema")
}

fn fixture(name: &str) -> String {
    let path = fixture_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn dataverse() -> Model {
    parse_csdl(&fixture("dataverse.xml")).unwrap_or_else(|e| panic!("{e}"))
}

fn business_central() -> Model {
    parse_csdl(&fixture("business_central.xml")).unwrap_or_else(|e| panic!("{e}"))
}

/// A scratch directory unique to this test process and test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mapc-connect-metadata-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------- Dataverse

#[test]
fn dataverse_entities_by_name_and_set() {
    let m = dataverse();
    for (entity, set, key) in [
        ("account", "accounts", "accountid"),
        ("contact", "contacts", "contactid"),
        ("opportunity", "opportunities", "opportunityid"),
        (
            "opportunityproduct",
            "opportunityproducts",
            "opportunityproductid",
        ),
        ("quote", "quotes", "quoteid"),
        ("quotedetail", "quotedetails", "quotedetailid"),
        (
            "salesorderdetail",
            "salesorderdetails",
            "salesorderdetailid",
        ),
        ("invoicedetail", "invoicedetails", "invoicedetailid"),
        ("product", "products", "productid"),
        ("pricelevel", "pricelevels", "pricelevelid"),
        ("uom", "uoms", "uomid"),
        (
            "transactioncurrency",
            "transactioncurrencies",
            "transactioncurrencyid",
        ),
    ] {
        let e = m.entity(entity).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.name(), entity);
        assert_eq!(e.namespace(), "Microsoft.Dynamics.CRM");
        assert_eq!(e.key(), vec![key], "{entity}");
        assert_eq!(e.entity_set(), Some(set));
        assert_eq!(m.entity_set_of(entity), Some(set));
        assert_eq!(m.entity_by_set(set).unwrap().name(), entity);
        assert!(e.is_a("crmbaseentity"), "{entity}");
        assert!(e.property(key).is_some_and(|p| p.ty == EdmType::Guid));
    }
    assert!(m.find_entity("mscrm.account").is_some());
    assert!(m.find_entity("Microsoft.Dynamics.CRM.account").is_some());
    assert_eq!(m.entity_set_of("crmbaseentity"), None);
    assert!(m.entity("crmbaseentity").unwrap().is_abstract());
    assert!(m.entity("expando").unwrap().is_open());
}

#[test]
fn dataverse_lookup_errors_suggest() {
    let m = dataverse();

    let e = m.entity("oportunity").unwrap_err();
    assert_eq!(e.kind, LookupKind::EntityType);
    assert_eq!(
        e.suggestions.first().map(String::as_str),
        Some("opportunity")
    );
    assert!(e.to_string().contains("did you mean `opportunity`"), "{e}");

    // case-sensitive: `Account` is not `account`, but it is the first suggestion
    let e = m.entity("Account").unwrap_err();
    assert_eq!(e.suggestions.first().map(String::as_str), Some("account"));

    // an entity set name where a logical name is expected
    let e = m.entity("opportunities").unwrap_err();
    assert_eq!(
        e.suggestions.first().map(String::as_str),
        Some("opportunity")
    );
    assert!(e
        .hint
        .as_deref()
        .unwrap_or("")
        .contains("entity set of `opportunity`"));

    // and the reverse
    let e = m.entity_by_set("transactioncurrency").unwrap_err();
    assert_eq!(e.kind, LookupKind::EntitySet);
    assert_eq!(
        e.suggestions.first().map(String::as_str),
        Some("transactioncurrencies")
    );

    let e = m.entity("zzzz").unwrap_err();
    assert!(e.suggestions.is_empty());
    assert!(m
        .entity_by_set("acounts")
        .unwrap_err()
        .suggestions
        .contains(&"accounts".into()));
}

#[test]
fn dataverse_inheritance() {
    let m = dataverse();
    // systemuser/team derive from principal and inherit its key `ownerid`
    for name in ["systemuser", "team"] {
        let e = m.entity(name).unwrap();
        assert_eq!(e.key(), vec!["ownerid"]);
        assert_eq!(e.property("ownerid").unwrap().declared_in, "principal");
        assert!(e.navigation("owner_accounts").is_some(), "{name}");
        assert_eq!(
            e.base_types(),
            [
                "Microsoft.Dynamics.CRM.principal".to_string(),
                "Microsoft.Dynamics.CRM.crmbaseentity".to_string()
            ]
        );
        assert!(e.is_a("principal") && e.is_a("Microsoft.Dynamics.CRM.crmbaseentity"));
    }
    let su = m.entity("systemuser").unwrap();
    assert_eq!(
        su.property("systemuserid").unwrap().declared_in,
        "systemuser"
    );
    // inherited members are listed for suggestions too
    assert!(su.property_names().any(|n| n == "ownerid"));
    assert!(su.navigation_names().any(|n| n == "owner_opportunities"));
    assert_eq!(m.entity_set_of("principal"), None);
}

#[test]
fn dataverse_property_facets() {
    let m = dataverse();
    let account = m.entity("account").unwrap();
    for (prop, len) in [
        ("name", 160),
        ("accountnumber", 20),
        ("emailaddress1", 100),
        ("telephone1", 50),
        ("address1_city", 80),
    ] {
        let p = account.property(prop).unwrap();
        assert_eq!(p.ty, EdmType::String);
        assert_eq!(p.max_length, Some(len), "account.{prop}");
        assert!(!p.unicode);
    }
    let contact = m.entity("contact").unwrap();
    for (prop, len) in [
        ("firstname", 50),
        ("lastname", 50),
        ("fullname", 160),
        ("emailaddress1", 100),
        ("telephone1", 50),
    ] {
        assert_eq!(
            contact.property(prop).unwrap().max_length,
            Some(len),
            "contact.{prop}"
        );
    }
    assert_eq!(contact.property("birthdate").unwrap().ty, EdmType::Date);

    let opp = m.entity("opportunity").unwrap();
    let ev = opp.property("estimatedvalue").unwrap();
    assert_eq!(ev.ty, EdmType::Decimal);
    assert_eq!(ev.scale, Some(Scale::Variable));
    assert!(ev.nullable);
    assert!(opp.property("estimatedvalue_base").is_some());
    let dp = opp.property("discountpercentage").unwrap();
    assert_eq!((dp.precision, dp.scale), (Some(23), Some(Scale::Fixed(2))));
    assert_eq!(opp.property("statecode").unwrap().ty, EdmType::Int32);
    assert_eq!(opp.property("statuscode").unwrap().ty, EdmType::Int32);
    assert_eq!(opp.property("closeprobability").unwrap().ty, EdmType::Int32);
    assert_eq!(
        opp.property("modifiedon").unwrap().ty,
        EdmType::DateTimeOffset
    );
    assert_eq!(
        opp.property("estimatedclosedate").unwrap().ty,
        EdmType::Date
    );
    assert_eq!(opp.property("versionnumber").unwrap().ty, EdmType::Int64);
    assert_eq!(opp.property("_customerid_value").unwrap().ty, EdmType::Guid);
    assert_eq!(
        opp.property("_customerid_value")
            .unwrap()
            .lookup_attribute(),
        Some("customerid")
    );
    assert!(opp.lookup_attributes().any(|a| a == "parentcontactid"));
    assert_eq!(
        account.property("address1_latitude").unwrap().ty,
        EdmType::Double
    );
    assert_eq!(
        account.alternate_keys(),
        [vec!["accountnumber".to_string()]]
    );

    // the fields the spec examples use
    for f in [
        "opportunityid",
        "name",
        "estimatedvalue",
        "discountpercentage",
        "discountamount",
        "freightamount",
        "totaltax",
        "description",
        "statecode",
        "statuscode",
        "closeprobability",
        "modifiedon",
        "createdon",
        "_customerid_value",
        "_parentaccountid_value",
        "_parentcontactid_value",
    ] {
        assert!(opp.property(f).is_some(), "opportunity.{f}");
    }
    let line = m.entity("opportunityproduct").unwrap();
    for f in [
        "opportunityproductid",
        "productdescription",
        "quantity",
        "priceperunit",
        "manualdiscountamount",
        "tax",
        "sequencenumber",
        "baseamount",
        "extendedamount",
        "_productid_value",
        "_opportunityid_value",
    ] {
        assert!(line.property(f).is_some(), "opportunityproduct.{f}");
    }
    // as in Dataverse, the SKU lives on product, not on the line
    assert!(line.property("productnumber").is_none());
    assert!(m
        .entity("product")
        .unwrap()
        .property("productnumber")
        .is_some());
    assert_eq!(
        line.property("quantity").unwrap().scale,
        Some(Scale::Fixed(5))
    );
    assert_eq!(
        line.suggest_member("priceperunt")
            .first()
            .map(String::as_str),
        Some("priceperunit")
    );
}

#[test]
fn dataverse_navigations() {
    let m = dataverse();
    let opp = m.entity("opportunity").unwrap();
    let lines = opp.navigation("product_opportunities").unwrap();
    assert!(lines.collection);
    assert_eq!(lines.target, "opportunityproduct");
    assert_eq!(
        lines.target_qualified,
        "Microsoft.Dynamics.CRM.opportunityproduct"
    );
    assert_eq!(lines.partner.as_deref(), Some("opportunityid"));
    assert_eq!(
        opp.navigations_to("opportunityproduct")
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>(),
        vec!["product_opportunities"]
    );

    for (nav, target) in [
        ("parentaccountid", "account"),
        ("parentcontactid", "contact"),
        ("customerid_account", "account"),
        ("customerid_contact", "contact"),
        ("transactioncurrencyid", "transactioncurrency"),
        ("ownerid", "principal"),
    ] {
        let n = opp
            .navigation(nav)
            .unwrap_or_else(|| panic!("opportunity.{nav}"));
        assert!(!n.collection, "{nav}");
        assert_eq!(n.target, target);
    }
    let back = m
        .entity("opportunityproduct")
        .unwrap()
        .navigation("opportunityid")
        .unwrap();
    assert!(!back.nullable);
    assert_eq!(back.partner.as_deref(), Some("product_opportunities"));
    assert_eq!(back.foreign_key(), Some("_opportunityid_value"));
    assert_eq!(back.constraints[0].referenced_property, "opportunityid");

    let contact = m.entity("contact").unwrap();
    assert_eq!(
        contact
            .navigation("parentcustomerid_account")
            .unwrap()
            .target,
        "account"
    );
    let account = m.entity("account").unwrap();
    assert_eq!(
        account.navigation("parentaccountid").unwrap().target,
        "account"
    );
    assert!(
        account
            .navigation("account_parent_account")
            .unwrap()
            .collection
    );
    // case-sensitive
    assert!(account.navigation("ParentAccountId").is_none());
}

/// Every `Partner` names a navigation property on the target that points back.
#[test]
fn partners_are_consistent() {
    let m = dataverse();
    let mut checked = 0;
    for e in m.entities() {
        for n in e.navigations() {
            let Some(partner) = &n.partner else { continue };
            let target = m.entity(&n.target).unwrap();
            let p = target
                .navigation(partner)
                .unwrap_or_else(|| panic!("{}.{} partner {partner} missing", e.name(), n.name));
            assert_eq!(
                p.partner.as_deref(),
                Some(n.name.as_str()),
                "{}.{}",
                e.name(),
                n.name
            );
            assert!(e.is_a(&p.target_qualified), "{}.{}", e.name(), n.name);
            assert!(n.collection != p.collection, "{}.{}", e.name(), n.name);
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
    // every referential constraint names real properties on both sides
    for m in [dataverse(), business_central()] {
        for e in m.entities() {
            for n in e.navigations() {
                let target = m.entity(&n.target).unwrap();
                for c in &n.constraints {
                    assert!(
                        e.property(&c.property).is_some(),
                        "{}.{}",
                        e.name(),
                        c.property
                    );
                    assert!(target.property(&c.referenced_property).is_some());
                }
            }
        }
    }
}

#[test]
fn resolve_via_dataverse() {
    let m = dataverse();
    let opp = m.entity("opportunity").unwrap();

    // polymorphic customer lookup: `customerid` + related entity
    assert_eq!(
        m.resolve_via(opp, "customerid", "account").unwrap().name,
        "customerid_account"
    );
    assert_eq!(
        m.resolve_via(opp, "customerid", "contact").unwrap().name,
        "customerid_contact"
    );
    assert_eq!(
        m.resolve_via(opp, "_customerid_value", "account")
            .unwrap()
            .name,
        "customerid_account"
    );
    // the navigation property name itself
    assert_eq!(
        m.resolve_via(opp, "customerid_contact", "contact")
            .unwrap()
            .name,
        "customerid_contact"
    );
    // plain lookups
    assert_eq!(
        m.resolve_via(opp, "parentcontactid", "contact")
            .unwrap()
            .name,
        "parentcontactid"
    );
    assert_eq!(
        m.resolve_via(opp, "parentaccountid", "account")
            .unwrap()
            .name,
        "parentaccountid"
    );
    assert_eq!(
        m.resolve_via(opp, "parentaccountid", "mscrm.account")
            .unwrap()
            .name,
        "parentaccountid"
    );
    // owner lookups target `principal`; systemuser and team derive from it
    assert_eq!(
        m.resolve_via(opp, "ownerid", "systemuser").unwrap().name,
        "ownerid"
    );
    assert_eq!(
        m.resolve_via(opp, "ownerid", "team").unwrap().name,
        "ownerid"
    );
    let contact = m.entity("contact").unwrap();
    assert_eq!(
        m.resolve_via(contact, "parentcustomerid", "account")
            .unwrap()
            .name,
        "parentcustomerid_account"
    );
    let line = m.entity("opportunityproduct").unwrap();
    assert_eq!(
        m.resolve_via(line, "productid", "product").unwrap().name,
        "productid"
    );
    assert_eq!(
        m.resolve_via(line, "opportunityid", "opportunity")
            .unwrap()
            .name,
        "opportunityid"
    );

    // 1:N navigation
    let err = m
        .resolve_via(opp, "product_opportunities", "opportunityproduct")
        .unwrap_err();
    assert!(
        matches!(&err, ViaError::CollectionValued { navigation, target, .. }
            if navigation == "product_opportunities" && target == "opportunityproduct"),
        "{err:?}"
    );
    assert!(err.to_string().contains("collection-valued"), "{err}");

    // wrong related entity
    let err = m
        .resolve_via(opp, "parentaccountid", "contact")
        .unwrap_err();
    assert_eq!(
        err,
        ViaError::WrongTarget {
            entity: "opportunity".into(),
            via: "parentaccountid".into(),
            expected: "contact".into(),
            found: vec![("parentaccountid".into(), "account".into())],
        }
    );
    assert!(err.to_string().contains("points at `account`"), "{err}");
    let err = m.resolve_via(opp, "customerid", "lead").unwrap_err();
    match &err {
        ViaError::WrongTarget { found, .. } => {
            let targets: Vec<&str> = found.iter().map(|(_, t)| t.as_str()).collect();
            assert_eq!(targets, vec!["account", "contact"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("`account` or `contact`"), "{err}");

    // unknown names
    let err = m.resolve_via(opp, "custmerid", "account").unwrap_err();
    assert!(matches!(err, ViaError::NotFound { .. }), "{err:?}");
    assert_eq!(
        err.suggestions().first().map(String::as_str),
        Some("customerid")
    );
    assert!(
        err.to_string().contains("did you mean `customerid`"),
        "{err}"
    );
    let err = m
        .resolve_via(opp, "nothing_like_it", "account")
        .unwrap_err();
    assert!(matches!(err, ViaError::NotFound { .. }));
    // a plain column is not a lookup
    assert!(matches!(
        m.resolve_via(opp, "name", "account").unwrap_err(),
        ViaError::NotFound { .. }
    ));
    // case-sensitive, with the right spelling suggested
    let err = m
        .resolve_via(opp, "ParentAccountId", "account")
        .unwrap_err();
    assert_eq!(
        err.suggestions().first().map(String::as_str),
        Some("parentaccountid")
    );
}

// ---------------------------------------------------------------- Business Central

#[test]
fn business_central_model() {
    let m = business_central();
    assert_eq!(m.schemas()[0].namespace, "Microsoft.NAV");
    for (entity, set) in [
        ("company", "companies"),
        ("customer", "customers"),
        ("contact", "contacts"),
        ("contactInformation", "contactsInformation"),
        ("item", "items"),
        ("salesOrder", "salesOrders"),
        ("salesOrderLine", "salesOrderLines"),
        ("salesInvoice", "salesInvoices"),
        ("currency", "currencies"),
        ("unitOfMeasure", "unitsOfMeasure"),
    ] {
        assert_eq!(m.entity_by_set(set).unwrap().name(), entity);
        assert_eq!(m.entity_set_of(entity), Some(set));
    }
    // contained-only types have no entity set
    assert_eq!(m.entity_set_of("picture"), None);
    assert!(m.entity("picture").is_ok());

    let customer = m.entity("customer").unwrap();
    assert_eq!(customer.key(), vec!["id"]);
    assert!(!customer.property("id").unwrap().nullable);
    assert_eq!(
        customer.property("displayName").unwrap().max_length,
        Some(100)
    );
    assert_eq!(customer.property("number").unwrap().max_length, Some(20));
    for f in [
        "email",
        "phoneNumber",
        "currencyCode",
        "lastModifiedDateTime",
        "balanceDue",
    ] {
        assert!(customer.property(f).is_some(), "customer.{f}");
    }
    assert_eq!(
        customer.property("lastModifiedDateTime").unwrap().ty,
        EdmType::DateTimeOffset
    );
    assert_eq!(
        customer.property("creditLimit").unwrap().ty,
        EdmType::Decimal
    );
    // not part of the standard v2.0 API
    assert!(customer.property("customerPriceGroup").is_none());
    let blocked = customer.property("blocked").unwrap();
    assert_eq!(
        blocked.ty,
        EdmType::Enum("Microsoft.NAV.customerBlocked".into())
    );
    let en = m.enum_type("customerBlocked").unwrap();
    assert_eq!(en.members[0].decoded_name(), " ");
    assert_eq!(
        en.members
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>(),
        vec!["_x0020_", "Ship", "Invoice", "All"]
    );
    assert!(m.enum_type("Microsoft.NAV.itemType").is_some());

    let item = m.entity("item").unwrap();
    for f in [
        "number",
        "displayName",
        "unitPrice",
        "unitCost",
        "gtin",
        "baseUnitOfMeasureCode",
    ] {
        assert!(item.property(f).is_some(), "item.{f}");
    }
    assert_eq!(item.property("blocked").unwrap().ty, EdmType::Boolean);
    assert_eq!(
        m.entity("picture")
            .unwrap()
            .property("pictureContent")
            .unwrap()
            .ty,
        EdmType::Other("Edm.Stream".into())
    );
    assert_eq!(
        m.entity("contactInformation").unwrap().key(),
        vec!["contactId", "relatedId"]
    );

    let company = m.entity("company").unwrap();
    let customers = company.navigation("customers").unwrap();
    assert!(customers.collection && customers.contains_target);
    assert_eq!(customers.target, "customer");

    let order = m.entity("salesOrder").unwrap();
    assert_eq!(
        m.resolve_via(order, "customer", "customer").unwrap().name,
        "customer"
    );
    assert_eq!(
        m.resolve_via(order, "customerId", "customer").unwrap().name,
        "customer"
    );
    assert_eq!(
        m.resolve_via(order, "currencyId", "currency").unwrap().name,
        "currency"
    );
    assert!(matches!(
        m.resolve_via(order, "salesOrderLines", "salesOrderLine")
            .unwrap_err(),
        ViaError::CollectionValued { .. }
    ));
    assert!(matches!(
        m.resolve_via(customer, "contactsInformation", "contactInformation")
            .unwrap_err(),
        ViaError::CollectionValued { .. }
    ));
    let line = m.entity("salesOrderLine").unwrap();
    assert_eq!(m.resolve_via(line, "item", "item").unwrap().name, "item");
    assert_eq!(
        m.resolve_via(line, "itm", "item")
            .unwrap_err()
            .suggestions()
            .first()
            .map(String::as_str),
        Some("item")
    );
}

#[test]
fn business_central_custom_pricing_api() {
    let m = parse_csdl(&fixture("business_central_pricing.xml")).unwrap_or_else(|e| panic!("{e}"));
    let price = m.entity_by_set("salesPrices").unwrap();
    assert_eq!(price.name(), "salesPrice");
    for f in [
        "salesType",
        "salesCode",
        "itemNo",
        "description",
        "unitOfMeasureCode",
        "minimumQuantity",
        "unitPrice",
        "startingDate",
        "endingDate",
    ] {
        assert!(price.property(f).is_some(), "salesPrice.{f}");
    }
    assert_eq!(price.property("startingDate").unwrap().ty, EdmType::Date);
    assert_eq!(
        m.enum_type("salesPriceType").unwrap().members[1].decoded_name(),
        "Customer Price Group"
    );
    assert_eq!(
        m.entity_by_set("customerPriceGroups").unwrap().name(),
        "customerPriceGroup"
    );
}

#[test]
fn model_serializes() {
    let m = dataverse();
    let v = serde_json::to_value(m.entity("account").unwrap()).unwrap();
    assert_eq!(v["name"], "account");
    assert_eq!(v["key"][0], "accountid");
    let v = serde_json::to_value(&m).unwrap();
    assert!(v["entities"].as_array().is_some_and(|a| a.len() > 10));
}

// ---------------------------------------------------------------- errors

#[test]
fn malformed_xml_reports_line_and_column() {
    let xml =
        "<edmx:Edmx Version=\"4.0\" xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">\n\
               \x20 <edmx:DataServices>\n\
               \x20   <Schema Namespace=\"N\" xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">\n\
               \x20 </edmx:DataServices>\n\
               </edmx:Edmx>\n";
    let e = parse_csdl(xml).unwrap_err();
    assert_eq!(e.kind, MetadataErrorKind::Xml);
    assert_eq!(e.line(), Some(4));
    assert!(e.column().is_some_and(|c| c > 1));
    assert!(e.message.contains("malformed XML"), "{e}");
    assert!(e.to_string().starts_with("$metadata 4:"), "{e}");

    // a truncated download of the real fixture
    let full = fixture("dataverse.xml");
    let cut = &full[..full.len() / 2];
    let e = parse_csdl(cut).unwrap_err();
    assert_eq!(e.kind, MetadataErrorKind::Xml);
    assert!(e.line().is_some_and(|l| l > 100), "{e}");
}

#[test]
fn xml_that_is_not_csdl() {
    let e = parse_csdl(
        "<?xml version=\"1.0\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title/></feed>",
    )
    .unwrap_err();
    assert_eq!(e.kind, MetadataErrorKind::NotCsdl);
    assert_eq!(e.line(), Some(2));
    assert!(
        e.message.contains("`<feed>`") && e.message.contains("edmx:Edmx"),
        "{e}"
    );

    let e = parse_csdl("\n<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>")
        .unwrap_err();
    assert_eq!(e.kind, MetadataErrorKind::NotCsdl);
    assert!(e.message.contains("HTML page"), "{e}");
    assert_eq!(e.line(), Some(2));

    let e = parse_csdl("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">]>\n<x>&a;</x>")
        .unwrap_err();
    assert_eq!(e.kind, MetadataErrorKind::Xml);
    assert!(e.message.contains("DTD"), "{e}");
    assert_eq!(e.line(), Some(2));
}

#[test]
fn load_cache_absent_present_bad() {
    let dir = scratch("cache");
    assert!(load_cache(&dir, "crm").unwrap().is_none());
    assert!(load_cache(&dir.join("no-such-dir"), "crm")
        .unwrap()
        .is_none());

    let path = write_cache(&dir, "crm", &fixture("dataverse.xml")).unwrap();
    assert_eq!(path, dir.join("crm.xml"));
    let m = load_cache(&dir, "crm").unwrap().unwrap();
    assert!(m.entity("opportunity").is_ok());
    // the fixture directory itself is a usable cache for connections named after the files
    assert!(load_cache(&fixture_dir(), "business_central")
        .unwrap()
        .is_some());

    std::fs::write(dir.join("bad.xml"), "<edmx:Edmx>\n  <unclosed>\n").unwrap();
    let e = load_cache(&dir, "bad").unwrap_err();
    assert_eq!(e.path.as_deref(), Some(dir.join("bad.xml").as_path()));
    assert!(e.line().is_some());
    assert!(e.to_string().contains("bad.xml:"), "{e}");

    std::fs::write(dir.join("html.xml"), "<html><body>login</body></html>").unwrap();
    let e = load_cache(&dir, "html").unwrap_err();
    assert_eq!(e.kind, MetadataErrorKind::NotCsdl);
    assert!(e.path.is_some());

    std::fs::write(dir.join("latin1.xml"), b"<a>\n\xe9</a>").unwrap();
    let e = load_cache(&dir, "latin1").unwrap_err();
    assert!(e.message.contains("UTF-8"), "{e}");
    assert_eq!(e.line(), Some(2));

    // a directory where the file should be: unreadable
    std::fs::create_dir_all(dir.join("dir.xml")).unwrap();
    let e = load_cache(&dir, "dir").unwrap_err();
    assert_eq!(e.kind, MetadataErrorKind::Io);
    assert!(e.path.is_some());

    let _ = std::fs::remove_dir_all(&dir);
}
