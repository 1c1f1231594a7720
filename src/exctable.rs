//! Exception tables of CPython 3.11+ (in progress).
