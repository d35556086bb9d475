"""The suite's schedule: the files named longest-first exist."""

from __future__ import annotations

from pathlib import Path

from conftest import LONGEST_FIRST


def test_every_file_named_longest_first_exists() -> None:
    # A renamed file would silently lose its place at the front of the queue.
    here = Path(__file__).parent
    assert [name for name in LONGEST_FIRST if not (here / name).is_file()] == []
    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)
