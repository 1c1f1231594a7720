//! Line, location and exception tables against real CPython 3.8..3.14.
//!
//! Each interpreter found by `pyrewrite::oracle` compiles part of its own
//! standard library to .pyc files and dumps, with
//! tools/oracle/positions_dump.py, every code object's raw tables and what
//! it says about them (co_lines, dis.findlinestarts, co_positions, the
//! exception table as dis parses it). We decode the raw tables, compare
//! every view, and re-encode: the bytes must be CPython's.
//!
//! `PYREWRITE_ORACLE_LIMIT=N` sets how many stdlib files each version
//! compiles (default 200; 0 means all of them).

use pyrewrite::exctable::{self, ExcEntry};
use pyrewrite::locations::{self, LineRange, Position};
use pyrewrite::oracle;
use pyrewrite::PyVersion;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn opt(v: &Value) -> Option<i32> {
    v.as_i64().map(|x| x as i32)
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array().expect("array")
}

/// Which splitting and encoding paths the raw tables exercised.
#[derive(Default, Debug)]
struct Features(std::collections::BTreeSet<&'static str>);

impl Features {
    fn see(&mut self, v: PyVersion, table: &[u8], exc: &[u8]) {
        let f = &mut self.0;
        if !v.at_least(11) {
            for p in table.chunks_exact(2) {
                let (b, l) = (p[0], p[1] as i8);
                match (v.at_least(10), b, l) {
                    (false, 255, 0) => f.insert("lnotab: 255-byte step"),
                    (false, _, 127) => f.insert("lnotab: +127 line step"),
                    (false, _, -128) => f.insert("lnotab: -128 line step"),
                    (true, 254, _) => f.insert("3.10: 254-byte step"),
                    (true, 0, 127) => f.insert("3.10: (0, +127) prefix"),
                    (true, 0, -127) => f.insert("3.10: (0, -127) prefix"),
                    (true, _, -128) => f.insert("3.10: no line"),
                    _ => false,
                };
            }
            return;
        }
        let mut i = 0;
        let mut prev_full = false;
        while i < table.len() {
            let (code, units) = ((table[i] >> 3) & 15, (table[i] & 7) + 1);
            let mut j = i + 1;
            while j < table.len() && table[j] & 0x80 == 0 {
                j += 1;
            }
            f.insert(match code {
                0..=9 => "short form",
                10..=12 => "one-line form",
                13 => "no-column form",
                14 if j - i > 5 => "long form, multi-byte varints",
                14 => "long form",
                _ => "no location",
            });
            if prev_full && units > 0 {
                f.insert("after an 8-unit entry");
            }
            prev_full = units == 8;
            i = j;
        }
        if exc.windows(3).any(|w| w[0] & 0x40 != 0 && w[1] & 0x40 != 0) {
            f.insert("exception varint of 3+ chunks");
        }
    }
}

#[derive(Default, Debug)]
struct Counts {
    features: Features,
    code_objects: usize,
    line_tables_round_trip: usize,
    exc_tables_round_trip: usize,
    exc_entries: usize,
    mismatches: Vec<String>,
}

impl Counts {
    fn fail(&mut self, mut what: String) {
        if what.len() > 800 {
            let mut cut = 800;
            while !what.is_char_boundary(cut) {
                cut -= 1;
            }
            what.truncate(cut);
            what.push_str(" ...");
        }
        if self.mismatches.len() < 20 {
            self.mismatches.push(what);
        } else if self.mismatches.len() == 20 {
            self.mismatches.push("...".into());
        }
    }
}

fn check_record(v: PyVersion, rec: &Value, c: &mut Counts) {
    let who = format!(
        "{} {}",
        rec["file"].as_str().unwrap_or("?"),
        rec["code"].as_str().unwrap_or("?")
    );
    if let Some(e) = rec.get("error") {
        c.fail(format!("{who}: dump error {e}"));
        return;
    }
    c.code_objects += 1;
    let first = rec["firstlineno"].as_i64().unwrap() as i32;
    let code_len = rec["code_len"].as_u64().unwrap() as usize;
    let key = if v.at_least(10) {
        "linetable"
    } else {
        "lnotab"
    };
    let raw = unhex(rec[key].as_str().unwrap());
    let exc_raw = rec
        .get("exctable")
        .and_then(Value::as_str)
        .map(unhex)
        .unwrap_or_default();
    c.features.see(v, &raw, &exc_raw);
    let entries = match locations::decode(v, &raw, first, code_len) {
        Ok(e) => e,
        Err(e) => return c.fail(format!("{who}: decode failed: {e}")),
    };
    if let Err(e) = locations::validate(v, &entries, code_len) {
        c.fail(format!("{who}: decoded entries do not validate: {e}"));
    }
    match locations::encode(v, &entries, first) {
        Ok(bytes) if bytes == raw => c.line_tables_round_trip += 1,
        Ok(bytes) => c.fail(format!(
            "{who}: re-encoded {} != raw {}",
            hex(&bytes),
            hex(&raw)
        )),
        Err(e) => c.fail(format!("{who}: encode failed: {e}")),
    }
    let starts: Vec<(u32, Option<i32>)> = arr(&rec["linestarts"])
        .iter()
        .map(|p| (p[0].as_u64().unwrap() as u32, opt(&p[1])))
        .collect();
    let ours = locations::line_starts(v, &entries, code_len);
    if ours != starts {
        c.fail(format!("{who}: findlinestarts {starts:?}, ours {ours:?}"));
    }
    if v.at_least(10) {
        let lines: Vec<LineRange> = arr(&rec["co_lines"])
            .iter()
            .map(|t| LineRange {
                start: t[0].as_u64().unwrap() as u32,
                end: t[1].as_u64().unwrap() as u32,
                line: opt(&t[2]),
            })
            .collect();
        let ours = locations::co_lines(v, &entries);
        if ours != lines {
            c.fail(format!("{who}: co_lines {lines:?}, ours {ours:?}"));
        }
    }
    if v.at_least(11) {
        let pos: Vec<Position> = arr(&rec["positions"])
            .iter()
            .map(|p| Position {
                line: opt(&p[0]),
                end_line: opt(&p[1]),
                col: opt(&p[2]),
                end_col: opt(&p[3]),
            })
            .collect();
        let ours = locations::positions(&entries);
        if ours != pos {
            let at = ours
                .iter()
                .zip(&pos)
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(pos.len()));
            c.fail(format!(
                "{who}: co_positions differ at unit {at} (len {} vs ours {})",
                pos.len(),
                ours.len()
            ));
        }
        let raw = unhex(rec["exctable"].as_str().unwrap());
        let want: Vec<ExcEntry> = arr(&rec["exc"])
            .iter()
            .map(|e| ExcEntry {
                start: e[0].as_u64().unwrap() as u32,
                end: e[1].as_u64().unwrap() as u32,
                target: e[2].as_u64().unwrap() as u32,
                depth: e[3].as_u64().unwrap() as u32,
                lasti: e[4].as_bool().unwrap(),
            })
            .collect();
        c.exc_entries += want.len();
        match exctable::decode(&raw, code_len) {
            Err(e) => c.fail(format!("{who}: exception table decode failed: {e}")),
            Ok(got) => {
                if got != want {
                    c.fail(format!("{who}: exception table {want:?}, ours {got:?}"));
                }
                if let Err(e) = exctable::validate(&got, code_len) {
                    c.fail(format!("{who}: exception entries do not validate: {e}"));
                }
                match exctable::encode(&got) {
                    Ok(b) if b == raw => c.exc_tables_round_trip += 1,
                    Ok(b) => c.fail(format!(
                        "{who}: exception table re-encoded {} != raw {}",
                        hex(&b),
                        hex(&raw)
                    )),
                    Err(e) => c.fail(format!("{who}: exception table encode failed: {e}")),
                }
            }
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A module that drives every splitting path of the encoders: line jumps
/// beyond one byte both ways, ranges beyond 254 bytes and 8 code units on
/// one line, columns past 80 and 128, multi-line spans, code without a
/// line, and exception tables with offsets needing several varint chunks.
fn stress_source() -> String {
    let mut s = String::from("import sys\n\ndef far_lines(a):\n    x = a\n");
    s.push_str(&"\n".repeat(300));
    s.push_str("    y = x + 1\n");
    s.push_str(&"#\n".repeat(70_000));
    // NB: variable arguments, one per line: constant ones would be folded
    // into one tuple and lose their lines.
    s.push_str("    return y\n\ndef backwards(f, a):\n    return f(\n");
    s.push_str(&"        a,\n".repeat(400));
    s.push_str("    )\n\ndef one_long_line(o):\n    x = [");
    let names: Vec<String> = (0..400).map(|i| format!("o.a{i}(o.b{i})")).collect();
    s.push_str(&names.join(", "));
    s.push_str("]\n    return x\n\ndef spans(a, b, c):\n    return (a +\n            b) * c.method(\n        a, b)[\n    0]\n\n");
    s.push_str("def deep(a):\n    try:\n        with open(a) as f:\n            for x in f:\n                try:\n                    pass\n                except (OSError, ValueError) as e:\n                    raise RuntimeError(e) from None\n                finally:\n                    a = [y for y in x if y]\n    except* TypeError:\n        pass\n    finally:\n        del a\n\n");
    s.push_str("def huge_try(o):\n    try:\n");
    for i in 0..3000 {
        s.push_str(&format!("        o.f{i} = o.g{i}(o.h{i})\n"));
    }
    s.push_str("    except Exception:\n        return None\n\n");
    s.push_str("class C:\n    def m(self):\n        return lambda q: (yield q)\n    async def n(self):\n        async with self as s:\n            await s\n");
    s
}

/// Dumps with `args` (after the script path) and checks every record.
fn run_dump(interp: &oracle::Interpreter, args: &[String]) -> Result<Counts, String> {
    let script = oracle::repo_root().join("tools/oracle/positions_dump.py");
    // NB: streamed: a whole standard library dumps to hundreds of megabytes.
    let mut child = interp
        .command()
        .arg(&script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stderr = child.stderr.take().unwrap();
    let drain = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = BufReader::new(stderr).read_to_string(&mut s);
        s
    });
    let mut c = Counts::default();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if line.is_empty() {
            continue;
        }
        let rec: Value = serde_json::from_str(&line).map_err(|e| e.to_string())?;
        check_record(interp.version, &rec, &mut c);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let err = drain.join().unwrap();
    if !status.success() {
        return Err(format!("dump failed: {err}"));
    }
    Ok(c)
}

fn run_version(interp: &oracle::Interpreter, limit: usize) -> Result<Counts, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut args = vec![
        "--compile-stdlib".to_string(),
        dir.path().display().to_string(),
    ];
    if limit > 0 {
        args.push("--limit".into());
        args.push(limit.to_string());
    }
    run_dump(interp, &args)
}

#[test]
fn stress_tables_match_cpython() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("stress.py");
    std::fs::write(&src, stress_source()).unwrap();
    let interps: Vec<_> = oracle::find_all()
        .into_iter()
        .filter(|i| i.version.at_least(8))
        .collect();
    assert!(
        !interps.is_empty(),
        "no CPython 3.8+ interpreter found (see src/oracle.rs)"
    );
    let mut failed = false;
    for interp in &interps {
        // NB: `except*` is 3.11+ syntax; older versions get the module without it.
        let text = stress_source();
        let text = if interp.version.at_least(11) {
            text
        } else {
            text.replace("except* TypeError", "except TypeError")
        };
        let src = dir
            .path()
            .join(format!("stress{}.py", interp.version.minor));
        std::fs::write(&src, text).unwrap();
        let out = dir.path().join(format!("out{}", interp.version.minor));
        let args = vec![
            "--compile".to_string(),
            out.display().to_string(),
            src.display().to_string(),
        ];
        match run_dump(interp, &args) {
            Err(e) => {
                failed = true;
                eprintln!("{}: {e}", interp.describe());
            }
            Ok(c) => {
                eprintln!(
                    "{} stress: {} code objects, line tables round-tripped {}, exception tables {}, {} mismatch(es)",
                    interp.describe(),
                    c.code_objects,
                    c.line_tables_round_trip,
                    c.exc_tables_round_trip,
                    c.mismatches.len()
                );
                for m in &c.mismatches {
                    eprintln!("    {m}");
                }
                eprintln!("    exercised: {:?}", c.features.0);
                let want: &[&str] = match interp.version.minor {
                    8 | 9 => &[
                        "lnotab: 255-byte step",
                        "lnotab: +127 line step",
                        "lnotab: -128 line step",
                    ],
                    10 => &[
                        "3.10: 254-byte step",
                        "3.10: (0, +127) prefix",
                        "3.10: (0, -127) prefix",
                        "3.10: no line",
                    ],
                    _ => &[
                        "short form",
                        "one-line form",
                        "no-column form",
                        "long form",
                        "long form, multi-byte varints",
                        "no location",
                        "after an 8-unit entry",
                        "exception varint of 3+ chunks",
                    ],
                };
                let missing: Vec<_> = want.iter().filter(|w| !c.features.0.contains(*w)).collect();
                if !missing.is_empty() {
                    eprintln!("    stress source no longer exercises {missing:?}");
                }
                failed |= !c.mismatches.is_empty() || c.code_objects < 8 || !missing.is_empty();
            }
        }
    }
    let _ = src;
    assert!(!failed, "stress tables differ from CPython (details above)");
}

