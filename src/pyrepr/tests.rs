//! repr() checked against real interpreters: each prints, for a list of
//! values, the marshal bytes and the repr of what marshal loads back.

use super::repr;
use crate::marshal::read::read;
use crate::oracle;
use crate::version::PyVersion;

/// Prints `HEX<TAB>REPR` per value; repr is escaped with ascii() so the
/// line protocol survives any code point.
const SCRIPT: &str = r#"
import marshal, sys, re
V = sys.version_info[:2]
vals = [
    None, True, False, Ellipsis,
    0, 1, -1, 255, 2**15, 2**30 - 1, 2**30, 2**31 - 1, -2**31, 2**31, -2**31 - 1,
    2**62, 2**63, 2**64 + 1, -2**100, 10**50, -(10**200 + 12345), 2**1000,
    0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 2.5, 1/3, 1e15, 1e16, 1e17, 123456789012345678.0,
    1e-4, 1e-5, 0.00012, 1.5e-7, 1.5e300, 5e-324, 1.7976931348623157e308, 1e22,
    9007199254740993.0, 2.9802322387695312e-08, -1.4901161193847656e-08, 2**-1074 * 3, 100.0, 1234.5, float('inf'), float('-inf'), float('nan'),
    -float('nan'),
    1j, -1j, 1+2j, 1.5-2.5j, complex(-0.0, -0.0), complex(0.0, -0.0),
    complex(-0.0, 0.0), complex(1, float('nan')), complex(float('nan'), float('inf')),
    complex(1e16, 1e-5), complex(0, 1e16), complex(float('-inf'), -float('nan')),
    complex(2, 0), complex(0, 0),
    '', 'a', "'", '"', '\'"', 'x\\y', '\n\t\r\x00\x1f\x7f\x80\x9f\xa0\xad\xff',
    'é', 'ß', '\u2028', '\u200b', '\ud800', '\udfff\ud800', '\U0001F600', '\U000e0001',
    '\u0378', '\ufeff', '\U0010ffff', 'quote\'s "both"', "it's",
    b'', b"'", b'"', b'\'"', bytes(range(256)), b'\\', b'a\nb',
    (), (1,), (1, 2), ((1,),), ('a', (b'b', 2.5), None), ((),),
    frozenset(), frozenset({1}), frozenset({1, 2, 3}), frozenset({(1, 2)}),
    frozenset({frozenset()}),
    compile('x', 'f.py', 'exec'), compile('\n\ny', "d'q.py", 'eval'),
]
if V >= (3, 14):
    vals += [slice(1, 2, None), slice(None, None, -1), slice('a', (1,), 2.5)]
# Powers of two (ties and lopsided rounding intervals) and random bit patterns.
import random, struct
rng = random.Random(1234)
vals += [2.0 ** k for k in range(-1074, 1024)]
vals += [struct.unpack('<d', rng.getrandbits(64).to_bytes(8, 'little'))[0] for _ in range(3000)]
vals += [rng.random() * 10 ** rng.randint(-30, 30) for _ in range(2000)]
vals += [complex(rng.random(), -rng.random() * 1e20) for _ in range(200)]
# Frozensets of numbers: their printed order is CPython's hash-table order.
# NB: pyodide is a 32-bit build (31-bit hashes), so there only small
# non-negative ints hash as on 64-bit builds.
wide = sys.maxsize > 2**32
for n in list(range(1, 12)) + [20, 40, 100, 300]:
    for _ in range(4):
        if wide:
            pool = [rng.randint(-50, 50), rng.randint(0, 2**70), -rng.randint(0, 2**64),
                    rng.random() * 100, -rng.random(), float(rng.randint(-9, 9)) + 0.5,
                    True, False, float('inf'), -float('inf'), 2**61 - 1, 2**61, -(2**61 - 1),
                    5e-324, 1e300, rng.randint(0, 1000) * 8]
            vals.append(frozenset(rng.choice(pool) if k % 3 else rng.randint(-5000, 5000)
                                  for k in range(n)))
        else:
            vals.append(frozenset(rng.randint(0, 5000) for k in range(n)))
# Every code point in 0..0x3000, then every 97th to the end, in chunks.
cps = list(range(0x3000)) + list(range(0x3000, 0x110000, 97))
for i in range(0, len(cps), 256):
    vals.append(''.join(map(chr, cps[i:i + 256])))
for v in vals:
    data = marshal.dumps(v)
    r = repr(marshal.loads(data))
    r = re.sub(r' at 0x[0-9a-fA-F]+', ' at 0x?', r)
    print(data.hex() + '\t' + ascii(r))
"#;

/// Undoes Python's ascii() of a str (the outer quotes and the escapes).
fn unascii(s: &str) -> String {
    let q = s.as_bytes()[0];
    let inner = &s[1..s.len() - 1];
    let mut out = String::new();
    let mut it = inner.chars().peekable();
    // NB: a repr never holds a lone surrogate itself (repr escapes them),
    // so every code point ascii() escaped is a valid char.
    let push = |out: &mut String, cp: u32| out.push(char::from_u32(cp).unwrap());
    while let Some(c) = it.next() {
        if c != '\\' {
            push(&mut out, c as u32);
            continue;
        }
        let e = it.next().unwrap();
        let hex = |it: &mut std::iter::Peekable<std::str::Chars>, n| {
            let h: String = (0..n).map(|_| it.next().unwrap()).collect();
            u32::from_str_radix(&h, 16).unwrap()
        };
        match e {
            'x' => push(&mut out, hex(&mut it, 2)),
            'u' => push(&mut out, hex(&mut it, 4)),
            'U' => push(&mut out, hex(&mut it, 8)),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '\\' => out.push('\\'),
            c if c as u32 == q as u32 => out.push(c),
            other => panic!("unexpected escape \\{other}"),
        }
    }
    out
}

fn check(v: PyVersion) {
    let Some(py) = oracle::find(v) else {
        panic!("no interpreter for {v}: the oracle test needs one (see src/oracle.rs)");
    };
    let out = py
        .run_code(SCRIPT, &[] as &[&str])
        .expect("run interpreter");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut bad = Vec::new();
    let mut n = 0;
    for line in text.lines() {
        let (hex, r) = line.split_once('\t').unwrap();
        let want = unascii(r);
        let data: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        let m = read(&data, v).expect("marshal read");
        let got = repr(&m, m.root);
        let got = mask_addresses(&got);
        if got != want {
            bad.push(format!("want {want:?}\n got {got:?}"));
        }
        n += 1;
    }
    assert!(n > 100, "too few values checked ({n})");
    assert!(
        bad.is_empty(),
        "{v}: {} of {n} reprs differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

fn mask_addresses(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(" at 0x") {
        out.push_str(&rest[..i + 6]);
        rest = &rest[i + 6..];
        let n = rest
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len());
        out.push('?');
        rest = &rest[n..];
    }
    out.push_str(rest);
    out
}

macro_rules! version_tests {
    ($($name:ident => $minor:expr),*) => {$(
        #[test]
        fn $name() {
            check(PyVersion::new(3, $minor));
        }
    )*};
}

version_tests!(repr_38 => 8, repr_39 => 9, repr_310 => 10, repr_311 => 11, repr_312 => 12,
               repr_313 => 13, repr_314 => 14);
