//! `mapc run SPEC`: pull from the source, map, compare with the target and
//! the state, write the difference, commit the state.
//!
//! Standard output carries the plan of a dry run and the final summary
//! (`--format json`: one JSON document); standard error carries progress,
//! rejected records and notes. Exit 0; 1 when records were rejected or a
//! two-way conflict was left for the user; 2 for usage problems and
//! unreadable files; 3 when the run failed as a whole (nothing of it was
//! committed to the state).

use super::out::{errln, outln};
use super::preview::as_of_date;
use mapc_compile::{compile_file, CompileOptions};
use mapc_diag::{render, Format};
use mapc_engine::{Compiled, Options, WriteMode};
use mapc_ir::program::{ConnectionKind, Program};
use mapc_state::{Scope, SqliteState, StateStore};
use mapc_sync::ends::{self, Resolved};
use mapc_sync::run::{Ends, Events, Failure, Planned, Report, Settings};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SummaryFormat {
    /// Lines for a person.
    #[default]
    Human,
    /// One JSON document on standard output.
    Json,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The spec file.
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,
    /// Read everything and print the plan; write nothing, commit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Ignore the stored watermark and `polling.lookback_days`: pull every record.
    #[arg(long)]
    pub full: bool,
    /// The environment overlay [default: the one with `default: true`, else none].
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Run only this mapping [default: every active mapping, in spec order].
    #[arg(long, value_name = "NAME")]
    pub mapping: Option<String>,
    /// Take at most N records per mapping (the watermark stops before the first one left).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Let a mapping with `target.delete: true` delete target records whose source record is gone.
    #[arg(long)]
    pub allow_delete: bool,
    /// The state database [default: `.mapc/state.db` beside the spec].
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// The as-of date (YYYY-MM-DD) for `today()` and sales-price expiry [default: today, UTC].
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// The final summary's format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Human)]
    pub format: SummaryFormat,
    /// Accept a connection URL or file path that differs from the one this environment was bound to.
    #[arg(long)]
    pub rebind: bool,
    /// Cached `$metadata` [default: `.mapc/schema` beside the spec, when present].
    #[arg(long, value_name = "DIR")]
    pub schema_cache: Option<PathBuf>,
}

/// The state database of a spec.
pub fn state_path(spec: &Path, arg: Option<&Path>) -> PathBuf {
    match arg {
        Some(p) => p.to_path_buf(),
        None => spec
            .parent()
            .unwrap_or(Path::new("."))
            .join(".mapc")
            .join("state.db"),
    }
}

