//! Byte-for-byte round trips and edited trees:
//!
//! * every committed corpus `.pyc` (3.8..3.14, all header modes):
//!   `to_bytes(parse(file)) == file`;
//! * the whole standard library of each CPython found, compiled by that
//!   interpreter (cached in target/oracle-cache): same, with a
//!   `3.X: N/N identical` line per version;
//! * edited trees (a constant appended, a str made non-ASCII under its
//!   ASCII type byte, a small tuple grown past 255 items, an int past 32
//!   bits under `TYPE_INT`) are written, and the real interpreter's
//!   `marshal.loads` of the written file must give exactly the canonical
//!   text of our edited tree (one interpreter start per version).
//!
//! `-- --nocapture` shows the counts; missing interpreters print `skip 3.X: no interpreter`.

mod support;

use pyrewrite::marshal::{canon, tc, ObjId, Value};
use pyrewrite::pyc::Pyc;
use pyrewrite::PyVersion;
use std::path::PathBuf;

fn corpus_all(v: PyVersion) -> Vec<PathBuf> {
    let mut files = support::corpus_pyc_files(v);
    for mode in ["timestamp", "checked-hash"] {
        files.extend(support::corpus_header_variants(v, mode));
    }
    files
}

/// Round-trips the files; returns (identical, total) and the failures.
fn round_trip(files: &[PathBuf]) -> (usize, Vec<String>) {
    let mut same = 0;
    let mut bad = Vec::new();
    for f in files {
        let data = std::fs::read(f).expect("read pyc");
        match Pyc::parse(&data).and_then(|p| p.to_bytes()) {
            Ok(out) if out == data => same += 1,
            Ok(out) => {
                let at = out
                    .iter()
                    .zip(&data)
                    .position(|(a, b)| a != b)
                    .unwrap_or(out.len().min(data.len()));
                bad.push(format!(
                    "{}: written bytes differ at offset {at:#x} (len {} vs {})",
                    f.display(),
                    out.len(),
                    data.len()
                ));
            }
            Err(e) => bad.push(format!("{}: {e}", f.display())),
        }
    }
    (same, bad)
}

fn report(what: &str, v: PyVersion, files: &[PathBuf]) {
    let (same, bad) = round_trip(files);
    eprintln!("{what} {v}: {same}/{} identical", files.len());
    assert!(
        bad.is_empty(),
        "{what} {v}: {} file(s) do not round-trip:\n{}",
        bad.len(),
        bad[..bad.len().min(10)].join("\n")
    );
}

#[test]
fn corpus_round_trips_byte_for_byte() {
    let versions = support::corpus_versions();
    assert!(!versions.is_empty(), "no compiled corpus under corpus/pyc");
    for v in PyVersion::SUPPORTED {
        let files = corpus_all(v);
        if files.is_empty() {
            eprintln!("skip corpus {v}: corpus/pyc/{v} is missing");
            continue;
        }
        report("corpus", v, &files);
    }
}

fn stdlib_round_trip(v: PyVersion) {
    let Some(interp) = support::oracle_for(v) else {
        eprintln!("skip {v}: no interpreter");
        return;
    };
    let files = support::stdlib_pycs(&interp).unwrap_or_else(|e| panic!("{v}: {e}"));
    assert!(
        files.len() > 100,
        "{v}: only {} stdlib files compiled",
        files.len()
    );
    report("stdlib", v, &files);
}

/// Where two texts first differ, with context.
fn first_difference(a: &str, b: &str) -> String {
    let at = a
        .bytes()
        .zip(b.bytes())
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let clip = |s: &str| {
        s.get(at.saturating_sub(150)..(at + 150).min(s.len()))
            .unwrap_or("?")
            .to_string()
    };
    format!(
        "at char {at}:\n    got:      ...{}...\n    expected: ...{}...",
        clip(a),
        clip(b)
    )
}

// ---- edited trees ------------------------------------------------------

const NON_ASCII: &str = "pyrewrite-é-→-☃-𝄞";

