//! What `pyrewrite diff` reports: two files compared header field by field and code object by code object.
//!
//! Code objects are paired top-down: the modules with each other, then for
//! each pair their nested code objects, first by equal qualified name (k-th
//! occurrence with k-th occurrence), then the leftovers by position. What
//! stays unpaired is listed with its whole subtree.

use super::{const_repr, hex};
use crate::code::{flag_names, qualnames, CodeView};
use crate::error::{Error, ErrorKind, Result};
use crate::marshal::ObjId;
use crate::pyc::Pyc;
use serde::Serialize;
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::fmt::Write;

/// The comparison of two files.
#[derive(Clone, Debug, Serialize)]
pub struct FileDiff {
    /// Header fields of both files.
    pub header: Vec<AttrDiff>,
    /// Whether every header field matches.
    pub header_identical: bool,
    /// Paired code objects, in pre-order of the first file's tree.
    pub pairs: Vec<CodePair>,
    /// Code objects of the first file with no partner.
    pub only_in_a: Vec<Unpaired>,
    /// Code objects of the second file with no partner.
    pub only_in_b: Vec<Unpaired>,
    /// Every code object paired and every pair identical.
    pub code_identical: bool,
    /// `code_identical` and `header_identical`.
    pub identical: bool,
}

/// One attribute of both sides.
#[derive(Clone, Debug, Serialize)]
pub struct AttrDiff {
    /// Attribute name (`argcount`, `names`, `bytecode`, ...).
    pub attr: &'static str,
    /// Value in the first file (numbers, strings, lists of strings; bytes as hex).
    pub a: Json,
    /// Value in the second file.
    pub b: Json,
    /// Whether they are equal.
    pub same: bool,
}

/// How a pair was formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairedBy {
    /// The two module code objects.
    Root,
    /// Same qualified name under paired parents.
    Qualname,
    /// Left over after qualname pairing, same rank among the leftovers.
    Position,
}

/// Two code objects compared.
#[derive(Clone, Debug, Serialize)]
pub struct CodePair {
    /// Qualified name in the first file.
    pub qualname_a: String,
    /// Qualified name in the second file.
    pub qualname_b: String,
    /// Nesting depth (module = 0).
    pub depth: usize,
    /// How the pair was formed.
    pub paired_by: PairedBy,
    /// `co_code` byte for byte equal.
    pub bytecode_identical: bool,
    /// Every attribute equal.
    pub identical: bool,
    /// Every compared attribute.
    pub attrs: Vec<AttrDiff>,
}

/// A code object with no partner.
#[derive(Clone, Debug, Serialize)]
pub struct Unpaired {
    /// Its qualified name.
    pub qualname: String,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// Nesting depth.
    pub depth: usize,
}

fn attr(attr: &'static str, a: Json, b: Json) -> AttrDiff {
    let same = a == b;
    AttrDiff { attr, a, b, same }
}

fn root(p: &Pyc) -> Result<CodeView<'_>> {
    CodeView::new(&p.marshal, p.marshal.root).ok_or_else(|| {
        Error::new(ErrorKind::UnexpectedType {
            expected: "a code object at the top of the file",
            found: crate::marshal::read::describe(p.marshal.get(p.marshal.root)).to_string(),
        })
    })
}

