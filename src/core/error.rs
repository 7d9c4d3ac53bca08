//! Errors users see, and how they map to exit codes (docs/reference.md §5).
//!
//! Library code returns `anyhow::Result`. Errors that are the user's to fix (bad usage, bad
//! configuration, not a workspace) are raised as [`UserError`] with [`ExitKind::Usage`], so
//! the binary exits with 2; every other error exits with 1.

use std::fmt;

/// Exit codes of every command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    /// 0: success.
    Success,
    /// 1: a failure, or problems found (`status`, `check`).
    Failure,
    /// 2: bad usage or configuration.
    Usage,
}

impl ExitKind {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Failure => 1,
            Self::Usage => 2,
        }
    }
}

/// An error with a message that names what failed and where, an exit kind, and an optional hint
/// that says what to do.
#[derive(Debug)]
pub struct UserError {
    pub kind: ExitKind,
    pub message: String,
    pub hint: Option<String>,
}

impl UserError {
    /// A bad-usage or bad-configuration error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            kind: ExitKind::Usage,
            message: message.into(),
            hint: None,
        }
    }

    /// A failure (exit 1).
    pub fn failure(message: impl Into<String>) -> Self {
        Self {
            kind: ExitKind::Failure,
            message: message.into(),
            hint: None,
        }
    }

    /// Attach a hint saying what to do.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

/// The exit kind and hint of an error chain: the first [`UserError`] found decides.
pub fn classify(err: &anyhow::Error) -> (ExitKind, Option<String>) {
    for cause in err.chain() {
        if let Some(user) = cause.downcast_ref::<UserError>() {
            return (user.kind, user.hint.clone());
        }
    }
    (ExitKind::Failure, None)
}

/// Shorthand: `bail_usage!("Unknown key {key}")`.
#[macro_export]
macro_rules! bail_usage {
    ($($arg:tt)*) => {
        return Err($crate::core::error::UserError::usage(format!($($arg)*)).into())
    };
}
