"""Progress of long work: rate-limited step lines, and each dbt Python model's
lines forwarded to the console from its own thread only."""

from __future__ import annotations

import logging
import threading

import pytest

from people_ml.ml import _progress
from people_ml.ml._progress import Progress, stage
from people_ml.runs import _ThreadHandler


@pytest.fixture
def lines():
    seen: list[str] = []
    handler = _ThreadHandler(seen.append)
    logger = _progress.LOGGER
    logger.addHandler(handler)
    # setLevel, not the attribute: it clears the logger's cache of
    # isEnabledFor answers, which an earlier test's lines have filled.
    level = logger.level
    logger.setLevel(logging.INFO)
    yield seen
    logger.setLevel(level)
    logger.removeHandler(handler)


def test_steps_are_logged_first_last_and_every_ten_seconds(lines, monkeypatch):
    clock = iter([0.0, 1.0, 2.0, 3.0, 15.0, 16.0])
    monkeypatch.setattr(_progress.time, "perf_counter", lambda: next(clock))
    progress = Progress("AutoML candidate", 5)  # started at 0
    for done in range(1, 6):
        progress.step(done, f"step {done}")
    # 1 (first), 4 at 15 s (10 s after the last line), 5 (last); not 2 or 3.
    assert [line.split(" (")[0] for line in lines] == [
        "AutoML candidate 1 of 5",
        "AutoML candidate 4 of 5",
        "AutoML candidate 5 of 5",
    ]
    assert lines[0].endswith("1 s elapsed, about 4 s left")
    assert lines[1].endswith("15 s elapsed, about 4 s left")
    assert lines[-1].endswith("16 s elapsed, done")


def test_each_model_gets_only_its_own_threads_lines(lines):
    other: list[str] = []

    def elsewhere() -> None:
        handler = _ThreadHandler(other.append)
        _progress.LOGGER.addHandler(handler)
        stage("from the other model")
        _progress.LOGGER.removeHandler(handler)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    stage("from this model")
    assert lines == ["from this model"]
    assert other == ["from the other model"]


def test_time_left_counts_each_kind_at_its_own_pace(lines, monkeypatch):
    # Two fast linear candidates (1 s each), then two slow trees (10 s each).
    clock = iter([0.0, 1.0, 2.0, 12.0, 22.0])
    monkeypatch.setattr(_progress.time, "perf_counter", lambda: next(clock))
    progress = Progress("candidate", 4, ["linear", "linear", "trees", "trees"])
    for done in range(1, 5):
        progress.step(done)
    # After the first: one linear (1 s) and two trees not seen yet (taken at the
    # slowest pace seen, 1 s): 3 s. After the third, at 12 s: one tree, 10 s.
    assert lines[0].endswith("about 3 s left")
    assert lines[1].endswith("12 s elapsed, about 10 s left")
    assert lines[-1].endswith("22 s elapsed, done")


def test_durations_read_as_minutes_and_seconds():
    assert _progress._duration(12.3) == "12 s"
    assert _progress._duration(754) == "12 min 34 s"
