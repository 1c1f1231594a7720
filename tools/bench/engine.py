"""The engine's own cost (issue 15), side by side in one run per version.

    python3 tools/bench/engine.py [3.X ...] [--rounds R] [--save FILE] [--write-docs]
    python3 tools/bench/engine.py --load FILE [--write-docs]

Default versions 3.8 3.12 3.13. Per version, the interpreter comes from
tools/python_for.sh and its whole standard library is compiled once with
tools/oracle/compile_tree.py --stdlib into $PYREWRITE_BENCH_CACHE (default
~/.cache/pyrewrite/bench)/stdlib-3.X.Y, the tree tools/bench/marshal.sh
and lift.sh use. Then R rounds (default 2) of, alternating sides:

  marshal     CPython's C marshal.loads+dumps of every file, thread CPU in
              process (tools/bench/marshal_bench.py, phase read+write)
  inject      pyrewrite's inject-hook over the same bytes in memory: parse,
              the pass through the pass manager (which verifies what it
              changed), write; thread CPU (benches/lift.rs, phase inject-hook)
  check/out   the CLI on one thread: `--check` (reads, verifies every input
              code object, rewrites, writes nothing) and a rewrite into a
              fresh directory, both with inject-hook; wall time
  j1/j2       the rewrite of a 4x tree (four hard-linked copies) on one and
              two threads; wall time, and the peak RSS of the 1x and 4x runs
              (outputs go to /dev/shm when it exists, or $PYREWRITE_BENCH_OUT)
  dis         `pyrewrite dis -j1/-j2 DIR` vs CPython's dis.dis printing the
              same files' text (one process each, output to /dev/null)
  syscalls    strace -c of the one-thread rewrite into a directory, per file
              (when strace is installed)

Each figure is the best round. --save writes the JSON (--load prints the
table of a saved run instead of measuring), --write-docs replaces the
table between the `engine-bench` markers of docs/benchmarks.md.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, "docs", "benchmarks.md")
START, END = "<!-- engine-bench:start -->", "<!-- engine-bench:end -->"

CPYTHON_DIS = r"""
import dis, marshal, os, sys
root = sys.argv[1]
files = []
for d, _, names in os.walk(root):
    files += [os.path.join(d, n) for n in names if n.endswith(".pyc")]
files.sort(key=lambda p: os.path.relpath(p, root).encode())
with open(os.devnull, "w") as out:
    for p in files:
        with open(p, "rb") as f:
            data = f.read()
        out.write("# %s\n" % p)
        dis.dis(marshal.loads(data[16:]), file=out)
"""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_timed(cmd, stdout=subprocess.DEVNULL, env=None):
    """Wall seconds and peak RSS (KiB) of one child process; fails loudly."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), err.decode(errors="replace")))
    return wall, usage.ru_maxrss


