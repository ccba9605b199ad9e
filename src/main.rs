//! `mapc`: check, preview, test and run declarative mapping specs.

mod cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "mapc", version, about = "Declarative mapping compiler and rule engine for Dynamics 365 integrations", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse, type-check and validate specs (no network, no secrets needed).
    Check(cmd::check::CheckArgs),
    /// Run a mapping over sample records and print the result.
    Preview(cmd::preview::PreviewArgs),
    /// Run the specs' inline tests and `*.test.yaml` files beside them.
    Test(cmd::test::TestArgs),
    /// Pull from the source, map, and write the difference to the target.
    Run(cmd::run::RunArgs),
    /// Show or reset what `mapc run` remembers (watermarks, bindings, runs).
    #[command(subcommand)]
    State(cmd::state::StateCommand),
    /// Show the long explanation of a diagnostic code, with an example and the fix.
    Explain(cmd::explain::ExplainArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check(a) => cmd::check::run(&a),
        Command::Preview(a) => cmd::preview::preview(&a),
        Command::Test(a) => cmd::test::test(&a),
        Command::Explain(a) => cmd::explain::run(&a),
        Command::Run(a) => cmd::run::run(&a),
        Command::State(c) => cmd::state::run(&c),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}