fn spec_dir(spec: &Path) -> PathBuf {
    match spec.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Compiles the spec for a command that needs it error-free.
pub fn compile_program(
    spec: &Path,
    schema_cache: Option<PathBuf>,
    what: &str,
) -> Result<Program, i32> {
    let opts = CompileOptions {
        schema_cache: schema_cache.or_else(|| super::default_schema_cache(spec)),
    };
    let compiled = compile_file(spec, &opts).map_err(|e| {
        errln!("error: cannot read {}: {e}", spec.display());
        2
    })?;
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if !compiled.diagnostics.is_empty() {
        super::out::err!(
            "{}",
            render(
                Format::Human { color },
                &[(&compiled.file, compiled.diagnostics.as_slice())]
            )
        );
    }
    match (
        compiled.program,
        compiled
            .diagnostics
            .iter()
            .any(|d| d.severity == mapc_diag::Severity::Error),
    ) {
        (Some(p), false) => Ok(p),
        _ => {
            errln!(
                "error: {} has errors; fix them (see `mapc check`) before {what}",
                spec.display()
            );
            Err(1)
        }
    }
}

pub fn run(args: &RunArgs) -> i32 {
    let as_of = match as_of_date(args.as_of.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            errln!("error: {e}");
            return 2;
        }
    };
    let program = match compile_program(&args.spec, args.schema_cache.clone(), "running it") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let env = match ends::environment(&program, args.env.as_deref()) {
        Ok(e) => e,
        Err(e) => {
            errln!("error: {e}");
            return 2;
        }
    };
    let mappings: Vec<usize> = match &args.mapping {
        Some(name) => match program.mappings.iter().position(|m| &m.name == name) {
            Some(i) => vec![i],
            None => {
                let names: Vec<&str> = program.mappings.iter().map(|m| m.name.as_str()).collect();
                errln!(
                    "error: --mapping {name}: the spec has no such mapping (it has: {})",
                    names.join(", ")
                );
                return 2;
            }
        },
        None => (0..program.mappings.len())
            .filter(|&i| program.mappings[i].active)
            .collect(),
    };
    if mappings.is_empty() {
        errln!(
            "error: {} has no active mapping to run (name one with --mapping)",
            args.spec.display()
        );
        return 2;
    }
    let state_file = state_path(&args.spec, args.state.as_deref());
    let mut state = match SqliteState::open(&state_file) {
        Ok(s) => s,
        Err(e) => {
            state_error(&e);
            return 3;
        }
    };
    let env_name = env.map(|e| e.name.clone()).unwrap_or_default();
    let dir = spec_dir(&args.spec);
    let mut reports = Vec::new();
    let mut worst = 0;
    for &i in &mappings {
        let m = &program.mappings[i];
        let vars = |n: &str| std::env::var(n).ok();
        let source = ends::resolve(&program, &m.source.connection, env, &vars);
        let target = ends::resolve(&program, &m.target.connection, env, &vars);
        let (source, target) = match (source, target) {
            (Ok(s), Ok(t)) => (s, t),
            (Err(e), _) | (_, Err(e)) => {
                errln!("error: mapping `{}`: {e}", m.name);
                return 2;
            }
        };
        for c in [&source, &target] {
            if c.kind != ConnectionKind::File {
                errln!(
                    "error: mapping `{}`: connection `{}` is a {} connection; this mapc runs file connections only (the OData connector is not built yet)",
                    m.name,
                    c.name,
                    kind_name(c.kind)
                );
                return 3;
            }
        }
        if m.target.key.is_none() {
            errln!(
                "error: mapping `{}` has no `target.key`: a run matches target records by it (add `key:` to the mapping's `target:`)",
                m.name
            );
            return 2;
        }
        match run_one(
            args, &program, i, &source, &target, &env_name, &dir, &mut state, as_of,
        ) {
            Ok(r) => {
                if r.counts.rejected > 0 || r.counts.conflicts > 0 {
                    worst = worst.max(1);
                }
                reports.push(r);
            }
            Err(code) => return code,
        }
    }
    match args.format {
        SummaryFormat::Human => {
            for r in &reports {
                outln!("{}", summary_line(r, &env_name));
            }
        }
        SummaryFormat::Json => {
            let doc = serde_json::json!({
                "dry_run": args.dry_run,
                "environment": if env_name.is_empty() { None } else { Some(&env_name) },
                "state": state_file.display().to_string(),
                "mappings": reports,
            });
            outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
    }
    worst
}

fn kind_name(k: ConnectionKind) -> &'static str {
    match k {
        ConnectionKind::File => "file",
        ConnectionKind::Dataverse => "dataverse",
        ConnectionKind::BusinessCentral => "business_central",
        ConnectionKind::Odata => "odata",
    }
}