impl FileDiff {
    /// Compares two parsed files (of any versions).
    pub fn of(a: &Pyc, b: &Pyc) -> Result<FileDiff> {
        let (ha, hb) = (
            super::info::HeaderInfo::of(&a.header),
            super::info::HeaderInfo::of(&b.header),
        );
        let header = vec![
            attr("version", json!(ha.version), json!(hb.version)),
            attr("magic", json!(ha.magic), json!(hb.magic)),
            attr("flags", json!(ha.flags), json!(hb.flags)),
            attr(
                "invalidation",
                json!(ha.invalidation),
                json!(hb.invalidation),
            ),
        ];
        let header_identical = header.iter().all(|d| d.same);
        let (ra, rb) = (root(a)?, root(b)?);
        let qa: HashMap<ObjId, String> = qualnames(&a.marshal).into_iter().collect();
        let qb: HashMap<ObjId, String> = qualnames(&b.marshal).into_iter().collect();
        let q = |m: &HashMap<ObjId, String>, cv: &CodeView| {
            m.get(&cv.id).cloned().unwrap_or_else(|| cv.name().into())
        };

        let mut pairs = Vec::new();
        let (mut only_in_a, mut only_in_b) = (Vec::new(), Vec::new());
        // NB: explicit stack (depth comes from the file), children pushed in
        // reverse so pairs come out in pre-order.
        let mut stack = vec![(ra, rb, 0usize, PairedBy::Root)];
        while let Some((ca, cb, depth, by)) = stack.pop() {
            pairs.push(compare(&ca, &cb, q(&qa, &ca), q(&qb, &cb), depth, by));
            let (kids_a, kids_b) = (ca.children(), cb.children());
            let names_a: Vec<String> = kids_a.iter().map(|c| q(&qa, c)).collect();
            let names_b: Vec<String> = kids_b.iter().map(|c| q(&qb, c)).collect();
            let (matched, left_a, left_b) = pair_children(&names_a, &names_b);
            let mut next: Vec<(usize, usize, PairedBy)> = matched
                .into_iter()
                .map(|(i, j)| (i, j, PairedBy::Qualname))
                .collect();
            let n = left_a.len().min(left_b.len());
            next.extend(
                left_a
                    .iter()
                    .zip(&left_b)
                    .map(|(&i, &j)| (i, j, PairedBy::Position)),
            );
            next.sort_by_key(|&(i, _, _)| i);
            for &(i, j, by) in next.iter().rev() {
                stack.push((kids_a[i], kids_b[j], depth + 1, by));
            }
            for &i in &left_a[n..] {
                unpaired(&kids_a[i], depth + 1, &qa, &mut only_in_a);
            }
            for &j in &left_b[n..] {
                unpaired(&kids_b[j], depth + 1, &qb, &mut only_in_b);
            }
        }
        let code_identical =
            only_in_a.is_empty() && only_in_b.is_empty() && pairs.iter().all(|p| p.identical);
        Ok(FileDiff {
            header,
            header_identical,
            pairs,
            only_in_a,
            only_in_b,
            code_identical,
            identical: code_identical && header_identical,
        })
    }

    /// The human-readable report; `all` also prints matching attributes
    /// with their values (otherwise only their names); `ignore_header`
    /// bases the verdict on the code objects alone.
    pub fn to_text(&self, name_a: &str, name_b: &str, all: bool, ignore_header: bool) -> String {
        let mut out = String::new();
        let version = &self.header[0];
        let _ = writeln!(out, "--- {name_a} (CPython {})", json_text(&version.a));
        let _ = writeln!(out, "+++ {name_b} (CPython {})", json_text(&version.b));
        if self.header_identical {
            let _ = writeln!(out, "header: identical");
        } else {
            let _ = writeln!(
                out,
                "header: differs{}",
                if ignore_header { " (ignored)" } else { "" }
            );
            write_attrs(&mut out, "  ", &self.header, all);
        }
        for p in &self.pairs {
            let pad = "  ".repeat(p.depth);
            let how = match p.paired_by {
                PairedBy::Root => "module",
                PairedBy::Qualname => "paired by qualname",
                PairedBy::Position => "paired by position",
            };
            let names = if p.qualname_a == p.qualname_b {
                p.qualname_a.clone()
            } else {
                format!("{} <-> {}", p.qualname_a, p.qualname_b)
            };
            let verdict = if p.identical { "identical" } else { "differs" };
            let _ = writeln!(out, "\n{pad}code {names} ({how}): {verdict}");
            let bc = p
                .attrs
                .iter()
                .find(|d| d.attr == "bytecode")
                .expect("bytecode is compared");
            let _ = writeln!(
                out,
                "{pad}  bytecode identical: {}{}",
                if p.bytecode_identical { "yes" } else { "no" },
                bytes_note(bc)
            );
            write_attrs(&mut out, &format!("{pad}  "), &p.attrs, all);
        }
        for (label, list) in [(name_a, &self.only_in_a), (name_b, &self.only_in_b)] {
            for u in list {
                let _ = writeln!(
                    out,
                    "\nonly in {label}: code {} (line {})",
                    u.qualname, u.firstlineno
                );
            }
        }
        let differing = self.pairs.iter().filter(|p| !p.identical).count();
        let same = if ignore_header {
            self.code_identical
        } else {
            self.identical
        };
        let _ = writeln!(
            out,
            "\n{}: {} code object pair(s), {differing} differ, {} unpaired in {name_a}, {} unpaired in {name_b}{}",
            if same { "identical" } else { "different" },
            self.pairs.len(),
            self.only_in_a.len(),
            self.only_in_b.len(),
            match (self.header_identical, ignore_header) {
                (true, _) => "",
                (false, false) => "; headers differ",
                (false, true) => "; headers differ (ignored)",
            }
        );
        out
    }
}

