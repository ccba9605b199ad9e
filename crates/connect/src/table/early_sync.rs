//! Getting the spill's bytes to disk while the run goes on.
//!
//! A first run's commit is the spill itself, fsynced and renamed over the
//! target. Left to the commit, that fsync waits for every byte the run
//! wrote (a tenth of a first run's time at 100k records), all of it after
//! the last record. A thread that fsyncs the spill each time a few more
//! MiB were written keeps the disk busy while the run maps, and the
//! commit's fsync waits only for the tail. The commit does not rely on it:
//! it still fsyncs the whole file itself.

use std::fs::File;
use std::io;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

/// Bytes written between two early fsyncs.
const EVERY: u64 = 4 << 20;

pub struct EarlySync {
    kick: Option<SyncSender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
    since: u64,
}

impl EarlySync {
    /// A syncing thread for `file`; `None` when no thread can be had (the
    /// commit's own fsync then does all the work, as before).
    pub fn start(file: &File) -> Option<EarlySync> {
        let f = file.try_clone().ok()?;
        // One kick waits at most: a kick while an fsync runs is not lost,
        // and the writer never blocks on the disk.
        let (kick, kicked) = sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("mapc-spill-sync".into())
            .spawn(move || {
                for () in kicked.iter() {
                    f.sync_data()?;
                }
                Ok(())
            })
            .ok()?;
        Some(EarlySync {
            kick: Some(kick),
            thread: Some(thread),
            since: 0,
        })
    }

    /// `n` more bytes were written to the file.
    pub fn wrote(&mut self, n: usize) {
        self.since += n as u64;
        if self.since >= EVERY {
            if let Some(k) = &self.kick {
                if k.try_send(()).is_ok() {
                    self.since = 0;
                }
            }
        }
    }

    /// Stops the thread, after the fsync it may be running; that fsync's
    /// error, if it failed.
    pub fn stop(&mut self) -> io::Result<()> {
        self.kick = None;
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the spill's sync thread stopped"))),
            None => Ok(()),
        }
    }
}

impl Drop for EarlySync {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn kicks_do_not_block_the_writer_and_stop_reports_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = File::create(dir.path().join("s")).unwrap();
        let mut e = EarlySync::start(&f).expect("a thread");
        let block = vec![b'x'; 1 << 20];
        for _ in 0..20 {
            f.write_all(&block).unwrap();
            e.wrote(block.len());
        }
        assert!(e.since < 20 << 20, "at least one kick went out");
        e.stop().unwrap();
        // Stopped: more writes are fine and kick nobody.
        e.wrote(8 << 20);
        e.stop().unwrap();
    }
}
