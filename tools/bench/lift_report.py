"""Per-version table of tools/bench/lift.sh runs: pyrewrite's pipeline vs the
`bytecode` library's round trip on the same files.

    python3 lift_report.py RUN_DIR [--json | --markdown]

RUN_DIR holds one directory per interpreter (3.12.1/) with rust.N.json
(benches/lift.rs) and py.N.json (tools/bench/bytecode_roundtrip.py), one
pair per round. Passes of all rounds are pooled; the table shows medians
of wall and thread-CPU time of the `roundtrip` phase and the ratio
bytecode / pyrewrite (above 1: pyrewrite is faster).
"""

import glob
import json
import os
import sys


def median(xs):
    s = sorted(xs)
    return s[(len(s) - 1) // 2]


def load(path):
    """The JSON of one finished run, or None (still running, or it failed)."""
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError:
        sys.stderr.write("skipping %s: not complete JSON\n" % path)
        return None


def pool(paths, phase):
    docs = [d for d in map(load, sorted(paths)) if d is not None]
    wall, cpu = [], []
    for d in docs:
        for r in d["phases"]:
            if r["name"] == phase:
                wall += r["pass_ns"]
                cpu += r.get("cpu_ns", [])
    return docs, wall, cpu


def version_row(d):
    rdocs, rwall, rcpu = pool(glob.glob(os.path.join(d, "rust.*.json")), "roundtrip")
    pdocs, pwall, pcpu = pool(glob.glob(os.path.join(d, "py.*.json")), "roundtrip")
    if not rwall or not pwall:
        return None
    r0, p0 = rdocs[0], pdocs[0]
    # NB: a round-1 Python run keeps files it failed on inside its clock;
    # the kept files are what both sides report.
    for x in rdocs + pdocs:
        if (x["files"], x["bytes"]) != (r0["files"], r0["bytes"]):
            raise SystemExit("%s: the runs did not read the same files" % d)
    _, bwall, bcpu = pool(glob.glob(os.path.join(d, "rust.*.json")), "parse+write")
    row = {
        "python": p0["python"],
        "bytecode": p0["impl"],
        "files": r0["files"],
        "bytes": r0["bytes"],
        "files_left_out": p0.get("failed_files", []),
        "code_objects": r0.get("code_objects"),
        "code_objects_python": p0.get("code_objects"),
        "pyrewrite_byte_exact_files": r0.get("roundtrip_exact"),
        "pyrewrite_stacksize_differs": r0.get("stacksize_recomputed_differs"),
        "rounds": len(rdocs),
        "pyrewrite_passes": len(rwall),
        "python_passes": len(pwall),
        "pyrewrite_median_ms": median(rwall) / 1e6,
        "pyrewrite_cpu_median_ms": median(rcpu) / 1e6 if rcpu else None,
        "pyrewrite_parse_write_cpu_median_ms": median(bcpu) / 1e6 if bcpu else None,
        "bytecode_median_ms": median(pwall) / 1e6,
        "bytecode_cpu_median_ms": median(pcpu) / 1e6 if pcpu else None,
        "ratio_wall": median(pwall) / median(rwall),
        "ratio_cpu": (median(pcpu) / median(rcpu)) if rcpu and pcpu else None,
    }
    return row


def main(argv):
    as_json = "--json" in argv
    pos = [a for a in argv if not a.startswith("--")]
    if len(pos) != 1:
        raise SystemExit(__doc__)
    dirs = sorted((d for d in glob.glob(os.path.join(pos[0], "*")) if os.path.isdir(d)),
                  key=lambda d: tuple(int(x) for x in os.path.basename(d).split(".")))
    rows = [r for r in map(version_row, dirs) if r]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    if "--markdown" in argv:
        print("| CPython | library | files | code objects | pyrewrite cpu ms | bytecode cpu ms "
              "| **ratio (cpu)** | pyrewrite wall ms | bytecode wall ms | ratio (wall) |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print("| %s | %s | %d | %s | %.0f | %.0f | **%.0fx** | %.0f | %.0f | %.0fx |"
                  % (r["python"], r["bytecode"], r["files"], r["code_objects"], r["pyrewrite_cpu_median_ms"],
                     r["bytecode_cpu_median_ms"], r["ratio_cpu"], r["pyrewrite_median_ms"],
                     r["bytecode_median_ms"], r["ratio_wall"]))
        return 0
    print("%-8s %-15s %6s %8s | %11s %11s | %11s %11s | %7s %7s"
          % ("python", "library", "files", "code obj", "pyrewrite", "(cpu)", "bytecode", "(cpu)",
             "ratio", "(cpu)"))
    for r in rows:
        cpu = lambda x: "-" if x is None else "%.0f ms" % x  # noqa: E731
        print("%-8s %-15s %6d %8s | %8.0f ms %11s | %8.0f ms %11s | %6.0fx %7s"
              % (r["python"], r["bytecode"], r["files"], r["code_objects"], r["pyrewrite_median_ms"],
                 cpu(r["pyrewrite_cpu_median_ms"]), r["bytecode_median_ms"], cpu(r["bytecode_cpu_median_ms"]),
                 r["ratio_wall"], "-" if r["ratio_cpu"] is None else "%.0fx" % r["ratio_cpu"]))
    for r in rows:
        notes = []
        if r["files_left_out"]:
            notes.append("%d files left out (bytecode fails on them)" % len(r["files_left_out"]))
        if r["pyrewrite_byte_exact_files"] != r["files"]:
            notes.append("pyrewrite byte-exact on %s/%d files" % (r["pyrewrite_byte_exact_files"], r["files"]))
        if r["pyrewrite_stacksize_differs"]:
            notes.append("recomputed co_stacksize differs from the stored one in %d code objects"
                         % r["pyrewrite_stacksize_differs"])
        if r["code_objects_python"] not in (None, r["code_objects"]):
            notes.append("code objects: bytecode side counted %s" % r["code_objects_python"])
        if notes:
            print("%s: %s" % (r["python"], "; ".join(notes)))
    print("medians of %s; ratio = bytecode / pyrewrite"
          % ", ".join(sorted({"%d+%d passes" % (r["python_passes"], r["pyrewrite_passes"]) for r in rows})))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
