//! Line and location tables of every version (in progress).
