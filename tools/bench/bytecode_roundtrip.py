"""The Python side of the lift benchmark: the `bytecode` library's round trip
of every code object of every .pyc of a directory, timed like benches/lift.rs.

    python3.X bytecode_roundtrip.py DIR [--iters N] [--warmup N] [--json]
                                        [--ok-list OUT] [--files LIST]

Run it with the interpreter whose .pyc files DIR holds, in a venv where
`bytecode` is installed (tools/bench/lift.sh makes one). One timed phase:
  roundtrip   marshal.dumps(rt(marshal.loads(body))), where rt(code) is
              Bytecode.from_code(code), rt() of every nested code object an
              instruction loads (replacing the instruction's argument), then
              .to_code() (CFG, stack size, jumps, line and exception tables)
Files where `bytecode` raises are listed on stderr and in the JSON
(`failed_files`); their partial work stays inside the timed pass (none
failed on the 3.8-3.13 standard libraries). --ok-list OUT writes the
relative paths that went through (one a line) so the Rust side times the
same files; --files LIST keeps only the files named in LIST. The clock
scheme (files in memory, sorted UTF-8 path order, one perf_counter_ns pair
per pass, warm-up passes) is marshal_bench.py's; the garbage collector is
off inside a pass and a full collection runs between passes, outside the
clock. The default is 3 timed passes, no warm-up (no JIT to warm up; the
first pass pays for importing nothing, everything is imported before).
"""

import gc
import json
import marshal
import os
import sys
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from marshal_bench import header_len, load_corpus  # noqa: E402

import bytecode  # noqa: E402
from bytecode import Bytecode  # noqa: E402

CodeType = types.CodeType


def rt(code):
    """The bytecode library's round trip of `code` and its nested code objects."""
    b = Bytecode.from_code(code)
    for ins in b:
        # NB: pseudo-instructions (labels, TryBegin/TryEnd, SetLineno) have no .arg
        arg = getattr(ins, "arg", None)
        if type(arg) is CodeType:
            ins.arg = rt(arg)
    return b.to_code()


def walk(code):
    """Every code object of a tree, pre-order."""
    out = [code]
    for k in code.co_consts:
        if type(k) is CodeType:
            out.extend(walk(k))
    return out


def measure(bodies, warmup, iters, failed):
    """Wall and thread-CPU ns of each pass (one clock pair per pass over all
    inputs); files that raise are recorded in `failed` (rel -> message)."""
    clock = time.perf_counter_ns
    cpu = getattr(time, "thread_time_ns", None) or time.process_time_ns
    loads, dumps = marshal.loads, marshal.dumps
    wall, cpu_ns = [], []
    for k in range(warmup + iters):
        gc.collect()
        gc.disable()
        c = cpu()
        t = clock()
        for rel, body in bodies:
            try:
                dumps(rt(loads(body)))
            except Exception as e:  # noqa: BLE001 - reported, file left out
                failed[rel] = "%s: %s" % (type(e).__name__, (str(e).splitlines() or [""])[0])
        w = clock() - t
        u = cpu() - c
        gc.enable()
        if k >= warmup:
            wall.append(w)
            cpu_ns.append(u)
    return wall, cpu_ns


def main(argv):
    iters, warmup, as_json, ok_list, only, pos = 3, 0, False, None, None, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--iters", "--warmup", "--ok-list", "--files"):
            if i + 1 >= len(argv):
                raise SystemExit("%s needs a value\n%s" % (a, __doc__))
            v = argv[i + 1]
            i += 1
            if a == "--iters":
                iters = max(1, int(v))
            elif a == "--warmup":
                warmup = int(v)
            elif a == "--ok-list":
                ok_list = v
            else:
                with open(v) as f:
                    only = set(line.strip() for line in f if line.strip())
        elif a == "--json":
            as_json = True
        elif a.startswith("--"):
            raise SystemExit("unknown option %s\n%s" % (a, __doc__))
        else:
            pos.append(a)
        i += 1
    if len(pos) != 1:
        raise SystemExit(__doc__)
    root = pos[0]

    corpus = load_corpus(root)
    if only is not None:
        corpus = [(r, b) for r, b in corpus if r in only]
    if not corpus:
        raise SystemExit("no .pyc files under %s" % root)
    h = header_len()
    bodies = [(rel, data[h:]) for rel, data in corpus]
    failed = {}
    ns, cpu_ns = measure(bodies, warmup, iters, failed)
    n_code = sum(len(walk(marshal.loads(b))) for rel, b in bodies if rel not in failed)
    for rel, why in sorted(failed.items()):
        sys.stderr.write("bytecode cannot round-trip %s: %s\n" % (rel, why))
    kept = [(r, d) for r, d in corpus if r not in failed]
    if not kept:
        raise SystemExit("no file of %s survives the bytecode round trip" % root)
    if ok_list:
        with open(ok_list, "w") as f:
            f.writelines(rel + "\n" for rel, _ in kept)
    s = sorted(ns)
    doc = {
        "impl": "bytecode %s" % getattr(bytecode, "__version__", "?"),
        "python": "%d.%d.%d" % sys.version_info[:3],
        "implementation": sys.implementation.name,
        "platform": sys.platform,
        "dir": root,
        "files": len(kept),
        "bytes": sum(len(d) for _, d in kept),
        "code_objects": n_code,
        "failed_files": sorted(failed),
        "warmup": warmup,
        "iters": iters,
        "phases": [{"name": "roundtrip", "min_ns": s[0], "median_ns": s[(len(s) - 1) // 2],
                    "pass_ns": ns, "cpu_ns": cpu_ns}],
    }
    if as_json:
        print(json.dumps(doc, indent=2))
        return 0
    print("%s on Python %s: %d files (%d failed), %d code objects"
          % (doc["impl"], doc["python"], len(kept), len(failed), n_code))
    print("roundtrip: min %.1f ms, median %.1f ms, cpu min %.1f ms"
          % (s[0] / 1e6, s[(len(s) - 1) // 2] / 1e6, min(cpu_ns) / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
