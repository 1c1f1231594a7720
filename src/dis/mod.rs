//! Disassembly text identical to each version's `dis` (in progress).
