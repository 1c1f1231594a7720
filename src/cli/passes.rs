//! The pass registry seam: passes, their parameters, the TOML config and the
//! pass manager live in the library (`pyrewrite::passes`, docs/passes.md);
//! the rewrite mode builds its pipeline with `pyrewrite::passes::config`.

pub use pyrewrite::passes::PASSES;
