//! Per-version view of code objects (in progress).
