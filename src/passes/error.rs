//! Why a pipeline could not be built, as data: the CLI prints it, the
//! Python package raises it as a `UsageError` carrying the pass and the
//! valid names, and tests match on the variant rather than the wording.

use std::fmt;

/// A pipeline that cannot be built: bad config text, a bad `--param`, an
/// unknown pass or parameter, or a value the pass refuses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The config text named `origin` (a path, or `<config>`) is not a
    /// pipeline: invalid TOML or the wrong shape.
    Config {
        /// The file or `<config>`.
        origin: String,
        /// What is wrong with it.
        message: String,
    },
    /// The config file could not be read.
    Read {
        /// The file.
        path: String,
        /// The operating system's reason.
        message: String,
    },
    /// A malformed `--param` option (the message quotes it).
    Cli(String),
    /// No pass has this name.
    UnknownPass {
        /// The name asked for.
        name: String,
        /// Every pass name, in listing order.
        valid: Vec<&'static str>,
    },
    /// The pass has no parameter called `key`.
    UnknownParam {
        /// The pass.
        pass: &'static str,
        /// The key given.
        key: String,
        /// The pass's parameters (empty: it takes none).
        valid: Vec<&'static str>,
    },
    /// A parameter given twice.
    DuplicateParam {
        /// The pass.
        pass: &'static str,
        /// The key given twice.
        key: String,
    },
    /// A required parameter is missing.
    MissingParam {
        /// The pass.
        pass: &'static str,
        /// The parameter.
        key: &'static str,
        /// Its help text.
        help: &'static str,
    },
    /// A value that does not parse as its parameter's kind.
    BadValue {
        /// The pass.
        pass: &'static str,
        /// The parameter.
        key: &'static str,
        /// What was expected and found.
        message: String,
    },
    /// The pass refuses its parameters taken together (its build step).
    Invalid {
        /// The pass.
        pass: &'static str,
        /// Why.
        message: String,
    },
}

impl ConfigError {
    /// The pass the error is about, if it is about one.
    pub fn pass_name(&self) -> Option<&str> {
        match self {
            ConfigError::UnknownParam { pass, .. }
            | ConfigError::DuplicateParam { pass, .. }
            | ConfigError::MissingParam { pass, .. }
            | ConfigError::BadValue { pass, .. }
            | ConfigError::Invalid { pass, .. } => Some(pass),
            _ => None,
        }
    }

    /// The valid names, for an unknown pass or parameter (else empty).
    pub fn valid(&self) -> &[&'static str] {
        match self {
            ConfigError::UnknownPass { valid, .. } | ConfigError::UnknownParam { valid, .. } => {
                valid
            }
            _ => &[],
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Config { origin, message } => write!(f, "{origin}: {message}"),
            ConfigError::Read { path, message } => write!(f, "{path}: {message}"),
            ConfigError::Cli(message) => f.write_str(message),
            ConfigError::UnknownPass { name, valid } => {
                write!(
                    f,
                    "unknown pass {name:?}; available passes: {}",
                    valid.join(", ")
                )
            }
            ConfigError::UnknownParam { pass, key, valid } if valid.is_empty() => {
                write!(
                    f,
                    "pass {pass}: unknown parameter {key:?}; valid parameters: (it takes none)"
                )
            }
            ConfigError::UnknownParam { pass, key, valid } => write!(
                f,
                "pass {pass}: unknown parameter {key:?}; valid parameters: {}",
                valid.join(", ")
            ),
            ConfigError::DuplicateParam { pass, key } => {
                write!(f, "pass {pass}: parameter {key:?} given twice")
            }
            ConfigError::MissingParam { pass, key, help } => {
                write!(
                    f,
                    "pass {pass}: missing required parameter {key:?} ({help})"
                )
            }
            ConfigError::BadValue { pass, key, message } => {
                write!(f, "pass {pass}: parameter {key}: {message}")
            }
            ConfigError::Invalid { pass, message } => write!(f, "pass {pass}: {message}"),
        }
    }
}

impl std::error::Error for ConfigError {}