def interpreter(version):
    out = subprocess.run([os.path.join(ROOT, "tools", "python_for.sh"), version],
                         capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        sys.exit("no CPython %s found" % version)
    py = out.stdout.strip()
    micro = subprocess.check_output(
        [py, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], text=True).strip()
    return py, micro


def stdlib(py, micro):
    cache = os.environ.get("PYREWRITE_BENCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pyrewrite", "bench")
    d = os.path.join(cache, "stdlib-" + micro)
    if not os.path.exists(os.path.join(d, ".complete")):
        log("compiling the CPython %s standard library into %s" % (micro, d))
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        subprocess.check_call([py, os.path.join(ROOT, "tools", "oracle", "compile_tree.py"),
                               "--stdlib", d])
        open(os.path.join(d, ".complete"), "w").close()
    return d


def build():
    log("building the CLI and benches/lift.rs (release)")
    subprocess.check_call(["cargo", "build", "--release", "-q"], cwd=ROOT)
    out = subprocess.run(["cargo", "bench", "--bench", "lift", "--no-run"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    m = re.findall(r"Executable benches/lift.rs \((.*)\)", out.stderr)
    if not m:
        sys.exit("no benches/lift.rs executable in:\n" + out.stderr)
    # NB: copies, so edits made during the run cannot change what is timed.
    tmp = tempfile.mkdtemp(prefix="pyrewrite-engine-bin-")
    cli, lift = os.path.join(tmp, "pyrewrite"), os.path.join(tmp, "lift")
    shutil.copy2(os.path.join(ROOT, "target", "release", "pyrewrite"), cli)
    shutil.copy2(os.path.join(ROOT, m[-1]), lift)
    return cli, lift


def count_files(d):
    return sum(1 for _, _, names in os.walk(d) for n in names if n.endswith(".pyc"))


def best_cpu_ms(doc, phase):
    for p in doc["phases"]:
        if p["name"] == phase:
            return min(p["cpu_ns"] or p["pass_ns"]) / 1e6
    sys.exit("phase %s missing" % phase)


def strace_per_file(cli, tree, files, work):
    if not shutil.which("strace"):
        return None
    out, log_file = os.path.join(work, "strace-out"), os.path.join(work + "-strace.txt")
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run(["strace", "-f", "-c", "-o", log_file, cli, "-q", "-j1", tree, out],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    calls = {}
    for line in open(log_file):
        parts = line.split()
        if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
            calls[parts[-1]] = int(parts[3])
    os.unlink(log_file)
    total = sum(calls.values())
    return {"per_file": total / files, "total": total,
            "top": sorted(calls.items(), key=lambda kv: -kv[1])[:10]}


def bench_version(version, rounds, cli, lift):
    py, micro = interpreter(version)
    tree = stdlib(py, micro)
    files = count_files(tree)
    work = tempfile.mkdtemp(prefix="pyrewrite-engine-")
    try:
        big = os.path.join(work, "x4")
        os.makedirs(big)
        for k in "abcd":
            # NB: hard links: four trees' worth of files, one copy's disk
            # (the cache and the temporary directory must share a file
            # system; a plain copy otherwise).
            if subprocess.call(["cp", "-al", tree, os.path.join(big, k)],
                               stderr=subprocess.DEVNULL) != 0:
                shutil.rmtree(os.path.join(big, k), ignore_errors=True)
                shutil.copytree(tree, os.path.join(big, k))
        hook = ["--pass", "inject-hook", "--param", "hook=hooks:on_entry"]
        r = {k: [] for k in ("marshal", "inject", "check", "out", "j1", "j2", "dis_j1",
                             "dis_j2", "dis_cpython")}
        rss = {"x1 -j1": 0, "x1 -j2": 0, "x4 -j1": 0, "x4 -j2": 0}
        # NB: outputs go to a tmpfs when there is one: on ext4, rewriting
        # into a tree just deleted spends most of its time in the kernel's
        # inode allocator (recently_deleted, find_inode_bit in perf), a
        # cost of the benchmark's rm -rf between runs, not of pyrewrite.
        out_root = os.environ.get("PYREWRITE_BENCH_OUT") or (
            "/dev/shm" if os.path.isdir("/dev/shm") else work)
        out = tempfile.mkdtemp(prefix="pyrewrite-engine-out-", dir=out_root)
        for n in range(rounds):
            log("CPython %s, round %d/%d" % (micro, n + 1, rounds))
            doc = json.loads(subprocess.check_output(
                [py, os.path.join(ROOT, "tools", "bench", "marshal_bench.py"), tree,
                 "--phase", "read+write", "--iters", "3", "--warmup", "1", "--json"]))
            r["marshal"].append(best_cpu_ms(doc, "read+write"))
            doc = json.loads(subprocess.check_output(
                [lift, tree, "--phase", "inject-hook", "--iters", "3", "--warmup", "1", "--json"]))
            r["inject"].append(best_cpu_ms(doc, "inject-hook"))
            r["check"].append(run_timed([cli, "-q", "-j1", "--check", *hook, tree])[0])
            for j in (1, 2):
                shutil.rmtree(out, ignore_errors=True)
                wall, peak = run_timed([cli, "-q", "-j%d" % j, *hook, tree, out])
                if j == 1:
                    r["out"].append(wall)
                rss["x1 -j%d" % j] = max(rss["x1 -j%d" % j], peak)
            for j in (1, 2):
                shutil.rmtree(out, ignore_errors=True)
                wall, peak = run_timed([cli, "-q", "-j%d" % j, *hook, big, out])
                r["j%d" % j].append(wall)
                rss["x4 -j%d" % j] = max(rss["x4 -j%d" % j], peak)
            shutil.rmtree(out, ignore_errors=True)
            for j in (1, 2):
                r["dis_j%d" % j].append(run_timed([cli, "dis", "-j%d" % j, tree])[0])
            r["dis_cpython"].append(run_timed([py, "-c", CPYTHON_DIS, tree])[0])
        best = {k: min(v) for k, v in r.items()}
        return {
            "python": micro, "files": files,
            "bytes": sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(tree)
                         for f in fs if f.endswith(".pyc")),
            "best": best, "rounds": r, "peak_rss_kib": rss,
            "syscalls": strace_per_file(cli, tree, files, out),
            "output_dir": out_root,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)


def table(results):
    rows = [
        "| CPython | files | marshal loads+dumps CPU | inject-hook in memory CPU (ratio) "
        "| `--check` / to a directory, wall (ratio) | 4x tree `-j1` / `-j2` (speed-up) "
        "| peak RSS 1x / 4x (`-j1`; `-j2`) | `dis` `-j1` / `-j2` / CPython `dis` (speed-up) | syscalls per file |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for x in results:
        b = x["best"]
        sc = x["syscalls"]
        rows.append(
            "| %s | %d (%.0f MB) | %.0f ms | %.0f ms (%.1fx) | %.2f / %.2f s (%.2fx) "
            "| %.2f / %.2f s (%.2fx) | %.0f / %.0f MiB; %.0f / %.0f MiB "
            "| %.2f / %.2f / %.1f s (%.0fx / %.0fx) | %s |" % (
                x["python"], x["files"], x["bytes"] / 1e6, b["marshal"], b["inject"],
                b["inject"] / b["marshal"], b["check"], b["out"], b["out"] / b["check"],
                b["j1"], b["j2"], b["j1"] / b["j2"],
                *(x["peak_rss_kib"][k] / 1024 for k in ("x1 -j1", "x4 -j1", "x1 -j2", "x4 -j2")),
                b["dis_j1"], b["dis_j2"], b["dis_cpython"],
                b["dis_cpython"] / b["dis_j1"], b["dis_cpython"] / b["dis_j2"],
                "%.1f" % sc["per_file"] if sc else "no strace"))
    return "\n".join(rows)


def main(argv):
    versions, rounds, save, load, write_docs = [], 2, None, None, False
    it = iter(argv)
    for a in it:
        if a == "--load":
            load = next(it)
        elif a == "--rounds":
            rounds = max(1, int(next(it)))
        elif a == "--save":
            save = next(it)
        elif a == "--write-docs":
            write_docs = True
        elif re.fullmatch(r"3\.\d+", a):
            versions.append(a)
        else:
            sys.exit(__doc__)
    versions = versions or ["3.8", "3.12", "3.13"]
    if load:
        with open(load) as f:
            results = json.load(f)
        rounds = len(next(iter(results[0]["rounds"].values())))
    else:
        cli, lift = build()
        try:
            results = [bench_version(v, rounds, cli, lift) for v in versions]
        finally:
            shutil.rmtree(os.path.dirname(cli), ignore_errors=True)
    text = table(results)
    print(text)
    if save:
        with open(save, "w") as f:
            json.dump(results, f, indent=2)
    if write_docs:
        doc = open(DOCS).read()
        if START not in doc or END not in doc:
            sys.exit("docs/benchmarks.md has no %s ... %s block" % (START, END))
        head, rest = doc.split(START, 1)
        _, tail = rest.split(END, 1)
        stamp = "CPython %s, %d round(s) each, `python3 tools/bench/engine.py %s`:" % (
            ", ".join(x["python"] for x in results), rounds,
            " ".join(x["python"].rsplit(".", 1)[0] for x in results))
        with open(DOCS, "w") as f:
            f.write("%s%s\n%s\n\n%s\n%s%s" % (head, START, stamp, text, END, tail))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
