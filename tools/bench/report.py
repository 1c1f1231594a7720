"""Compare the JSON outputs of benches/marshal.rs and tools/bench/marshal_bench.py.

    python3 report.py --rust R1.json [R2.json...] --python P1.json [P2.json...] [--json] [--label TEXT]
    python3 report.py --markdown COMBINED.json    (a table for docs/benchmarks.md from --json output)

Several files per side are rounds of the same run (tools/bench/marshal.sh
alternates the two sides to share the machine's load); their passes are
pooled before taking min and median. Speed-up = CPython time / pyrewrite
time, so above 1 means pyrewrite is faster.
"""

import json
import sys


def pool(paths):
    docs = [json.load(open(p)) for p in paths]
    first = docs[0]
    for d in docs[1:]:
        if (d["files"], d["bytes"]) != (first["files"], first["bytes"]):
            raise SystemExit("rounds disagree on the corpus: %s" % paths)
    phases = {}
    for d in docs:
        for r in d["phases"]:
            name = r["name"]
            p = phases.setdefault(name, {"pass_ns": [], "cpu_ns": []})
            p["pass_ns"] += r["pass_ns"]
            p["cpu_ns"] += r.get("cpu_ns", [])
    for p in phases.values():
        p["min_ns"] = min(p["pass_ns"])
        p["median_ns"] = sorted(p["pass_ns"])[(len(p["pass_ns"]) - 1) // 2]
        p["cpu_min_ns"] = min(p["cpu_ns"]) if p["cpu_ns"] else None
    meta = {k: v for k, v in first.items() if k != "phases"}
    meta["rounds"] = len(docs)
    return meta, phases


def markdown(path):
    d = json.load(open(path))
    print("CPython %s stdlib: %d files, %.1f MB, %s arena nodes; %d passes per side "
          "(%d rounds x %d); byte-exact rewrites: pyrewrite %s/%d, "
          "`marshal.dumps(marshal.loads(body))` %s/%d."
          % (d["python"], d["files"], d["bytes"] / 1e6, d.get("pyrewrite_arena_nodes"),
             d["rounds"] * d["iters_per_round"], d["rounds"], d["iters_per_round"],
             d["pyrewrite_roundtrip_exact"], d["files"], d["cpython_dumps_loads_exact"], d["files"]))
    print()
    print("| phase | pyrewrite cpu ms | marshal cpu ms | **speed-up (cpu)** "
          "| pyrewrite wall min / median ms | marshal wall min / median ms "
          "| speed-up wall min / median | pyrewrite MB/s, µs/file | marshal MB/s, µs/file |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in d["phases"]:
        r, p = row["pyrewrite"], row["cpython"]
        ms = lambda ns: "%.1f" % (ns / 1e6) if ns else "-"
        print("| %s | %s | %s | **%s** | %.1f / %.1f | %.1f / %.1f | %.2fx / %.2fx "
              "| %.0f, %.1f | %.0f, %.1f |"
              % (row["phase"], ms(r["cpu_min_ns"]), ms(p["cpu_min_ns"]),
                 "%.2fx" % row["speedup_cpu_min"] if "speedup_cpu_min" in row else "-",
                 r["min_ns"] / 1e6, r["median_ns"] / 1e6,
                 p["min_ns"] / 1e6, p["median_ns"] / 1e6,
                 row["speedup_min"], row["speedup_median"],
                 r["mb_per_s"], r["us_per_file"], p["mb_per_s"], p["us_per_file"]))
    return 0


def main(argv):
    if len(argv) == 2 and argv[0] == "--markdown":
        return markdown(argv[1])
    rust, py, as_json, label, cur = [], [], False, None, None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--rust":
            cur = rust
        elif a == "--python":
            cur = py
        elif a == "--json":
            as_json = True
        elif a == "--label":
            label = argv[i + 1]
            i += 1
        elif cur is not None and not a.startswith("--"):
            cur.append(a)
        else:
            raise SystemExit(__doc__)
        i += 1
    if not rust or not py:
        raise SystemExit(__doc__)
    rmeta, rph = pool(rust)
    pmeta, pph = pool(py)
    if (rmeta["files"], rmeta["bytes"]) != (pmeta["files"], pmeta["bytes"]):
        raise SystemExit("the two sides did not read the same files")
    files, nbytes = rmeta["files"], rmeta["bytes"]
    rows = []
    for name in rph:
        if name not in pph:
            continue
        r, p = rph[name], pph[name]
        row = {
            "phase": name,
            "pyrewrite": {k: r[k] for k in ("min_ns", "median_ns", "cpu_min_ns")},
            "cpython": {k: p[k] for k in ("min_ns", "median_ns", "cpu_min_ns")},
            "speedup_min": p["min_ns"] / r["min_ns"],
            "speedup_median": p["median_ns"] / r["median_ns"],
        }
        if r["cpu_min_ns"] and p["cpu_min_ns"]:
            row["speedup_cpu_min"] = p["cpu_min_ns"] / r["cpu_min_ns"]
        for side in ("pyrewrite", "cpython"):
            s = row[side]
            s["mb_per_s"] = nbytes / 1e6 / (s["min_ns"] / 1e9)
            s["us_per_file"] = s["min_ns"] / 1e3 / files
        rows.append(row)
    passes = len(rph[next(iter(rph))]["pass_ns"])
    doc = {
        "label": label,
        "python": pmeta.get("python"),
        "python_impl": pmeta.get("implementation"),
        "marshal_version": pmeta.get("marshal_version"),
        "pyc_versions": rmeta.get("pyc_versions"),
        "dir": rmeta["dir"],
        "files": files,
        "bytes": nbytes,
        "rounds": rmeta["rounds"],
        "iters_per_round": rmeta["iters"],
        "warmup_per_round": rmeta["warmup"],
        "pyrewrite_roundtrip_exact": rmeta.get("roundtrip_exact"),
        "pyrewrite_arena_nodes": rmeta.get("arena_nodes"),
        "cpython_dumps_loads_exact": pmeta.get("dumps_loads_exact"),
        "phases": rows,
    }
    if as_json:
        print(json.dumps(doc, indent=2))
        return 0
    head = label or "pyrewrite vs CPython %s marshal" % doc["python"]
    print("%s: %d files, %.1f MB; %d passes per side (%d rounds x %d, +%d warm-up each)"
          % (head, files, nbytes / 1e6, passes, doc["rounds"], doc["iters_per_round"],
             doc["warmup_per_round"]))
    print("byte-exact rewrites: pyrewrite %s/%d, marshal.dumps(loads(body)) %s/%d"
          % (doc["pyrewrite_roundtrip_exact"], files, doc["cpython_dumps_loads_exact"], files))
    print()
    print("%-11s | %-36s | %-36s | %s"
          % ("", "pyrewrite", "CPython marshal", "speed-up = CPython / pyrewrite"))
    print("%-11s | %8s %8s %9s %8s | %8s %8s %9s %8s | %6s %6s %6s"
          % ("phase", "min ms", "MB/s", "us/file", "cpu ms",
             "min ms", "MB/s", "us/file", "cpu ms", "min", "median", "cpu"))
    fmt_ms = lambda ns: "%8.1f" % (ns / 1e6) if ns else "%8s" % "-"
    for row in rows:
        r, p = row["pyrewrite"], row["cpython"]
        print("%-11s | %8.1f %8.1f %9.2f %s | %8.1f %8.1f %9.2f %s | %5.2fx %5.2fx %6s"
              % (row["phase"], r["min_ns"] / 1e6, r["mb_per_s"], r["us_per_file"],
                 fmt_ms(r["cpu_min_ns"]),
                 p["min_ns"] / 1e6, p["mb_per_s"], p["us_per_file"], fmt_ms(p["cpu_min_ns"]),
                 row["speedup_min"], row["speedup_median"],
                 "%.2fx" % row["speedup_cpu_min"] if "speedup_cpu_min" in row else "-"))
    print()
    print("min/median: wall time of one pass over all files (perf_counter_ns / Instant);")
    print("cpu: the fastest pass in thread CPU time (robust when the machine is busy);")
    print("MB/s and us/file from the wall-time min; MB = 10^6 bytes of .pyc input.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
