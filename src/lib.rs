//! pyrewrite: read, inspect, rewrite and instrument CPython bytecode in `.pyc` files.
//!
//! The modules follow the pipeline: [`pyc`] and [`marshal`] read and write
//! files byte for byte; [`code`] gives the per-version view of a code
//! object; [`opcodes`] holds one generated table per CPython version;
//! [`locations`] and [`exctable`] decode and encode line and exception
//! tables; [`dis`] prints what each version's `dis` prints.
#![deny(missing_docs)]

pub mod asm;
pub mod cfg;
#[cfg(feature = "cli")]
pub mod cli;
pub mod code;
pub mod dis;
pub mod error;
pub mod exctable;
pub mod inspect;
pub mod ir;
pub mod lift;
pub mod locations;
pub mod marshal;
pub mod opcodes;
pub mod oracle;
pub mod passes;
pub mod pyc;
pub mod pyrepr;
pub mod stackdepth;
pub mod verify;
pub mod version;

pub use error::{Error, ErrorKind, PassSite, Result};
pub use version::PyVersion;
