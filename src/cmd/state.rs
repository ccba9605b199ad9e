//! `mapc state show SPEC` and `mapc state reset SPEC --mapping NAME --yes`:
//! what `mapc run` remembers, and forgetting it for one mapping.

use super::out::{errln, outln};
use super::run::{state_path, SummaryFormat};
use mapc_state::{SqliteState, StateStore};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum StateCommand {
    /// Print the watermarks, bindings and last runs of a spec's state.
    Show(ShowArgs),
    /// Forget a mapping's watermark and remembered records (the next run starts over).
    Reset(ResetArgs),
}

#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,
    /// The state database [default: `.mapc/state.db` beside the spec].
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// How many of the last runs to list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub runs: usize,
    #[arg(long, value_enum, default_value_t = SummaryFormat::Human)]
    pub format: SummaryFormat,
}

#[derive(clap::Args, Debug)]
pub struct ResetArgs {
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,
    /// The mapping to forget.
    #[arg(long, value_name = "NAME")]
    pub mapping: String,
    /// Only this environment's state [default: every environment's].
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// The state database [default: `.mapc/state.db` beside the spec].
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Confirm: without it, nothing is forgotten.
    #[arg(long)]
    pub yes: bool,
}

pub fn run(c: &StateCommand) -> i32 {
    match c {
        StateCommand::Show(a) => show(a),
        StateCommand::Reset(a) => reset(a),
    }
}

fn show(a: &ShowArgs) -> i32 {
    let path = state_path(&a.spec, a.state.as_deref());
    if !path.exists() {
        errln!(
            "error: {} does not exist: no `mapc run` of {} has stored anything there yet",
            path.display(),
            a.spec.display()
        );
        return 2;
    }
    let st = match SqliteState::open_existing(&path) {
        Ok(s) => s,
        Err(e) => return state_error(&e),
    };
    let o = match st.show(a.runs) {
        Ok(o) => o,
        Err(e) => return state_error(&e),
    };
    match a.format {
        SummaryFormat::Json => {
            let v = serde_json::to_value(&o).unwrap_or_default();
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        SummaryFormat::Human => {
            let env = |e: &str| {
                if e.is_empty() {
                    String::new()
                } else {
                    format!(" (env {e})")
                }
            };
            outln!("state {}", path.display());
            outln!("mappings:");
            if o.mappings.is_empty() {
                outln!("  (none)");
            }
            for m in &o.mappings {
                outln!(
                    "  `{}`{}: watermark {}, {} record{} remembered{}{}",
                    m.mapping,
                    env(&m.env),
                    m.watermark.as_deref().unwrap_or("none"),
                    m.keys,
                    if m.keys == 1 { "" } else { "s" },
                    if m.pending_units > 0 {
                        format!(
                            ", {} unit(s) of an interrupted run to re-check",
                            m.pending_units
                        )
                    } else {
                        String::new()
                    },
                    m.locked_by
                        .as_deref()
                        .map(|l| format!(", running now ({l})"))
                        .unwrap_or_default(),
                );
            }
            outln!("bindings:");
            if o.bindings.is_empty() {
                outln!("  (none)");
            }
            for b in &o.bindings {
                outln!("  `{}`{}: {}", b.connection, env(&b.env), b.bound_to);
            }
            outln!("last runs:");
            if o.runs.is_empty() {
                outln!("  (none)");
            }
            for r in &o.runs {
                let counts = r.counts.as_ref().map(|c| {
                    format!(
                        ": {} read, {} created, {} updated, {} unchanged, {} skipped, {} conflicts, {} rejected, {} deleted",
                        c.read, c.created, c.updated, c.unchanged, c.skipped, c.conflicts, c.rejected, c.deleted
                    )
                });
                outln!(
                    "  #{} `{}`{} {}{} {}{}",
                    r.id,
                    r.mapping,
                    env(&r.env),
                    r.started,
                    if r.full { " --full" } else { "" },
                    r.outcome.as_deref().unwrap_or("(did not finish)"),
                    counts.unwrap_or_default()
                );
            }
        }
    }
    0
}

fn reset(a: &ResetArgs) -> i32 {
    let path = state_path(&a.spec, a.state.as_deref());
    if !a.yes {
        errln!(
            "error: `state reset` forgets the watermark and remembered records of mapping `{}`{}; the next run starts over (lookback, creates compared with the target). Add --yes to confirm.",
            a.mapping,
            a.env.as_deref().map(|e| format!(" in environment `{e}`")).unwrap_or_default()
        );
        return 2;
    }
    if !path.exists() {
        errln!("error: {} does not exist: nothing to reset", path.display());
        return 2;
    }
    let mut st = match SqliteState::open_existing(&path) {
        Ok(s) => s,
        Err(e) => return state_error(&e),
    };
    match st.reset(&a.mapping, a.env.as_deref()) {
        Ok(n) => {
            outln!(
                "mapping `{}`: forgot {n} remembered record{}, and the watermark",
                a.mapping,
                if n == 1 { "" } else { "s" }
            );
            0
        }
        Err(e) => state_error(&e),
    }
}

fn state_error(e: &mapc_state::StateError) -> i32 {
    errln!("error[{}]: {}", e.code, e.message);
    if let Some(h) = &e.help {
        errln!("  help: {h}");
    }
    3
}
