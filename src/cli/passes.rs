//! The pass registry seam: passes, their parameters, the TOML config and the
//! pass manager live in the library (`crate::passes`, docs/passes.md);
//! the rewrite mode builds its pipeline with `crate::passes::config`.

pub use crate::passes::PASSES;
