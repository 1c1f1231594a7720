//! Marshal reader (in progress).
