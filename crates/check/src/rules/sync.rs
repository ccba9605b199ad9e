//! M06xx: sync directions and locked product fields.

use super::{sync_name, writes_back};
use mapc_diag::{Code, Diagnostic, Diagnostics};
use mapc_syntax::spec::{Amount, Conflict, Field, Mapping, Products, Spec, SyncDirection};

/// The out-of-the-box Dynamics line entities whose pricing fields are
/// locked, and their system mapping (source field -> target), as lowering
/// uses them.
pub use mapc_ir::lower::{BUILTIN_LOCKED_FIELDS, LOCKED_LINE_ENTITIES};

/// What is locked on one products block's line entity.
#[derive(Debug, Default)]
pub struct LockInfo {
    /// One of the out-of-the-box line entities.
    pub builtin: bool,
    /// Named in top-level `locks:` with `two_way: false`.
    pub two_way_banned: bool,
    /// Locked source field -> fixed target field.
    pub fields: Vec<(String, String)>,
}

impl LockInfo {
    /// Pricing fields are locked (built-in entity, or one in `locks:` with fields).
    pub fn locked(&self) -> bool {
        !self.fields.is_empty()
    }

    pub fn for_entity(spec: &Spec, entity: &str) -> LockInfo {
        let mut info = LockInfo::default();
        if LOCKED_LINE_ENTITIES.contains(&entity) {
            info.builtin = true;
            info.two_way_banned = true;
            info.fields.extend(
                BUILTIN_LOCKED_FIELDS
                    .iter()
                    .map(|(s, t)| (s.to_string(), t.to_string())),
            );
        }
        for lock in spec.locks.iter().filter(|l| l.entity.value == entity) {
            if lock.two_way.as_ref().is_some_and(|t| !t.value) {
                info.two_way_banned = true;
            }
            for (src, tgt) in &lock.fields {
                if !info.fields.iter().any(|(s, _)| *s == src.value) {
                    info.fields.push((src.value.clone(), tgt.value.clone()));
                }
            }
        }
        info
    }

    fn target_of(&self, source: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(s, _)| s == source)
            .map(|(_, t)| t.as_str())
    }

    fn source_of(&self, target: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(_, t)| t == target)
            .map(|(s, _)| s.as_str())
    }
}

pub fn run(spec: &Spec, diags: &mut Diagnostics) {
    for m in &spec.mappings {
        mapping(spec, m, diags);
    }
}

fn mapping(spec: &Spec, m: &Mapping, diags: &mut Diagnostics) {
    for f in &m.fields {
        writeback_needs_from(f, diags);
        conflict_needs_two_way(f, diags);
    }
    if let Some(p) = &m.products {
        products(spec, p, diags);
    }
}

/// The target path of a field, for messages.
fn to_name(f: &Field) -> String {
    f.to.as_ref()
        .map(|t| format!("`{}`", t.dotted()))
        .unwrap_or_else(|| "this field".into())
}

/// M0601: `two_way` / `target_to_source` need a direct `from:`.
fn writeback_needs_from(f: &Field, diags: &mut Diagnostics) {
    let Some(sync) = &f.sync else { return };
    if !writes_back(sync.value) || f.from.is_some() {
        return;
    }
    let what = if f.expr.is_some() {
        "an expression, which cannot be written back"
    } else if f.value.is_some() {
        "a constant `value:`, which has no source field to write back to"
    } else {
        // Neither from, expr nor value: M0406 (lowering) says what to do.
        return;
    };
    diags.push(
        Diagnostic::new(
            Code::M0601,
            sync.span,
            format!("{} is `{}` but is mapped from {what}", to_name(f), sync_name(sync.value)),
        )
        .label(format!("`{}` needs a direct `from:`", sync_name(sync.value)))
        .help("map the field with `from: <source field>`, or use `sync: source_to_target` to keep it one-way"),
    );
}

fn conflict_name(c: Conflict) -> &'static str {
    match c {
        Conflict::SourceWins => "source_wins",
        Conflict::TargetWins => "target_wins",
        Conflict::Newest => "newest",
        Conflict::Fail => "fail",
    }
}

/// M0602: `conflict:` only means something for `two_way`.
fn conflict_needs_two_way(f: &Field, diags: &mut Diagnostics) {
    let Some(conflict) = &f.conflict else { return };
    let sync = f
        .sync
        .as_ref()
        .map(|s| s.value)
        .unwrap_or(SyncDirection::SourceToTarget);
    if sync == SyncDirection::TwoWay {
        return;
    }
    let how = if f.sync.is_some() {
        ""
    } else {
        " (the default)"
    };
    let mut d = Diagnostic::new(
        Code::M0602,
        conflict.span,
        format!(
            "`conflict: {}` has no effect: {} is `{}`{how}, not `two_way`",
            conflict_name(conflict.value),
            to_name(f),
            sync_name(sync)
        ),
    )
    .label("only `two_way` fields can conflict")
    .help("set `sync: two_way` if the field is edited on both sides; otherwise remove `conflict:`");
    if let Some(s) = &f.sync {
        d = d.related(s.span, "the field's sync direction");
    }
    diags.push(d);
}

