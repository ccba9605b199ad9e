//! Fields: evaluating a mapping's fields into output leaves (`default`,
//! `on_null`) and writing the leaves as the output object.

use super::{from_eval, reject, Out};
use crate::eval::{Ctx, EvalError};
use crate::plan::{CField, CSource, TEntry, TNode};
use mapc_diag::Code;
use mapc_ir::OnNull;
use mapc_value::json::parse::RecordError;
use mapc_value::json::write::write_value;
use mapc_value::Value;

pub(super) fn eval_source<'a>(src: &'a CSource, cx: Ctx<'_, 'a>) -> Result<Value<'a>, EvalError> {
    match src {
        CSource::Slot(s) => Ok(cx.slots.get(*s as usize).cloned().unwrap_or(Value::Absent)),
        CSource::Expr(e) => e.eval(cx),
        CSource::Const(v) => Ok(v.reborrow()),
    }
}

/// Fields into leaves: `default` when null/absent, then `on_null`.
/// `line`: (products `to`, output position, products `path`, input position).
pub(super) fn map_fields<'a>(
    fields: &'a [CField],
    cx: Ctx<'_, 'a>,
    leaves: &mut [Out<'a>],
    line: Option<(&str, usize, &str, usize)>,
) -> Result<(), RecordError> {
    // Where: the target field; for a product line also the line, numbered
    // from 1 in input order for people (`product line 3 of `products``)
    // and as the output path for programs (`line_items[1].sku`).
    let at = |e: RecordError, f: &CField| match line {
        Some((to, j, path, i)) => e
            .with_field(format!("{to}[{j}].{}", f.to))
            .with_place(format!(
                "product line {} of `{path}`, field `{}`",
                i + 1,
                f.to
            )),
        None => e.with_field(f.to.to_string()),
    };
    for f in fields {
        let mut v = eval_source(&f.src, cx).map_err(|e| at(from_eval(e), f))?;
        if v.is_null() {
            if let Some(d) = &f.default {
                v = d.reborrow();
            }
        }
        leaves[f.leaf as usize] = if v.is_null() {
            match f.on_null {
                OnNull::Write => Out::Val(Value::Null),
                OnNull::Skip => Out::Omit,
                OnNull::Error => {
                    return Err(at(
                        reject(
                            Code::R0009,
                            "the value is null and the field has `on_null: error`",
                        ),
                        f,
                    ));
                }
            }
        } else {
            Out::Val(v)
        };
    }
    Ok(())
}

/// Writes the entries of an object (without braces). Objects whose leaves
/// are all omitted are left out entirely. Returns whether anything was written.
pub(super) fn write_entries(
    entries: &[TEntry],
    leaves: &[Out],
    products: Option<(&crate::plan::CProducts, &[Out], usize)>,
    marker: &mut Option<usize>,
    record_start: usize,
    out: &mut Vec<u8>,
) -> bool {
    let mut first = true;
    for e in entries {
        let before = out.len();
        if !first {
            out.push(b',');
        }
        match &e.node {
            TNode::Leaf(l) => match &leaves[*l as usize] {
                Out::Omit => {
                    out.truncate(before);
                    continue;
                }
                Out::Val(v) => {
                    out.extend_from_slice(&e.key_json);
                    write_value(v, out);
                }
                Out::Products => {
                    out.extend_from_slice(&e.key_json);
                    out.push(b'[');
                    if let Some((p, lines, n)) = products {
                        for j in 0..n {
                            if j > 0 {
                                out.push(b',');
                            }
                            out.push(b'{');
                            let ls = &lines[j * p.nleaves..(j + 1) * p.nleaves];
                            write_entries(&p.tree, ls, None, marker, record_start, out);
                            out.push(b'}');
                        }
                    }
                    out.push(b']');
                }
                Out::Relationships => {
                    out.extend_from_slice(&e.key_json);
                    *marker = Some(out.len() - record_start);
                }
            },
            TNode::Obj(children) => {
                out.extend_from_slice(&e.key_json);
                out.push(b'{');
                if !write_entries(children, leaves, products, marker, record_start, out) {
                    out.truncate(before);
                    continue;
                }
                out.push(b'}');
            }
        }
        first = false;
    }
    !first
}
