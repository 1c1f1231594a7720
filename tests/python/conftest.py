"""Shared fixtures of the Python package's tests (run by tools/test_python.sh
in a fresh venv per interpreter, with the wheel installed the documented way)."""

import os
import sys

import pytest

# The ready hooks write their results at exit to the working directory unless
# told otherwise; tests that use them in-process must not litter the checkout.
os.environ.setdefault("PYREWRITE_COUNTS", os.path.join(os.environ.get("TMPDIR", "/tmp"), "pyrewrite-test-counts-%d.json" % os.getpid()))
os.environ.setdefault("COVERAGE_FILE", os.path.join(os.environ.get("TMPDIR", "/tmp"), "pyrewrite-test-coverage-%d" % os.getpid()))
os.environ.setdefault("PYREWRITE_TIMELINE", os.path.join(os.environ.get("TMPDIR", "/tmp"), "pyrewrite-test-timeline-%d.json" % os.getpid()))

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = "%d.%d" % sys.version_info[:2]
#: An opcode name of another CPython version: replace-op refuses it here.
MISSING_OPCODE = "BINARY_OP" if sys.version_info < (3, 11) else "BINARY_ADD"


@pytest.fixture
def counts():
    """The ready counter hook, reset before and after the test."""
    from pyrewrite import hooks

    hooks.reset()
    yield hooks
    hooks.reset()


def corpus_pyc(version, name="closures.pyc"):
    return os.path.join(REPO, "corpus", "pyc", version, name)
