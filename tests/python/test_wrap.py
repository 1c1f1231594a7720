"""The wrap pass in process: pyrewrite.patch on live functions (issue 14)."""

import sys
import types

import pytest

import pyrewrite


def hooks():
    """A hooks module in sys.modules that records events."""
    m = types.ModuleType("wrap_test_hooks")
    m.events = []
    m.ON = True
    m.enter = lambda q: (m.events.append(("enter", q)), q)[1]
    m.exit = lambda tok, v: m.events.append(("exit", tok, v))
    m.error = lambda tok, e: m.events.append(("error", tok, type(e).__name__))
    sys.modules[m.__name__] = m
    return m


HOOKS = {"enter": "wrap_test_hooks:enter", "exit": "wrap_test_hooks:exit", "error": "wrap_test_hooks:error"}


def test_patch_wraps_calls_returns_and_errors():
    h = hooks()

    def div(a, b):
        return a // b

    pyrewrite.patch(div, [("wrap", HOOKS)])
    assert div(7, 2) == 3
    with pytest.raises(ZeroDivisionError) as info:
        div(1, 0)
    # NB: the traceback still ends in div's own line, as before the wrap.
    assert info.traceback[-1].name == "div"
    q = div.__qualname__
    assert h.events == [("enter", q), ("exit", q, 3), ("enter", q), ("error", q, "ZeroDivisionError")]


def test_generator_close_is_an_exit():
    h = hooks()

    def gen():
        yield 1
        yield 2

    pyrewrite.patch(gen, [("wrap", HOOKS)])
    g = gen()
    assert next(g) == 1
    g.close()
    q = gen.__qualname__
    assert h.events == [("enter", q), ("exit", q, None)]


def test_switch_off_records_nothing():
    h = hooks()

    def add(a, b):
        return a + b

    pyrewrite.patch(add, [("wrap", dict(HOOKS, switch="wrap_test_hooks:ON"))])
    h.ON = False
    assert add(1, 2) == 3
    h.ON = True
    assert add(2, 2) == 4
    q = add.__qualname__
    assert h.events == [("enter", q), ("exit", q, 4)]


def test_builtin_switch_starts_off_and_is_one_global():
    import builtins

    h = hooks()
    flag = "__pyrewrite_test_wrap_on__"
    assert not hasattr(builtins, flag)

    def add(a, b):
        return a + b

    try:
        pyrewrite.patch(add, [("wrap", dict(HOOKS, switch="builtins:" + flag))])
        # NB: patching creates the missing flag off: no NameError, no events.
        assert getattr(builtins, flag) is False
        assert add(1, 2) == 3
        setattr(builtins, flag, True)
        assert add(2, 2) == 4
        q = add.__qualname__
        assert h.events == [("enter", q), ("exit", q, 4)]
        # The test is the flag itself: the switch module is not loaded.
        assert flag in add.__code__.co_names
        assert "builtins" not in add.__code__.co_names
    finally:
        delattr(builtins, flag)


def test_builtin_switch_module_prologue_creates_the_flag(tmp_path):
    import builtins

    hooks()
    flag = "__pyrewrite_test_wrap_on2__"
    src = "def f():\n    return 5\nRESULT = f()\n"
    code = pyrewrite.rewrite(compile(src, "m.py", "exec"), [("wrap", dict(HOOKS, switch="builtins:" + flag))])
    ns = {}
    try:
        exec(code, ns)
        assert ns["RESULT"] == 5
        assert getattr(builtins, flag) is False
    finally:
        delattr(builtins, flag)


def test_bad_parameters_raise_value_error():
    def f():
        return 1

    with pytest.raises(ValueError, match="at least one of enter, exit, error"):
        pyrewrite.patch(f, [("wrap", {})])
    assert f() == 1
