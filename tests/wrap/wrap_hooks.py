"""Hooks for tests/passes_wrap.rs: record every event (not instrumented)."""
EVENTS = []


def enter(qualname, *extra):
    EVENTS.append(("enter", qualname) + extra)
    return qualname


def exit(token, value):
    EVENTS.append(("exit", token, repr(value)[:40]))


def error(token, exc):
    EVENTS.append(("error", token, type(exc).__name__))


def suspend(token, value):
    EVENTS.append(("suspend", token, repr(value)[:40]))


def resume(token):
    EVENTS.append(("resume", token))
