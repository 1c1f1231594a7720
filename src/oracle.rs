//! Discovery of real CPython interpreters, the oracle (in progress).
