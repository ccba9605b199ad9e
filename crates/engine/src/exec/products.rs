//! Product lines: the list's lines (minus excluded SKUs), sorted by
//! `order_by`, each mapped through the line fields.

use super::{check_list, map_fields, reject, Out, Scratch};
use crate::eval::Ctx;
use crate::plan::Compiled;
use mapc_value::json::parse::{Frame, RecordError};
use mapc_value::{id_text, sort_cmp, Value};
use std::cmp::Ordering;

impl Compiled {
    pub(super) fn map_products<'a>(
        &'a self,
        p: &'a crate::plan::CProducts,
        frame: &Frame<'a>,
        scratch: &mut Scratch,
        lines: &mut Vec<Out<'a>>,
    ) -> Result<(), RecordError> {
        let ld = &frame.lists[p.list as usize];
        check_list(ld, &p.path, "product lines")?;
        let order = &mut scratch.order;
        order.clear();
        for i in 0..ld.len() {
            if let Some(s) = p.sku {
                if let Some(sku) = id_text(&ld.item(i)[s as usize]) {
                    if p.exclude.iter().any(|x| **x == *sku) {
                        continue;
                    }
                }
            }
            order.push(i);
        }
        if let Some((slot, desc)) = p.order {
            let s = slot as usize;
            // Two texts that read as numbers and order differently as text
            // and as numbers (R0020): sorting them either way is a guess.
            let mut ambiguous = None;
            // Stable: ties keep input order; nulls last in both directions.
            order.sort_by(|&a, &b| {
                let (x, y) = (&ld.item(a)[s], &ld.item(b)[s]);
                if let (Value::Str(t), Value::Str(u), None) = (x, y, &ambiguous) {
                    if let Some((m, n)) = crate::eval::numbers_both(t, u) {
                        let (to, no) = (t.as_ref().cmp(u.as_ref()), m.cmp(&n));
                        if to != no {
                            ambiguous = Some(crate::eval::numeric_text_order(t, u, to, no));
                        }
                    }
                }
                match (x.is_null(), y.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    _ if desc => sort_cmp(y, x),
                    _ => sort_cmp(x, y),
                }
            });
            if let Some(e) = ambiguous {
                return Err(reject(e.code, format!("cannot sort the product lines: {}", e.message))
                    .with_field(&p.path)
                    .with_help("send the `order_by` field as numbers (or declare its type), or as text that orders the same way"));
            }
        }
        lines.clear();
        lines.resize_with(order.len() * p.nleaves, || Out::Omit);
        for (j, &i) in order.iter().enumerate() {
            let cx = Ctx {
                slots: ld.item(i),
                as_of: self.options.as_of,
            };
            let dst = &mut lines[j * p.nleaves..(j + 1) * p.nleaves];
            map_fields(&p.fields, cx, dst, Some((&p.to, j, &p.path, i)))?;
        }
        Ok(())
    }
}