/// Pairs names: equal names in order of occurrence, then returns the
/// unmatched indices of each side (in order).
fn pair_children(a: &[String], b: &[String]) -> (Vec<(usize, usize)>, Vec<usize>, Vec<usize>) {
    let mut used_b = vec![false; b.len()];
    let mut matched = Vec::new();
    let mut left_a = Vec::new();
    for (i, name) in a.iter().enumerate() {
        match (0..b.len()).find(|&j| !used_b[j] && &b[j] == name) {
            Some(j) => {
                used_b[j] = true;
                matched.push((i, j));
            }
            None => left_a.push(i),
        }
    }
    let left_b = (0..b.len()).filter(|&j| !used_b[j]).collect();
    (matched, left_a, left_b)
}

fn unpaired(cv: &CodeView, depth: usize, q: &HashMap<ObjId, String>, out: &mut Vec<Unpaired>) {
    let mut stack = vec![(*cv, depth)];
    while let Some((c, d)) = stack.pop() {
        out.push(Unpaired {
            qualname: q.get(&c.id).cloned().unwrap_or_else(|| c.name().into()),
            firstlineno: c.code.firstlineno,
            depth: d,
        });
        for k in c.children().into_iter().rev() {
            stack.push((k, d + 1));
        }
    }
}

fn compare(
    a: &CodeView,
    b: &CodeView,
    qa: String,
    qb: String,
    depth: usize,
    paired_by: PairedBy,
) -> CodePair {
    let strs =
        |v: Vec<std::borrow::Cow<str>>| json!(v.iter().map(|s| s.as_ref()).collect::<Vec<_>>());
    let consts = |c: &CodeView| {
        json!(c
            .consts()
            .iter()
            .map(|&k| const_repr(c.m, k))
            .collect::<Vec<_>>())
    };
    let (ca, cb) = (a.code, b.code);
    let attrs = vec![
        attr("argcount", json!(ca.argcount), json!(cb.argcount)),
        attr(
            "posonlyargcount",
            json!(ca.posonlyargcount),
            json!(cb.posonlyargcount),
        ),
        attr(
            "kwonlyargcount",
            json!(ca.kwonlyargcount),
            json!(cb.kwonlyargcount),
        ),
        attr("nlocals", json!(a.nlocals()), json!(b.nlocals())),
        attr("stacksize", json!(ca.stacksize), json!(cb.stacksize)),
        attr("flags", json!(ca.flags), json!(cb.flags)),
        attr("names", strs(a.names()), strs(b.names())),
        attr("varnames", strs(a.varnames()), strs(b.varnames())),
        attr("cellvars", strs(a.cellvars()), strs(b.cellvars())),
        attr("freevars", strs(a.freevars()), strs(b.freevars())),
        attr("consts", consts(a), consts(b)),
        attr("filename", json!(a.filename()), json!(b.filename())),
        attr("name", json!(a.name()), json!(b.name())),
        attr("qualname", json!(qa), json!(qb)),
        attr("firstlineno", json!(ca.firstlineno), json!(cb.firstlineno)),
        attr(
            "linetable",
            json!(hex(a.linetable())),
            json!(hex(b.linetable())),
        ),
        attr(
            "exceptiontable",
            json!(hex(a.exceptiontable())),
            json!(hex(b.exceptiontable())),
        ),
        attr(
            "bytecode",
            json!(hex(a.bytecode())),
            json!(hex(b.bytecode())),
        ),
    ];
    let bytecode_identical = a.bytecode() == b.bytecode();
    let identical = attrs.iter().all(|d| d.same);
    CodePair {
        qualname_a: qa,
        qualname_b: qb,
        depth,
        paired_by,
        bytecode_identical,
        identical,
        attrs,
    }
}