/// Applies the four edits to the module; returns a description of each.
fn mutate(p: &mut Pyc) -> Vec<String> {
    let m = &mut p.marshal;
    let root = m.root_code().expect("module code object").clone();
    let mut done = Vec::new();

    // 1. A str constant (an existing ASCII one, keeping its ASCII type byte)
    //    becomes non-ASCII; the writer must switch to TYPE_UNICODE.
    let ascii_str = (0..m.nodes.len()).map(|i| ObjId(i as u32)).find(|&id| {
        let n = m.node(id);
        matches!(
            n.type_code(),
            tc::SHORT_ASCII | tc::SHORT_ASCII_INTERNED | tc::ASCII
        ) && m.items(root.consts).contains(&id)
    });
    let s = match ascii_str {
        Some(id) => {
            *m.get_mut(id) = Value::Str(NON_ASCII.as_bytes().into());
            id
        }
        None => m.push_node(tc::SHORT_ASCII, Value::Str(NON_ASCII.as_bytes().into())),
    };
    done.push(format!(
        "non-ASCII str in a {} node",
        if ascii_str.is_some() {
            "recorded"
        } else {
            "new"
        }
    ));

    // 2. An int past 32 bits under a TYPE_INT type byte.
    let big = m.push_node(tc::INT, Value::Int(-(1i64 << 31) - 12345));
    let existing_int = m
        .items(root.consts)
        .iter()
        .copied()
        .find(|&id| m.node(id).type_code() == tc::INT);
    if let Some(id) = existing_int {
        *m.get_mut(id) = Value::Int((1i64 << 31) + 7);
        done.push("int 2**31+7 in a recorded TYPE_INT node".into());
    }

    // 3. A tuple recorded as a small tuple grows past 255 items.
    let items: Vec<ObjId> = (0..300)
        .map(|i| m.push_node(tc::INT, Value::Int(i * 1000)))
        .collect();
    let tuple = m.push_node(tc::SMALL_TUPLE, Value::Tuple(items.into()));

    // 4. Constants appended to the module's co_consts.
    let added = m.push(Value::Str("pyrewrite-added".as_bytes().into()));
    let Value::Tuple(consts) = m.get_mut(root.consts) else {
        panic!("co_consts is a tuple")
    };
    let mut c = consts.to_vec();
    c.extend([added, s, big, tuple]);
    *consts = c.into();
    done.push("co_consts += ('pyrewrite-added', str, -(2**31)-12345, 300-tuple)".into());
    done
}

fn edited_trees_load(v: PyVersion) {
    let Some(interp) = support::oracle_for(v) else {
        eprintln!("skip {v}: no interpreter");
        return;
    };
    let files = support::corpus_pyc_files(v);
    assert!(!files.is_empty(), "{v}: no corpus files");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut written = Vec::new();
    let mut expected = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let data = std::fs::read(f).expect("read");
        let mut p = Pyc::parse(&data).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let before = canon::dump(&p.marshal);
        let edits = mutate(&mut p);
        let after = canon::dump(&p.marshal);
        assert_ne!(before, after, "{}: the edits changed nothing", f.display());
        assert!(
            after.contains("s:707972657772697465"),
            "edited tree lacks the added constant"
        ); // "pyrew..."
        let bytes = p
            .to_bytes()
            .unwrap_or_else(|e| panic!("{}: write after edit: {e}", f.display()));
        // Our own reader must read the edited file back to the same tree text,
        // and writing that again must give the same bytes.
        let back = Pyc::parse(&bytes)
            .unwrap_or_else(|e| panic!("{}: re-read after edit: {e}", f.display()));
        let reread = canon::dump(&back.marshal);
        assert!(
            reread == after,
            "{}: re-read differs: {}",
            f.display(),
            first_difference(&reread, &after)
        );
        assert_eq!(
            back.to_bytes().expect("rewrite"),
            bytes,
            "{}: second write differs",
            f.display()
        );
        let out = dir.path().join(format!("{i}.pyc"));
        std::fs::write(&out, &bytes).expect("write");
        written.push(out);
        expected.push((f.clone(), after, edits));
    }
    let theirs = support::canon_dump(&interp, &written)
        .unwrap_or_else(|e| panic!("{v}: canon_dump.py: {e}"));
    let mut bad = Vec::new();
    for (w, (orig, ours, edits)) in written.iter().zip(&expected) {
        let py = &theirs[w];
        if py != ours {
            bad.push(format!(
                "{} (edits: {}): CPython loads something else, {}",
                orig.display(),
                edits.join("; "),
                first_difference(py, ours)
            ));
        }
    }
    let recorded = |what: &str| {
        expected
            .iter()
            .filter(|(_, _, e)| e.iter().any(|x| x.starts_with(what)))
            .count()
    };
    eprintln!(
        "edited {v}: {}/{} written files load in CPython as edited ({} with a recorded ASCII str made non-ASCII, {} with a recorded TYPE_INT past 32 bits)",
        written.len() - bad.len(),
        written.len(),
        recorded("non-ASCII str in a recorded"),
        recorded("int 2**31+7")
    );
    assert!(
        bad.is_empty(),
        "{v}: {} edited file(s) load differently:\n{}",
        bad.len(),
        bad[..bad.len().min(5)].join("\n")
    );
}

macro_rules! versions {
    ($($stdlib:ident, $edited:ident => $minor:expr),* $(,)?) => {$(
        #[test]
        fn $stdlib() {
            stdlib_round_trip(PyVersion::new(3, $minor));
        }
        #[test]
        fn $edited() {
            edited_trees_load(PyVersion::new(3, $minor));
        }
    )*};
}

versions! {
    stdlib_3_8, edited_3_8 => 8,
    stdlib_3_9, edited_3_9 => 9,
    stdlib_3_10, edited_3_10 => 10,
    stdlib_3_11, edited_3_11 => 11,
    stdlib_3_12, edited_3_12 => 12,
    stdlib_3_13, edited_3_13 => 13,
    stdlib_3_14, edited_3_14 => 14,
}