fn products(spec: &Spec, p: &Products, diags: &mut Diagnostics) {
    let entity = p.source.value.as_str();
    let lock = LockInfo::for_entity(spec, entity);
    let locked_note = if lock.builtin {
        format!(" (`{entity}` is a locked line entity)")
    } else if lock.two_way_banned {
        format!(" (`{entity}` is locked with `two_way: false` in `locks:`)")
    } else {
        String::new()
    };

    // M0604: the products block as a whole.
    if let Some(sync) = &p.sync {
        if !matches!(
            sync.value,
            SyncDirection::Once | SyncDirection::SourceToTarget
        ) {
            diags.push(
                Diagnostic::new(
                    Code::M0604,
                    sync.span,
                    format!("`products.sync: {}` is not allowed: product data never flows from the target to the source{locked_note}", sync_name(sync.value)),
                )
                .label("only `once` or `source_to_target`")
                .help("use `sync: source_to_target` (the default) or `sync: once`"),
            );
        }
    }

    for f in &p.fields {
        // M0604: a line field flowing back.
        if let Some(sync) = &f.sync {
            if writes_back(sync.value) {
                let msg = if sync.value == SyncDirection::TwoWay && lock.two_way_banned {
                    format!(
                        "product field {} cannot be `two_way`: `{entity}` is a locked line entity",
                        to_name(f)
                    )
                } else {
                    format!(
                        "product field {} cannot be `{}`: product data never flows from the target to the source",
                        to_name(f),
                        sync_name(sync.value)
                    )
                };
                diags.push(
                    Diagnostic::new(Code::M0604, sync.span, msg)
                        .label("product fields are one-way")
                        .help("remove `sync:` (product fields follow `products.sync`, `source_to_target` by default) or use `sync: once`"),
                );
            }
        }
        conflict_needs_two_way(f, diags);
        if lock.locked() {
            locked_field(entity, &lock, f, diags);
        }
    }

    for (name, amount) in [
        ("discount", &p.discount),
        ("tax", &p.tax),
        ("freight", &p.freight),
    ] {
        if let Some(a) = amount {
            amount_direction(name, a, diags);
        }
    }
}

/// M0603: the locked pricing fields keep their system mapping.
fn locked_field(entity: &str, lock: &LockInfo, f: &Field, diags: &mut Diagnostics) {
    let to = f.to.as_ref().map(|t| t.dotted());
    if let Some(from) = &f.from {
        if from.segments.len() == 1 {
            let src = from.dotted();
            if let Some(fixed) = lock.target_of(src) {
                if to.is_some_and(|t| t != fixed) {
                    let to = to.unwrap_or_default();
                    diags.push(
                        Diagnostic::new(
                            Code::M0603,
                            from.text.span,
                            format!("`{src}` is a locked pricing field of `{entity}` and cannot be mapped to `{to}`"),
                        )
                        .label(format!("locked: always mapped to `{fixed}`"))
                        .help(format!("remove this entry: the system maps `{src}` -> `{fixed}` on every line")),
                    );
                }
                return;
            }
        }
    }
    let (Some(to), Some(to_path)) = (to, &f.to) else {
        return;
    };
    if let Some(src) = lock.source_of(to) {
        let what = match (&f.from, &f.expr) {
            (Some(from), _) => format!("`{}`", from.dotted()),
            (None, Some(_)) => "an expression".to_string(),
            (None, None) => "a constant".to_string(),
        };
        diags.push(
            Diagnostic::new(
                Code::M0603,
                to_path.text.span,
                format!(
                    "`{to}` on the lines of `{entity}` is locked and cannot be written from {what}"
                ),
            )
            .label(format!("locked: written by the system from `{src}`"))
            .help(format!(
                "map this value to another target field; the system maps `{src}` -> `{to}`"
            )),
        );
    }
}

/// M0605: discount, tax and freight accept only `once` or `source_to_target`.
fn amount_direction(name: &str, a: &Amount, diags: &mut Diagnostics) {
    let Some(sync) = &a.sync else { return };
    if matches!(
        sync.value,
        SyncDirection::Once | SyncDirection::SourceToTarget
    ) {
        return;
    }
    diags.push(
        Diagnostic::new(
            Code::M0605,
            sync.span,
            format!("`{name}` cannot be `{}`: document amounts flow only from the source to the target", sync_name(sync.value)),
        )
        .label("only `once` or `source_to_target`")
        .help("use `sync: once` (written when the target record is created) or `sync: source_to_target` (the default)"),
    );
}
