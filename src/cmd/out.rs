//! Standard output and standard error for the commands, without panics.
//!
//! `println!` panics when standard output is a pipe whose reader has gone
//! (`mapc explain | head -1`): Rust ignores `SIGPIPE`, so the write fails
//! with `EPIPE`. mapc does what ripgrep does: a closed pipe is the reader
//! saying it has seen enough, so output stops quietly, with no panic and no
//! message. Unlike ripgrep, the exit code never turns a failure into a
//! success because of it: `check` and `test` finish their (cheap) work and
//! exit with the code they would have had, `preview` stops reading records
//! and exits 1 if a record it already mapped was rejected, else 0, and
//! `explain` exits 0.
//!
//! Any other error writing standard output (a full disk) is reported on
//! standard error and ends the process with exit 2. Errors writing
//! standard error itself are ignored: there is nowhere left to say so.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// True once standard output was found closed (`EPIPE`).
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// Records a write error on standard output: a closed pipe is remembered
/// (and later writes are skipped); any other error ends the process.
pub fn failed(e: &io::Error) {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CLOSED.store(true, Ordering::Relaxed);
    } else {
        write_err(format_args!(
            "error: cannot write to standard output: {e}\n"
        ));
        std::process::exit(2);
    }
}

/// Writes to standard output (see the module documentation).
pub fn write_out(args: fmt::Arguments<'_>) {
    if closed() {
        return;
    }
    let mut o = io::stdout().lock();
    if let Err(e) = o.write_fmt(args).and_then(|()| o.flush()) {
        failed(&e);
    }
}

/// Writes to standard error; errors are ignored.
pub fn write_err(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// `print!` that never panics.
macro_rules! out {
    ($($t:tt)*) => { $crate::cmd::out::write_out(format_args!($($t)*)) };
}

/// `println!` that never panics.
macro_rules! outln {
    () => { $crate::cmd::out::write_out(format_args!("\n")) };
    ($($t:tt)*) => {
        $crate::cmd::out::write_out(format_args!("{}\n", format_args!($($t)*)))
    };
}

/// `eprint!` that never panics.
macro_rules! err {
    ($($t:tt)*) => { $crate::cmd::out::write_err(format_args!($($t)*)) };
}

/// `eprintln!` that never panics.
macro_rules! errln {
    () => { $crate::cmd::out::write_err(format_args!("\n")) };
    ($($t:tt)*) => {
        $crate::cmd::out::write_err(format_args!("{}\n", format_args!($($t)*)))
    };
}

pub(crate) use {err, errln, out, outln};