const BYTES_ATTRS: [&str; 3] = ["linetable", "exceptiontable", "bytecode"];

/// `(N bytes)` or `(N vs M bytes, first difference at offset 0x..)`.
fn bytes_note(d: &AttrDiff) -> String {
    let (a, b) = (d.a.as_str().unwrap_or(""), d.b.as_str().unwrap_or(""));
    if d.same {
        return format!(" ({} bytes)", a.len() / 2);
    }
    let first = a
        .as_bytes()
        .chunks(2)
        .zip(b.as_bytes().chunks(2))
        .position(|(x, y)| x != y);
    let at = first.unwrap_or(a.len().min(b.len()) / 2);
    format!(
        " ({} vs {} bytes, first difference at offset {at:#x})",
        a.len() / 2,
        b.len() / 2
    )
}

fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn value_text(d: &AttrDiff, v: &Json) -> String {
    match (d.attr, v) {
        ("flags", Json::Number(n)) => {
            let f = n.as_u64().unwrap_or(0) as u32;
            format!("{f:#x} ({})", flag_names(f).join(", "))
        }
        (a, Json::String(s)) if BYTES_ATTRS.contains(&a) => {
            if s.len() <= 96 {
                format!("{} bytes: {s}", s.len() / 2)
            } else {
                format!("{} bytes: {}...", s.len() / 2, &s[..96])
            }
        }
        (_, Json::Array(items)) => {
            let parts: Vec<String> = items.iter().map(json_text).collect();
            format!("[{}]", parts.join(", "))
        }
        (_, Json::Object(_)) => {
            let mut parts = Vec::new();
            if let Json::Object(map) = v {
                for (k, x) in map {
                    parts.push(format!("{k}={}", json_text(x)));
                }
            }
            parts.join(" ")
        }
        (_, other) => json_text(other),
    }
}

fn write_attrs(out: &mut String, pad: &str, attrs: &[AttrDiff], all: bool) {
    let mut same = Vec::new();
    for d in attrs {
        if d.same && !all {
            same.push(d.attr);
            continue;
        }
        if d.same {
            let _ = writeln!(out, "{pad}= {:<15} {}", d.attr, value_text(d, &d.a));
        } else {
            let _ = writeln!(out, "{pad}! {:<15} a: {}", d.attr, value_text(d, &d.a));
            let _ = writeln!(out, "{pad}  {:<15} b: {}", "", value_text(d, &d.b));
        }
    }
    if same.len() == attrs.len() {
        let _ = writeln!(out, "{pad}= all {} attributes match", attrs.len());
    } else if !same.is_empty() {
        let _ = writeln!(out, "{pad}= same: {}", same.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::pair_children;

    #[test]
    fn pairs_by_name_then_position() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (m, la, lb) = pair_children(
            &s(&["f", "<lambda>", "g", "<lambda>"]),
            &s(&["g", "h", "<lambda>"]),
        );
        assert_eq!(m, vec![(1, 2), (2, 0)]);
        assert_eq!(la, vec![0, 3]);
        assert_eq!(lb, vec![1]);
    }
}
