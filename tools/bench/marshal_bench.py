"""CPython's side of the marshal benchmark: marshal.loads / marshal.dumps over
every .pyc of a directory, timed like benches/marshal.rs.

    python3.X marshal_bench.py DIR [--iters N] [--warmup N] [--phase P]... [--json]

Run it with the interpreter whose .pyc files DIR holds. Phases:
  read        marshal.loads(body)            (body = file bytes after the header)
  write       marshal.dumps(code)            (code loaded outside the clock)
  read+write  marshal.dumps(marshal.loads(body))
Every file is in memory first, bodies are sliced outside the clock, the
garbage collector is off, and each timed pass is one perf_counter_ns pair
around a loop over all files in sorted path order (the Rust side's order).
"""

import gc
import json
import marshal
import os
import sys
import time

PHASES = ("read", "write", "read+write")


def header_len():
    return 16 if sys.version_info >= (3, 7) else 12


def load_corpus(root):
    rels = []
    for d, _dirs, files in os.walk(root):
        for f in files:
            if f.endswith(".pyc"):
                rels.append(os.path.relpath(os.path.join(d, f), root).replace(os.sep, "/"))
    # NB: sort the UTF-8 bytes, as the Rust side sorts its Strings
    rels.sort(key=lambda r: r.encode("utf-8"))
    out = []
    for rel in rels:
        with open(os.path.join(root, rel), "rb") as f:
            out.append((rel, f.read()))
    return out


def measure(inputs, run, warmup, iters):
    """Wall and thread-CPU ns of each pass; one clock pair per pass over all inputs."""
    clock = time.perf_counter_ns
    # NB: under pyodide (emscripten) the CPU clocks just follow wall time, so
    # no CPU figure is reported there
    cpu = None if sys.platform == "emscripten" else time.thread_time_ns
    for _ in range(warmup):
        for x in inputs:
            run(x)
    wall, cpu_ns = [], []
    for _ in range(iters):
        c = cpu() if cpu else 0
        t = clock()
        for x in inputs:
            run(x)
        wall.append(clock() - t)
        if cpu:
            cpu_ns.append(cpu() - c)
    return wall, cpu_ns


def main(argv):
    iters, warmup, phases, as_json, pos = 10, 2, [], False, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--iters":
            iters = max(1, int(argv[i + 1]))
            i += 1
        elif a == "--warmup":
            warmup = int(argv[i + 1])
            i += 1
        elif a == "--phase":
            phases.append(argv[i + 1])
            i += 1
        elif a == "--json":
            as_json = True
        elif a.startswith("--"):
            raise SystemExit("unknown option %s\n%s" % (a, __doc__))
        else:
            pos.append(a)
        i += 1
    if len(pos) != 1 or any(p not in PHASES for p in phases):
        raise SystemExit(__doc__)
    root = pos[0]
    phases = phases or list(PHASES)

    corpus = load_corpus(root)
    if not corpus:
        raise SystemExit("no .pyc files under %s" % root)
    n_bytes = sum(len(b) for _, b in corpus)
    h = header_len()
    bodies = [b[h:] for _, b in corpus]
    codes = [marshal.loads(b) for b in bodies]
    # Not timed: how many bodies dumps(loads(body)) reproduces exactly.
    same = sum(1 for b, c in zip(bodies, codes) if marshal.dumps(c) == b)

    loads, dumps = marshal.loads, marshal.dumps
    runs = {
        "read": (bodies, loads),
        "write": (codes, dumps),
        "read+write": (bodies, lambda b: dumps(loads(b))),
    }
    gc.disable()
    results = []
    for name in phases:
        inputs, run = runs[name]
        ns, cpu_ns = measure(inputs, run, warmup, iters)
        s = sorted(ns)
        results.append({"name": name, "min_ns": s[0], "median_ns": s[(len(s) - 1) // 2],
                        "pass_ns": ns, "cpu_ns": cpu_ns})
    gc.enable()

    doc = {
        "impl": "cpython-marshal",
        "python": "%d.%d.%d" % sys.version_info[:3],
        "implementation": sys.implementation.name,
        "platform": sys.platform,
        "marshal_version": marshal.version,
        "dir": root,
        "files": len(corpus),
        "bytes": n_bytes,
        "warmup": warmup,
        "iters": iters,
        "dumps_loads_exact": same,
        "phases": results,
    }
    if as_json:
        print(json.dumps(doc, indent=2))
        return 0
    print("%d files, %.1f MB, %d timed passes after %d warm-up"
          % (len(corpus), n_bytes / 1e6, iters, warmup))
    print("%-12s %10s %10s %9s %9s %11s"
          % ("phase", "min ms", "median ms", "MB/s", "us/file", "cpu min ms"))
    for r in results:
        name = r["name"]
        lo, med = r["min_ns"], r["median_ns"]
        print("%-12s %10.2f %10.2f %9.1f %9.2f %11.2f"
              % (name, lo / 1e6, med / 1e6, n_bytes / 1e6 / (lo / 1e9), lo / 1e3 / len(corpus),
                 min(r["cpu_ns"]) / 1e6 if r["cpu_ns"] else float("nan")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
