//! Unified diffs of disassembly text (`--diff`, `pyrewrite diff`), in the
//! format `patch` and `delta` read: `---`/`+++` headers, `@@` hunks with
//! three lines of context.

use similar::TextDiff;

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// The unified diff from `a` to `b` (disassemblies) under the names
/// `name_a`/`name_b`; empty when they are equal once code object
/// addresses are masked.
// NB: `similar` (Myers, linear space) replaced a quadratic hand-written LCS
// that printed whole disassemblies instead of hunks.
pub fn unified(a: &str, b: &str, name_a: &str, name_b: &str) -> String {
    let (a, b) = (mask_addresses(a), mask_addresses(b));
    if a == b {
        return String::new();
    }
    TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(CONTEXT)
        .missing_newline_hint(true)
        .header(name_a, name_b)
        .to_string()
}

/// `<code object f at 0x7f0000000400, ...>` becomes `<code object f at 0x..., ...>`.
// NB: the addresses are made up from arena positions, which a rewrite
// shifts; unmasked, every nested code object would show as changed.
pub fn mask_addresses(text: &str) -> String {
    const AT: &str = " at 0x";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(AT) {
        out.push_str(&rest[..i + AT.len()]);
        rest = rest[i + AT.len()..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
        out.push_str("...");
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_with_context() {
        let a: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let b = a.replace("line 10\n", "line ten\n");
        let d = unified(&a, &b, "x\tbefore", "x\tafter");
        assert_eq!(
            d,
            "--- x\tbefore\n+++ x\tafter\n@@ -7,7 +7,7 @@\n line 7\n line 8\n line 9\n-line 10\n+line ten\n line 11\n line 12\n line 13\n"
        );
        assert_eq!(unified(&a, &a, "x", "x"), "");
    }
}
