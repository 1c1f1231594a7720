//! The generated opcode tables against each real CPython 3.8..3.14 found.
//!
//! Runs tools/oracle/opcode_facts.py under the interpreter `pyrewrite::oracle`
//! finds for the version and compares every fact it prints with
//! `pyrewrite::opcodes::table(v)`: names and codes, argument presence and
//! meaning (each `opcode.has*` list), jump direction, unit and targets,
//! inline caches, op kinds, argument tables, and `dis.stack_effect` for
//! every sampled oparg and jump value. A version without an interpreter
//! prints a SKIP line; any mismatch fails with the list of differences.

use pyrewrite::opcodes::{self, ArgKind, OpKind, OpTable};
use pyrewrite::oracle;
use pyrewrite::PyVersion;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Collects differences; prints at most a few hundred.
#[derive(Default)]
struct Diffs {
    list: Vec<String>,
    checks: usize,
}

impl Diffs {
    fn eq<T: PartialEq + std::fmt::Debug>(
        &mut self,
        what: impl FnOnce() -> String,
        ours: T,
        cpython: T,
    ) {
        self.checks += 1;
        if ours != cpython {
            self.list.push(format!(
                "{}: ours {:?}, CPython {:?}",
                what(),
                ours,
                cpython
            ));
        }
    }
}