#[test]
fn tables_match_cpython() {
    let limit: usize = std::env::var("PYREWRITE_ORACLE_LIMIT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let interps: Vec<_> = oracle::find_all()
        .into_iter()
        .filter(|i| i.version.at_least(8))
        .collect();
    assert!(
        !interps.is_empty(),
        "no CPython 3.8+ interpreter found (see src/oracle.rs)"
    );
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = interps
            .iter()
            .map(|i| s.spawn(move || (i, run_version(i, limit))))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut failed = false;
    for (interp, r) in results {
        match r {
            Err(e) => {
                failed = true;
                eprintln!("{}: {e}", interp.describe());
            }
            Ok(c) => {
                eprintln!(
                    "{}: {} code objects, line tables round-tripped {}/{}, exception tables {}/{} ({} entries), {} mismatch(es)",
                    interp.describe(),
                    c.code_objects,
                    c.line_tables_round_trip,
                    c.code_objects,
                    c.exc_tables_round_trip,
                    if interp.version.at_least(11) { c.code_objects } else { 0 },
                    c.exc_entries,
                    c.mismatches.len()
                );
                for m in &c.mismatches {
                    eprintln!("    {m}");
                }
                failed |= !c.mismatches.is_empty() || c.code_objects == 0;
            }
        }
    }
    assert!(
        !failed,
        "line/exception tables differ from CPython (details above)"
    );
}

/// The committed corpus .pyc files (corpus/pyc/3.X), dumped by the
/// interpreter of that version.
#[test]
fn corpus_pyc_tables_match_cpython() {
    let interps: Vec<_> = oracle::find_all()
        .into_iter()
        .filter(|i| i.version.at_least(8))
        .collect();
    assert!(
        !interps.is_empty(),
        "no CPython 3.8+ interpreter found (see src/oracle.rs)"
    );
    let mut failed = false;
    let mut dumped = 0;
    for interp in &interps {
        let tree = oracle::repo_root().join(format!("corpus/pyc/{}", interp.version));
        if !tree.is_dir() {
            eprintln!("{}: no {}", interp.describe(), tree.display());
            continue;
        }
        match run_dump(interp, &["--tree".to_string(), tree.display().to_string()]) {
            Err(e) => {
                failed = true;
                eprintln!("{}: {e}", interp.describe());
            }
            Ok(c) => {
                dumped += 1;
                eprintln!(
                    "{} corpus: {} code objects, line tables round-tripped {}, exception tables {}, {} mismatch(es)",
                    interp.describe(),
                    c.code_objects,
                    c.line_tables_round_trip,
                    c.exc_tables_round_trip,
                    c.mismatches.len()
                );
                for m in &c.mismatches {
                    eprintln!("    {m}");
                }
                failed |= !c.mismatches.is_empty() || c.code_objects == 0;
            }
        }
    }
    assert!(
        dumped > 0,
        "no corpus/pyc/3.X directory matched an interpreter"
    );
    assert!(!failed, "corpus tables differ from CPython (details above)");
}
