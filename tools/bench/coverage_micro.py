"""Micro benchmark for the coverage pass: calls and loops.

usage: VENV/bin/python tools/bench/coverage_micro.py
VENV has coverage.py 7.x and the pyrewrite wheel. Runs this file's
workload five ways in one run, each best of 3 wall times: plain,
`coverage run` and `python -m pyrewrite run --config
passes/coverage.toml` (lines), `coverage run --branch` and `python -m
pyrewrite run --config passes/coverage-branch.toml` (arcs), and prints
the times and ratios.
"""

import os
import subprocess
import sys
import tempfile
import time

WORK = '''
def add(a, b):
    return a + b

def loop(n):
    t = 0
    for i in range(n):
        if i % 3:
            t = add(t, i)
        else:
            t -= 1
    return t

print(sum(loop(20000) for _ in range(300)))
'''

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "..", "..", "passes", "coverage.toml")
BRANCH = os.path.join(HERE, "..", "..", "passes", "coverage-branch.toml")


def best(cmd, cwd):
    times = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    d = tempfile.mkdtemp(prefix="covbench")
    prog = os.path.join(d, "work.py")
    with open(prog, "w") as f:
        f.write(WORK)
    py = sys.executable
    plain = best([py, prog], d)
    v = sys.version.split()[0]
    for what, flags, config in (("lines", [], CONFIG), ("arcs", ["--branch"], BRANCH)):
        cov = best([py, "-m", "coverage", "run"] + flags + [prog], d)
        probes = best([py, "-m", "pyrewrite", "run", "--no-cache", "--config", config, prog], d)
        print("| %s | %s | %.3f s | %.3f s | %.3f s | %.2fx | %.2fx |"
              % (v, what, plain, cov, probes, probes / plain, probes / cov))


if __name__ == "__main__":
    main()
