//! Prints which CPython interpreters (version oracles) the tests found and
//! which supported versions had none, so a passing run still says what it
//! did not check. tools/test.sh runs it after `cargo test`.
//!
//!     cargo run --release --example oracles

use pyrewrite::{oracle, PyVersion};

fn main() {
    let found = oracle::find_all();
    let mut missing = Vec::new();
    for v in PyVersion::SUPPORTED {
        match found.iter().find(|i| i.version == v) {
            Some(i) => println!("oracle {v}: {}", i.describe()),
            None => missing.push(v.to_string()),
        }
    }
    if missing.is_empty() {
        println!(
            "oracles: none missing ({} versions checked against their interpreter)",
            PyVersion::SUPPORTED.len()
        );
    } else {
        println!(
            "oracles MISSING: {} (the tests of those versions were skipped; see docs/oracles.md)",
            missing.join(", ")
        );
    }
}
