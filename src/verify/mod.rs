//! The IR verifier (work in progress).

/// Placeholder.
pub fn placeholder() {}
