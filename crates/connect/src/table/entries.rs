//! The key id of each spill entry, in write order, kept in a scratch file
//! (16 bytes an entry on disk, a few KiB in memory), so a table of a
//! million records holds no per-record list. A commit reads it back in
//! order, a chunk at a time.

use mapc_keyindex::{RecordReader, ScratchLog};
use std::io;

/// Ids held in memory before they go to the file.
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
        let count = self.len();
        Ok(Reader(RecordReader::new(self.log.snapshot()?, 16, count)))
    }

    pub(super) fn clear(&mut self) {
        self.log.clear();
    }
}

pub(super) struct Reader(RecordReader);

impl Reader {
    /// The next entry's number and id.
    pub(super) fn next(&mut self) -> io::Result<Option<(usize, u128)>> {
        Ok(self.0.next_record()?.map(|(i, b)| {
            let mut id = [0u8; 16];
            id.copy_from_slice(b);
            (i, u128::from_le_bytes(id))
        }))
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
