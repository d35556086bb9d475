"""The generator's one exception type (its own module, so every module can raise it)."""

from __future__ import annotations


class GeneratorError(ValueError):
    """An argument or a folder the generator cannot work with; the message says why."""
