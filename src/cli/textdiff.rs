//! `--diff`: the before/after disassembly of every code object a rewrite
//! changed, as unified-style line diffs.

use pyrewrite::code::qualnames;
use pyrewrite::dis;
use pyrewrite::marshal::Marshal;
use std::fmt::Write;

/// Per code object (in `dis` order): qualname and its disassembly.
pub fn snapshot(m: &Marshal) -> Vec<(String, String)> {
    let names = qualnames(m);
    m.code_objects()
        .into_iter()
        .map(|(id, _)| {
            let q = names.iter().find(|(i, _)| *i == id).map_or_else(|| "?".to_string(), |(_, q)| q.clone());
            let text = dis::disassemble(m, id).unwrap_or_else(|e| format!("(cannot disassemble: {e})\n"));
            (q, text)
        })
        .collect()
}

/// The diff of two snapshots of the same file; empty when nothing changed.
pub fn render(path: &str, before: &[(String, String)], after: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (q, a)) in before.iter().enumerate() {
        let b = after.get(i).map_or("", |(_, t)| t.as_str());
        if a == b {
            continue;
        }
        if out.is_empty() {
            let _ = writeln!(out, "--- {path} (before)\n+++ {path} (after)");
        }
        let _ = writeln!(out, "@@ code object {q} @@");
        lines(&mut out, a, b);
    }
    out
}

/// Line diff by longest common subsequence; context lines start with a
/// space, removed ones with `-`, added ones with `+`.
fn lines(out: &mut String, a: &str, b: &str) {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    // NB: quadratic table; code objects beyond this size are shown whole.
    if a.len().saturating_mul(b.len()) > 16_000_000 {
        a.iter().for_each(|l| {
            let _ = writeln!(out, "-{l}");
        });
        b.iter().for_each(|l| {
            let _ = writeln!(out, "+{l}");
        });
        return;
    }
    let (n, m) = (a.len(), b.len());
    let mut t = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i * (m + 1) + j] = if a[i] == b[j] {
                t[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                t[(i + 1) * (m + 1) + j].max(t[i * (m + 1) + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            let _ = writeln!(out, " {}", a[i]);
            i += 1;
            j += 1;
        } else if i < n && (j == m || t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1]) {
            let _ = writeln!(out, "-{}", a[i]);
            i += 1;
        } else {
            let _ = writeln!(out, "+{}", b[j]);
            j += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_changed_lines_only() {
        let mut out = String::new();
        lines(&mut out, "a\nb\nc\n", "a\nx\nc\n");
        assert_eq!(out, " a\n-b\n+x\n c\n");
        let before = vec![("f".to_string(), "a\n".to_string()), ("g".to_string(), "same\n".to_string())];
        let after = vec![("f".to_string(), "b\n".to_string()), ("g".to_string(), "same\n".to_string())];
        let r = render("m.pyc", &before, &after);
        assert!(r.starts_with("--- m.pyc (before)\n+++ m.pyc (after)\n@@ code object f @@\n"), "{r}");
        assert!(!r.contains("code object g"));
        assert_eq!(render("m.pyc", &before, &before), "");
    }
}