#[allow(clippy::too_many_arguments)]
fn run_one(
    args: &RunArgs,
    program: &Program,
    index: usize,
    source: &Resolved,
    target: &Resolved,
    env: &str,
    dir: &Path,
    state: &mut SqliteState,
    as_of: jiff::civil::Date,
) -> Result<Report, i32> {
    let m = &program.mappings[index];
    let fail = |e: String| {
        errln!("error: mapping `{}`: {e}", m.name);
        2
    };
    let source_path = ends::file_path(source, &m.source.entity, dir).map_err(fail)?;
    let target_path = ends::file_path(target, &m.target.entity, dir).map_err(fail)?;
    // An environment is bound to the files (later: instance URLs) it ran
    // against; a different one is refused unless --rebind.
    let mut rebound = (false, false);
    for (i, (conn, path)) in [(&source.name, &source_path), (&target.name, &target_path)]
        .into_iter()
        .enumerate()
    {
        let now = ends::binding_of(path);
        match state.binding(env, conn) {
            Ok(Some(old)) if !ends::same_binding(&old, &now) && args.rebind => {
                errln!("note: connection `{conn}` is rebound from {old} to {now}");
                if i == 0 {
                    rebound.0 = true
                } else {
                    rebound.1 = true
                }
                if !args.dry_run {
                    if let Err(e) = state.bind(env, conn, &now) {
                        state_error(&e);
                        return Err(3);
                    }
                }
            }
            Ok(Some(old)) if !ends::same_binding(&old, &now) => {
                errln!(
                    "error: connection `{conn}`{} is bound to {old}, but this run would use {now}",
                    if env.is_empty() {
                        String::new()
                    } else {
                        format!(" in environment `{env}`")
                    }
                );
                errln!("  help: if the change is intended, run again with --rebind; otherwise check --env and the spec's `path:`/`url:`");
                return Err(3);
            }
            Ok(_) => {
                if !args.dry_run {
                    if let Err(e) = state.bind(env, conn, &now) {
                        state_error(&e);
                        return Err(3);
                    }
                }
            }
            Err(e) => {
                state_error(&e);
                return Err(3);
            }
        }
    }
    let engine = Compiled::new(
        program,
        index,
        Options {
            as_of,
            mode: WriteMode::Create,
        },
    )
    .map_err(|e| {
        errln!("error: mapping `{}` cannot run: {e}", m.name);
        1
    })?;
    let mut src = mapc_sync::io::open_source(&source_path, engine.csv_options()).map_err(|e| {
        errln!(
            "error: cannot read the source {}: {e}",
            source_path.display()
        );
        errln!(
            "  help: check `path:` of connection `{}` (relative to the spec's folder)",
            source.name
        );
        2
    })?;
    let key: Vec<&str> = m
        .target
        .key
        .as_deref()
        .unwrap_or_default()
        .split('.')
        .collect();
    let mut tgt = mapc_sync::io::open_target(&target_path, &key).map_err(|e| {
        errln!("error: cannot open the target {}: {e}", target_path.display());
        errln!("error: mapping `{}`: the run failed as a whole; nothing of it was committed to the state", m.name);
        3
    })?;
    let fields = mapc_sync::fields::SyncFields::of(m);
    for f in &fields.once_in_lines {
        errln!(
            "warning: mapping `{}`: product line field `{f}` has `sync: once`, but lines are compared and written whole on update",
            m.name
        );
    }
    let needs_back = !fields.back.is_empty() || !fields.two_way.is_empty();
    let source_key: Vec<&str> = m.source.key.split('.').collect();
    let mut back = if needs_back && !args.dry_run {
        Some(
            mapc_sync::io::open_target(&source_path, &source_key).map_err(|e| {
                errln!(
                    "error: cannot open the source {} for writing back: {e}",
                    source_path.display()
                );
                3
            })?,
        )
    } else {
        None
    };
    let target_changed = std::fs::metadata(&target_path)
        .and_then(|md| md.modified())
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok());
    let settings = Settings {
        dry_run: args.dry_run,
        full: args.full,
        limit: args.limit,
        allow_delete: args.allow_delete,
        started: jiff::Timestamp::now(),
        target_changed,
        // A new source has other data: its watermark starts over; a new
        // target holds other records: no stored hash speaks for it.
        forget_watermark: rebound.0,
        trust_hashes: !rebound.1,
    };
    let scope = Scope {
        env: env.to_string(),
        mapping: m.name.clone(),
    };
    let mut events = Shown::new(&m.name, args.dry_run, args.format);
    let result = mapc_sync::run::run(
        m,
        &engine,
        Ends {
            source: &mut *src,
            target: &mut *tgt,
            write_back: back
                .as_deref_mut()
                .map(|b| b as &mut dyn mapc_sync::io::Target),
        },
        state,
        &scope,
        &settings,
        &mut events,
    );
    events.finish();
    match result {
        Ok(mut r) => {
            for p in &r.problems {
                let key = p
                    .key
                    .as_deref()
                    .map(|k| format!(", key `{k}`"))
                    .unwrap_or_default();
                let at = if p.record > 0 {
                    format!(
                        "{} record {} (line {}){key}",
                        source_path.display(),
                        p.record,
                        p.line
                    )
                } else {
                    format!("{}{key}", target_path.display())
                };
                errln!("error[{}]: {at}: {}", p.code, p.message);
                if let Some(h) = &p.help {
                    errln!("  help: {h}");
                }
            }
            for c in &r.conflicts {
                let how = match c.resolved {
                    Some(side) => format!("resolved: the {side} wins"),
                    None => "left as is on both sides (`conflict: fail`); edit one side to match the other".into(),
                };
                errln!(
                    "{}[{}]: key `{}`, field `{}`: source {} vs target {} (base {}); {how}",
                    if c.resolved.is_some() {
                        "warning"
                    } else {
                        "error"
                    },
                    if c.resolved.is_some() {
                        mapc_sync::run::codes::RESOLVED
                    } else {
                        mapc_sync::run::codes::CONFLICT
                    },
                    c.key,
                    c.field,
                    c.source,
                    c.target,
                    c.base.as_deref().unwrap_or("none")
                );
            }
            for n in &r.notes {
                errln!("note: mapping `{}`: {n}", m.name);
            }
            r.plan = std::mem::take(&mut events.plan_json);
            Ok(r)
        }
        Err(f) => {
            match &f {
                Failure::State(e) => state_error(e),
                other => errln!("error: mapping `{}`: {other}", m.name),
            }
            errln!("error: mapping `{}`: the run failed as a whole; nothing of it was committed to the state (run again when fixed)", m.name);
            Err(3)
        }
    }
}

