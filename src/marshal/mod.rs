//! CPython's marshal format: reader and writer that keep what they read so
//! an unchanged stream is written back byte for byte.

pub mod canon;
pub mod object;
pub mod read;
pub mod write;

pub use object::{tc, Code, Long, Marshal, Node, ObjId, Value};
