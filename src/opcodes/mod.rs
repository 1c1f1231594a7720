//! Per-version opcode tables (in progress).
