//! The key id of each spill entry, in write order, kept in a scratch file
//! (16 bytes an entry on disk, a few KiB in memory), so a table of a
//! million records holds no per-record list. A commit reads it back in
//! order, a chunk at a time.

use mapc_keyindex::{read_at, ScratchLog};
use std::fs::File;
use std::io;

/// Ids held in memory before they go to the file, and read at a time.
const TAIL: usize = 4096;

pub(super) struct Entries {
    log: ScratchLog,
}

impl Default for Entries {
    fn default() -> Entries {
        Entries {
            log: ScratchLog::new(TAIL * 16),
        }
    }
}

impl Entries {
    pub(super) fn len(&self) -> usize {
        (self.log.len() / 16) as usize
    }

    pub(super) fn push(&mut self, id: u128) -> io::Result<()> {
        self.log.append(&id.to_le_bytes()).map(|_| ())
    }

    /// The ids in order, from the first; independent of `self` once made.
    pub(super) fn reader(&mut self) -> io::Result<Reader> {
        Ok(Reader {
            len: self.len(),
            file: self.log.snapshot()?,
            next: 0,
            buf: Vec::new(),
            at: 0,
        })
    }

    pub(super) fn clear(&mut self) {
        self.log.clear();
    }
}

pub(super) struct Reader {
    file: Option<File>,
    len: usize,
    /// Ids read from the file so far.
    next: usize,
    buf: Vec<u8>,
    at: usize,
}

impl Reader {
    /// The next entry's number and id.
    pub(super) fn next(&mut self) -> io::Result<Option<(usize, u128)>> {
        if self.at >= self.buf.len() {
            let n = TAIL.min(self.len - self.next);
            let Some(f) = &self.file else {
                return Ok(None);
            };
            if n == 0 {
                return Ok(None);
            }
            self.buf.resize(n * 16, 0);
            read_at(f, &mut self.buf, (self.next * 16) as u64)?;
            self.next += n;
            self.at = 0;
        }
        let mut b = [0u8; 16];
        b.copy_from_slice(&self.buf[self.at..self.at + 16]);
        let i = self.next - (self.buf.len() - self.at) / 16;
        self.at += 16;
        Ok(Some((i, u128::from_le_bytes(b))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_back_in_order_across_chunks() {
        let mut e = Entries::default();
        for i in 0..(TAIL as u128 * 2 + 7) {
            e.push(i * 3).unwrap();
        }
        let mut r = e.reader().unwrap();
        let mut n = 0;
        while let Some((i, id)) = r.next().unwrap() {
            assert_eq!((i as u128, id), (n, n * 3));
            n += 1;
        }
        assert_eq!(n, TAIL as u128 * 2 + 7);
        // More after a reader was made: a new reader sees them all.
        e.push(1).unwrap();
        assert_eq!(e.len(), TAIL * 2 + 8);
        let mut r = e.reader().unwrap();
        let mut last = None;
        while let Some(x) = r.next().unwrap() {
            last = Some(x);
        }
        assert_eq!(last, Some((TAIL * 2 + 7, 1)));
    }
}
