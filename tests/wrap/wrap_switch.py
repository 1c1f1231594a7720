"""The off switch of tests/passes_wrap.rs (not instrumented)."""
ON = True
