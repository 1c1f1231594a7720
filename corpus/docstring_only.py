"""A module whose code is only a docstring."""