fn ints(v: &Value) -> BTreeSet<u8> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_u64().unwrap() as u8).collect())
        .unwrap_or_default()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn code_map(v: &Value) -> BTreeMap<u8, i64> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, x)| (k.parse().unwrap(), x.as_i64().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

fn facts_of(v: PyVersion) -> Option<(String, Value)> {
    let Some(py) = oracle::find(v) else {
        println!("SKIP opcodes_oracle {v}: no CPython {v} interpreter found (see src/oracle.rs)");
        return None;
    };
    let script = oracle::repo_root().join("tools/oracle/opcode_facts.py");
    let out = py
        .run_script(&script, &["--compact"])
        .expect("start interpreter");
    assert!(
        out.status.success(),
        "{}: opcode_facts.py failed: {}",
        py.describe(),
        String::from_utf8_lossy(&out.stderr)
    );
    let facts: Value = serde_json::from_slice(&out.stdout).expect("facts JSON");
    Some((py.describe(), facts))
}

/// The ArgKind each `opcode.has*` list stands for.
const LIST_KINDS: &[(&str, ArgKind)] = &[
    ("hasconst", ArgKind::Const),
    ("hasname", ArgKind::Name),
    ("haslocal", ArgKind::Local),
    ("hasfree", ArgKind::Free),
    ("hascompare", ArgKind::Compare),
];

/// Argument meanings dis attaches to one opcode name, with the opcode.py
/// table it indexes.
const NAME_KINDS: &[(&str, ArgKind)] = &[
    ("BINARY_OP", ArgKind::BinaryOp),
    ("CALL_INTRINSIC_1", ArgKind::Intrinsic1),
    ("CALL_INTRINSIC_2", ArgKind::Intrinsic2),
    ("LOAD_SPECIAL", ArgKind::SpecialMethod),
    ("LOAD_COMMON_CONSTANT", ArgKind::CommonConstant),
];

fn check_ops(t: &OpTable, f: &Value, d: &mut Diffs) {
    let v = t.version;
    let cpy: BTreeMap<u8, String> = f["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_u64().unwrap() as u8,
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for code in 0..=255u8 {
        d.eq(
            || format!("{v} opcode {code} name"),
            t.get(code).map(|o| o.name.to_string()),
            cpy.get(&code).cloned(),
        );
        if let Some(o) = t.get(code) {
            d.eq(|| format!("{v} {} code field", o.name), o.code, code);
            d.eq(
                || format!("{v} by_name({})", o.name),
                t.by_name(o.name).map(|x| x.code),
                Some(code),
            );
        }
    }

    let deopt = code_map(&f["deopt"]);
    let has_arg = ints(&f["has_arg"]);
    let lists = &f["lists"];
    let jrel = ints(&lists["hasjrel"]);
    let jabs = ints(&lists["hasjabs"]);
    let jump_any: BTreeSet<u8> = jrel
        .iter()
        .chain(&jabs)
        .chain(&ints(&lists["hasjump"]))
        .copied()
        .collect();
    let backward = ints(&f["backward"]);
    let caches = code_map(&f["cache_entries"]);
    let spec = ints(&f["specialized"]);
    let instr = ints(&f["instrumented"]);
    let unit = if v.at_least(10) { 2 } else { 1 };
    d.eq(|| format!("{v} jump_unit_bytes"), t.jump_unit_bytes(), unit);

    for (&code, name) in &cpy {
        let Some(o) = t.get(code) else { continue };
        let base = deopt.get(&code).map_or(code, |&b| b as u8);
        d.eq(|| format!("{v} {name} deopt"), t.deopt(code), base);
        d.eq(
            || format!("{v} {name} has_arg"),
            o.has_arg,
            has_arg.contains(&code),
        );
        d.eq(
            || format!("{v} {name} arg None iff no argument"),
            o.arg == ArgKind::None,
            !has_arg.contains(&code),
        );
        for (list, kind) in LIST_KINDS {
            let member = ints(&lists[*list]).contains(&base);
            d.eq(
                || format!("{v} {name} arg {kind:?} iff deopt in {list}"),
                o.arg == *kind,
                member,
            );
        }
        d.eq(
            || format!("{v} {name} arg Jump iff deopt in a jump list"),
            o.arg == ArgKind::Jump,
            jump_any.contains(&base),
        );
        let base_name = cpy.get(&base).map(String::as_str).unwrap_or("");
        for (op_name, kind) in NAME_KINDS {
            d.eq(
                || format!("{v} {name} arg {kind:?} iff deopt is {op_name}"),
                o.arg == *kind,
                base_name == *op_name,
            );
        }
        let in_a_list = LIST_KINDS
            .iter()
            .any(|(l, _)| ints(&lists[*l]).contains(&base))
            || jump_any.contains(&base)
            || NAME_KINDS.iter().any(|(n, _)| *n == base_name);
        d.eq(
            || format!("{v} {name} arg Int iff argument but in no list"),
            o.arg == ArgKind::Int,
            has_arg.contains(&code) && !in_a_list,
        );

        d.eq(
            || format!("{v} {name} jump present"),
            o.jump.is_some(),
            jump_any.contains(&base),
        );
        if let Some(j) = o.jump {
            d.eq(
                || format!("{v} {name} jump relative"),
                j.relative,
                jrel.contains(&base),
            );
            // NB: dis asks _is_backward_jump about the deoptimized opcode.
            d.eq(
                || format!("{v} {name} jump backward"),
                j.backward,
                backward.contains(&base),
            );
            d.eq(
                || format!("{v} {name} jump unit"),
                u32::from(j.unit_bytes),
                unit,
            );
        }
        d.eq(
            || format!("{v} {name} cache_entries"),
            i64::from(o.cache_entries),
            caches.get(&code).copied().unwrap_or(0),
        );
        // The named cache fields (opcode._cache_format), in order.
        let fields: Vec<(String, i64)> = f["cache_format"]
            .get(code.to_string())
            .and_then(|x| x.as_array())
            .map(|a| {
                a.iter()
                    .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_i64().unwrap()))
                    .collect()
            })
            .unwrap_or_default();
        d.eq(
            || format!("{v} {name} cache_fields"),
            o.cache_fields
                .iter()
                .map(|(n, k)| (n.to_string(), i64::from(*k)))
                .collect::<Vec<_>>(),
            fields,
        );
        let kind = if spec.contains(&code) {
            OpKind::Specialized
        } else if instr.contains(&code) {
            OpKind::Instrumented
        } else {
            OpKind::Base
        };
        d.eq(|| format!("{v} {name} kind"), o.kind, kind);
    }

    // Jump targets as dis computes them.
    let targets = f["jump_targets"].as_object().unwrap();
    for code in 0..=255u8 {
        let rows = targets.get(&code.to_string());
        if rows.is_none() {
            d.eq(
                || format!("{v} opcode {code} jump_target(0, 16)"),
                t.jump_target(code, 0, 16),
                None,
            );
            continue;
        }
        for r in rows.unwrap().as_array().unwrap() {
            let (arg, off) = (r[0].as_u64().unwrap() as u32, r[1].as_u64().unwrap() as u32);
            d.eq(
                || format!("{v} {} jump_target(arg={arg}, at {off})", cpy[&code]),
                t.jump_target(code, arg, off),
                r[2].as_i64(),
            );
        }
    }
}

