//! IR to bytecode (work in progress).
