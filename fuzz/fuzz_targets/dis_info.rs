//! Fuzz target: `checks::dis_info` (see fuzz/checks.rs for the property).
#![no_main]

#[allow(dead_code)] // each target uses one check
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::dis_info(data));
