//! NDJSON: one record per line, read in large blocks; the block itself is
//! the batch (no per-line copy), a partial last line carries over.
//!
//! Blank lines are not records. A trailing `\r` (CRLF files) is dropped. A
//! line over [`MAX_RECORD_BYTES`] is one R0014 item and is skipped without
//! being held in memory.

use super::{read_more, too_large, Batch, Item, Source, BATCH_BYTES, MAX_RECORD_BYTES};
use std::io::Read;

pub struct NdjsonSource<R> {
    name: String,
    r: R,
    carry: Vec<u8>,
    /// 1-based number of the line scanned next.
    line: usize,
    index: usize,
    eof: bool,
    /// Inside an over-long line that is being thrown away.
    discarding: bool,
    /// A UTF-8 byte order mark at the very start was looked for.
    bom_checked: bool,
}

impl<R: Read> NdjsonSource<R> {
    pub fn new(name: String, r: R) -> Self {
        NdjsonSource {
            name,
            r,
            carry: Vec::new(),
            line: 1,
            index: 0,
            eof: false,
            discarding: false,
            bom_checked: false,
        }
    }

    fn emit(&mut self, data: &[u8], start: usize, end: usize, items: &mut Vec<Item>) {
        let line = self.line;
        if self.discarding {
            self.discarding = false;
            return;
        }
        let mut e = end;
        if e > start && data[e - 1] == b'\r' {
            e -= 1;
        }
        if data[start..e]
            .iter()
            .all(|c| matches!(c, b' ' | b'\t' | b'\r'))
        {
            return;
        }
        let body = if e - start > MAX_RECORD_BYTES {
            Err(too_large(e - start))
        } else {
            Ok(start..e)
        };
        items.push(Item::new(self.index, line, body));
        self.index += 1;
    }
}

impl<R: Read + Send> Source for NdjsonSource<R> {
    fn name(&self) -> &str {
        &self.name
    }

    fn next_batch(&mut self, batch: &mut Batch) -> std::io::Result<bool> {
        batch.items.clear();
        batch.data.clear();
        std::mem::swap(&mut batch.data, &mut self.carry);
        let mut data = std::mem::take(&mut batch.data);
        // One allocation of a fixed size per buffer (a block and the carried
        // partial line fit), made once: buffers are recycled between the
        // reader and the mapping threads, and do not creep up in size.
        if data.capacity() < 2 * BATCH_BYTES {
            data.reserve_exact(2 * BATCH_BYTES - data.len());
        }
        let mut scan = 0usize;
        let mut items = std::mem::take(&mut batch.items);
        loop {
            if !self.bom_checked && (data.len() >= 3 || self.eof) {
                // Editors on Windows like to start files with a BOM; it is not part of a record.
                self.bom_checked = true;
                if data.starts_with(b"\xEF\xBB\xBF") {
                    scan = 3;
                }
            }
            while let Some(k) = memchr::memchr(b'\n', &data[scan..]) {
                let end = scan + k;
                self.emit(&data, scan, end, &mut items);
                self.line += 1;
                scan = end + 1;
            }
            if self.eof {
                if scan < data.len() {
                    let end = data.len();
                    self.emit(&data, scan, end, &mut items);
                    scan = end;
                }
                break;
            }
            if !items.is_empty() && data.len() >= BATCH_BYTES {
                break;
            }
            if self.discarding {
                data.truncate(scan);
            } else if data.len() - scan > MAX_RECORD_BYTES {
                items.push(Item::new(
                    self.index,
                    self.line,
                    Err(too_large(data.len() - scan)),
                ));
                self.index += 1;
                self.discarding = true;
                data.truncate(scan);
            }
            let want = BATCH_BYTES.max(data.len() - scan);
            if read_more(&mut self.r, &mut data, want)? == 0 {
                self.eof = true;
            }
        }
        self.carry.clear();
        super::trim(&mut self.carry, super::KEEP_BYTES);
        self.carry.extend_from_slice(&data[scan..]);
        data.truncate(scan);
        batch.data = data;
        batch.items = items;
        Ok(!batch.items.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &[u8]) -> Vec<crate::source::ReadItem> {
        crate::source::read_items(&mut NdjsonSource::new("t".into(), input)).unwrap()
    }

    #[test]
    fn lines_blank_lines_and_crlf() {
        let got = read_all(b"{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}");
        assert_eq!(
            got,
            vec![
                (0, 1, Ok("{\"a\":1}".into())),
                (1, 4, Ok("{\"b\":2}".into())),
                (2, 5, Ok("{\"c\":3}".into())),
            ]
        );
    }

    #[test]
    fn a_leading_bom_is_not_part_of_the_first_record() {
        let got = read_all(b"\xEF\xBB\xBF{\"a\":1}\n");
        assert_eq!(got, vec![(0, 1, Ok("{\"a\":1}".into()))]);
    }

    #[test]
    fn many_batches_keep_order() {
        let mut input = Vec::new();
        for i in 0..50_000 {
            input.extend_from_slice(
                format!("{{\"i\":{i},\"pad\":\"{}\"}}\n", "x".repeat(i % 90)).as_bytes(),
            );
        }
        let got = read_all(&input);
        assert_eq!(got.len(), 50_000);
        for (k, (i, line, body)) in got.iter().enumerate() {
            assert_eq!((*i, *line), (k, k + 1));
            assert!(body.as_ref().unwrap().starts_with(&format!("{{\"i\":{k},")));
        }
    }
}
