//! Scratch: round-trip every .pyc under a directory, report mismatches.
use pyrewrite::pyc::Pyc;
fn main() {
    let dir = std::env::args().nth(1).expect("dir");
    let (mut ok, mut bad, mut err) = (0, 0, 0);
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().map_or(true, |x| x != "pyc") {
                continue;
            }
            let data = std::fs::read(&p).unwrap();
            match Pyc::parse(&data).and_then(|x| x.to_bytes()) {
                Ok(out) if out == data => ok += 1,
                Ok(_) => {
                    bad += 1;
                    if bad < 5 {
                        eprintln!("DIFF {}", p.display());
                    }
                }
                Err(e) => {
                    err += 1;
                    if err < 5 {
                        eprintln!("ERR {}: {e}", p.display());
                    }
                }
            }
        }
    }
    println!("ok={ok} diff={bad} err={err}");
}
