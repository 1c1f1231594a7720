//! Marshal writer (in progress).
