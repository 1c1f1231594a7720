//! Every oracle test skips a version whose interpreter is missing (and says
//! so). This test turns such a skip into a failure where the interpreters
//! are required: `.ci/run` sets `PYREWRITE_REQUIRE_ORACLES=3.8,...,3.14`,
//! so CI never passes by silently checking fewer versions.

use pyrewrite::{oracle, PyVersion};

#[test]
fn required_interpreters_are_present() {
    let Ok(list) = std::env::var("PYREWRITE_REQUIRE_ORACLES") else {
        eprintln!("PYREWRITE_REQUIRE_ORACLES not set: no interpreter is required");
        return;
    };
    let found = oracle::find_all();
    let mut missing = Vec::new();
    for v in list.split(',').filter(|s| !s.trim().is_empty()) {
        let want = PyVersion::parse(v)
            .unwrap_or_else(|| panic!("bad version {v:?} in PYREWRITE_REQUIRE_ORACLES"));
        match found.iter().find(|i| i.version == want) {
            Some(i) => eprintln!("required {want}: {}", i.describe()),
            None => missing.push(want.to_string()),
        }
    }
    assert!(
        missing.is_empty(),
        "required CPython interpreters not found: {}",
        missing.join(", ")
    );
}
