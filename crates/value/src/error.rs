//! The per-record evaluation error, shared by the engine's operators and the
//! expression functions (`mapc_ir::funcs`).

use mapc_diag::Code;

/// A per-record evaluation error: a runtime diagnostic code, a message
/// (what went wrong, never where: the caller knows the field or rule) and
/// an optional hint how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
}

pub type EResult<T> = Result<T, EvalError>;

impl EvalError {
    pub fn new(code: Code, message: impl Into<String>) -> EvalError {
        EvalError {
            code,
            message: message.into(),
            help: None,
        }
    }

    pub fn help(mut self, h: impl Into<String>) -> EvalError {
        self.help = Some(h.into());
        self
    }
}