fn check_tables(t: &OpTable, f: &Value, d: &mut Diffs) {
    let v = t.version;
    d.eq(
        || format!("{v} HAVE_ARGUMENT"),
        i64::from(t.have_argument),
        f["have_argument"].as_i64().unwrap(),
    );
    d.eq(
        || format!("{v} EXTENDED_ARG"),
        i64::from(t.extended_arg),
        f["extended_arg"].as_i64().unwrap(),
    );
    let ours = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    d.eq(|| format!("{v} cmp_op"), ours(t.cmp_op), strs(&f["cmp_op"]));
    let nb: Vec<Vec<String>> = t
        .nb_ops
        .iter()
        .map(|(a, b)| vec![a.to_string(), b.to_string()])
        .collect();
    let nb_cpy: Vec<Vec<String>> = f["nb_ops"]
        .as_array()
        .map(|a| a.iter().map(strs).collect())
        .unwrap_or_default();
    d.eq(|| format!("{v} nb_ops"), nb, nb_cpy);
    for (name, ours_list, key) in [
        ("intrinsic1", t.intrinsic1, "intrinsic1"),
        ("intrinsic2", t.intrinsic2, "intrinsic2"),
        (
            "special_method_names",
            t.special_method_names,
            "special_method_names",
        ),
        ("common_constants", t.common_constants, "common_constants"),
        (
            "format_value_converters",
            t.format_value_converters,
            "format_value_converters",
        ),
        (
            "function_attr_flags",
            t.function_attr_flags,
            "function_attr_flags",
        ),
    ] {
        d.eq(|| format!("{v} {name}"), ours(ours_list), strs(&f[key]));
    }
}

