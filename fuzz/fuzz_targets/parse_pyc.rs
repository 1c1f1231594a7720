//! Fuzz target: any bytes as a `.pyc`. Parsing returns Ok or a located
//! error; an accepted file writes, re-reads to the same value and header,
//! and writes again to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyrewrite::marshal::canon;
use pyrewrite::pyc::Pyc;

fuzz_target!(|data: &[u8]| {
    let p = match Pyc::parse(data) {
        Ok(p) => p,
        Err(e) => {
            let at = e.offset().expect("parse errors carry an offset");
            assert!(at <= data.len() as u64, "offset {at} past the end ({} bytes): {e}", data.len());
            return;
        }
    };
    let bytes = p.to_bytes().expect("an accepted file must write");
    let back = Pyc::parse(&bytes).expect("written bytes must re-read");
    assert_eq!(back.header, p.header);
    // NB: shared objects are repeated in the dump; keep it bounded.
    if bytes.len() < 1 << 16 {
        assert_eq!(canon::dump(&back.marshal), canon::dump(&p.marshal), "value changed by write + read");
    }
    assert_eq!(back.to_bytes().expect("rewrite"), bytes, "second write differs");
});
