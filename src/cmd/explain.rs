use super::out::{errln, out, outln};
use mapc_diag::{lookup, CODES};

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A diagnostic code (`M0202`) or its name (`unknown-key`); omit to list all codes.
    pub code: Option<String>,
}

pub fn run(args: &ExplainArgs) -> i32 {
    let Some(code) = &args.code else {
        for c in CODES {
            outln!(
                "{}  {:<8} {:<26} {}",
                c.code,
                format!("{:?}", c.severity).to_lowercase(),
                c.name,
                c.summary
            );
        }
        return 0;
    };
    match lookup(code) {
        Some(info) => {
            out!("{}", info.explain);
            if !info.explain.ends_with('\n') {
                outln!();
            }
            0
        }
        None => {
            let names = CODES.iter().flat_map(|c| [c.code.as_str(), c.name]);
            let hint = mapc_diag::did_you_mean(code, names)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            errln!("error: unknown diagnostic code `{code}`{hint}; run `mapc explain` to list all codes");
            2
        }
    }
}