fn check_stack_effect(t: &OpTable, f: &Value, d: &mut Diffs) {
    let v = t.version;
    let sample: Vec<u32> = f["sample"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect();
    let jumps = [("N", None), ("T", Some(true)), ("F", Some(false))];
    for (code_s, per) in f["stack_effect"].as_object().unwrap() {
        let code: u8 = code_s.parse().unwrap();
        let name = t.get(code).map_or("?", |o| o.name);
        for (key, jump) in jumps {
            let vals = per[key].as_array().unwrap();
            if vals.len() == 1 {
                // NB: no argument: CPython was asked with oparg=None; ours ignores oparg.
                for arg in [0, 1, 3, 255, 65535] {
                    d.eq(
                        || format!("{v} stack_effect({name}, {arg} ignored, jump={jump:?})"),
                        t.stack_effect(code, arg, jump),
                        vals[0].as_i64().map(|x| x as i32),
                    );
                }
                continue;
            }
            for (arg, want) in sample.iter().zip(vals) {
                d.eq(
                    || format!("{v} stack_effect({name}, {arg}, jump={jump:?})"),
                    t.stack_effect(code, *arg, jump),
                    want.as_i64().map(|x| x as i32),
                );
            }
        }
    }
    for (code_s, vals) in f["unused_stack_effect"].as_object().unwrap() {
        let code: u8 = code_s.parse().unwrap();
        let vals = vals.as_array().unwrap();
        let mut i = 0;
        for arg in [0u32, 0, 1] {
            for (_, jump) in jumps {
                d.eq(
                    || format!("{v} stack_effect(unused byte {code}, {arg}, jump={jump:?})"),
                    t.stack_effect(code, arg, jump),
                    vals[i].as_i64().map(|x| x as i32),
                );
                i += 1;
            }
        }
    }
}

/// The hand-written argument decoders against dis's own rendering.
fn check_decoded_args(t: &OpTable, f: &Value, d: &mut Diffs) {
    let v = t.version;
    let decoded = f["decoded_args"]
        .as_object()
        .expect("facts lack decoded_args (stale opcode_facts.py?)");
    for (name, rows) in decoded {
        let Some(op) = t.by_name(name).map(|o| o.code) else {
            d.eq(|| format!("{v} {name} present"), false, true);
            continue;
        };
        let pair = rows.as_array().unwrap().iter().any(|r| r[1].is_array());
        d.eq(
            || format!("{v} is_local_pair({name})"),
            opcodes::is_local_pair(name),
            pair,
        );
        for r in rows.as_array().unwrap() {
            let arg = r[0].as_u64().unwrap() as u32;
            let (val, rep) = (&r[1], r[2].as_str());
            match name.as_str() {
                "COMPARE_OP" => {
                    let want = val
                        .as_str()
                        .map(|s| (s.to_string(), rep.unwrap().starts_with("bool(")));
                    let ours = t.compare_op(arg).map(|(s, b)| (s.to_string(), b));
                    d.eq(|| format!("{v} compare_op({arg})"), ours, want);
                }
                _ if pair => {
                    let (a, b) = opcodes::local_pair(arg);
                    let want: Vec<String> = strs(val);
                    d.eq(
                        || format!("{v} {name} local_pair({arg})"),
                        vec![format!("v{a}"), format!("v{b}")],
                        want,
                    );
                }
                _ => {
                    let n = t.name_arg(op, arg);
                    let want = (
                        val.as_str().map(str::to_string),
                        rep.is_some_and(|r| r.contains("NULL")),
                    );
                    d.eq(
                        || format!("{v} {name} name_arg({arg})"),
                        (Some(format!("n{}", n.index)), n.low_bit),
                        want,
                    );
                }
            }
        }
    }
    for o in t.ops.iter().flatten() {
        if opcodes::is_local_pair(o.name) {
            d.eq(
                || format!("{v} {} sampled as a pair by opcode_facts.py", o.name),
                decoded.contains_key(o.name),
                true,
            );
        }
    }
}

fn check_version(minor: u8) {
    let v = PyVersion::new(3, minor);
    let t = opcodes::table(v).expect("table for a supported version");
    assert_eq!(t.version, v);
    let Some((who, f)) = facts_of(v) else { return };
    assert_eq!(
        f["version"],
        serde_json::json!([3, minor]),
        "{who} reports another version"
    );
    for key in [
        "ops",
        "has_arg",
        "lists",
        "deopt",
        "backward",
        "cache_entries",
        "cache_format",
        "specialized",
        "instrumented",
        "sample",
        "stack_effect",
        "unused_stack_effect",
        "jump_targets",
        "decoded_args",
    ] {
        assert!(
            f.get(key).is_some(),
            "{who}: opcode_facts.py output lacks {key:?} (stale script?)"
        );
    }
    let mut d = Diffs::default();
    check_tables(t, &f, &mut d);
    check_ops(t, &f, &mut d);
    check_stack_effect(t, &f, &mut d);
    check_decoded_args(t, &f, &mut d);
    println!(
        "opcodes_oracle {v}: {} checks against {who}, {} mismatches",
        d.checks,
        d.list.len()
    );
    if !d.list.is_empty() {
        let shown: Vec<&String> = d.list.iter().take(200).collect();
        panic!(
            "{v}: {} mismatches with {who} (regenerate with `python3 tools/gen_opcodes.py --collect`?):\n{}",
            d.list.len(),
            shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        );
    }
}

#[test]
fn opcodes_3_8() {
    check_version(8);
}

#[test]
fn opcodes_3_9() {
    check_version(9);
}

#[test]
fn opcodes_3_10() {
    check_version(10);
}

#[test]
fn opcodes_3_11() {
    check_version(11);
}

#[test]
fn opcodes_3_12() {
    check_version(12);
}

#[test]
fn opcodes_3_13() {
    check_version(13);
}

#[test]
fn opcodes_3_14() {
    check_version(14);
}