fn state_error(e: &mapc_state::StateError) {
    errln!("error[{}]: {}", e.code, e.message);
    if let Some(h) = &e.help {
        errln!("  help: {h}");
    }
}

fn plural(n: u64, w: &str) -> String {
    format!("{n} {w}{}", if n == 1 { "" } else { "s" })
}

fn summary_line(r: &Report, env: &str) -> String {
    let c = &r.counts;
    let mut s = format!(
        "{}mapping `{}`{}: {} read, {} created, {} updated, {} unchanged, {} skipped, {}, {} rejected, {} deleted",
        if r.dry_run { "dry run: " } else { "" },
        r.mapping,
        if env.is_empty() { String::new() } else { format!(" (env {env})") },
        plural(c.read, "record"),
        c.created,
        c.updated,
        c.unchanged,
        c.skipped,
        plural(c.conflicts, "conflict"),
        c.rejected,
        c.deleted
    );
    if r.filtered > 0 {
        s.push_str(&format!(
            "; {} filtered out by the source filter",
            plural(r.filtered, "record")
        ));
    }
    if r.older > 0 {
        s.push_str(&format!(
            "; {} older than the watermark",
            plural(r.older, "record")
        ));
    }
    if r.past_limit > 0 {
        s.push_str(&format!(
            "; {} past --limit",
            plural(r.past_limit, "record")
        ));
    }
    match (&r.watermark_before, &r.watermark_after) {
        (b, Some(a)) if b.as_ref() != Some(a) => s.push_str(&format!(
            "; watermark {} -> {a}{}",
            b.as_deref().unwrap_or("none"),
            if r.dry_run {
                " (not stored: dry run)"
            } else {
                ""
            }
        )),
        (_, Some(a)) => s.push_str(&format!("; watermark {a}")),
        _ => {}
    }
    s
}

/// Progress and plan lines as the run goes.
struct Shown {
    mapping: String,
    dry_run: bool,
    format: SummaryFormat,
    bar: Option<indicatif::ProgressBar>,
    last_log: std::time::Instant,
    started: std::time::Instant,
    plan_json: Vec<Planned>,
}

impl Shown {
    fn new(mapping: &str, dry_run: bool, format: SummaryFormat) -> Shown {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed}]")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            b.set_prefix(format!("mapping `{mapping}`"));
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        Shown {
            mapping: mapping.to_string(),
            dry_run,
            format,
            bar,
            last_log: std::time::Instant::now(),
            started: std::time::Instant::now(),
            plan_json: Vec::new(),
        }
    }

    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Events for Shown {
    fn progress(&mut self, read: u64, written: u64) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = (read as f64 / secs) as u64;
        let msg = format!("{read} read, {written} written, {rate}/s");
        match &self.bar {
            Some(b) => b.set_message(msg),
            None => {
                if self.last_log.elapsed().as_secs() >= 2 {
                    self.last_log = std::time::Instant::now();
                    errln!("mapping `{}`: {msg}", self.mapping);
                }
            }
        }
    }

    fn wants_plan(&self) -> bool {
        self.dry_run
    }
    fn planned(&mut self, p: &Planned) {
        if !self.dry_run {
            return;
        }
        if self.format == SummaryFormat::Json {
            self.plan_json.push(p.clone());
            return;
        }
        let mut line = format!("{:<9} {}", p.action, p.key);
        if !p.changed.is_empty() {
            line.push_str(&format!("  changed: {}", p.changed.join(", ")));
        }
        if !p.back.is_empty() {
            line.push_str(&format!("  back to source: {}", p.back.join(", ")));
        }
        if let Some(r) = &p.reason {
            line.push_str(&format!("  ({r})"));
        }
        match &self.bar {
            Some(b) => b.suspend(|| outln!("{line}")),
            None => outln!("{line}"),
        }
    }
}
