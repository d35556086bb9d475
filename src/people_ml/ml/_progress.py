"""Progress of long work, for a console: stages and candidate i of n.

The library logs to the standard ``logging`` logger ``people_ml.progress``
and knows nothing of dbt; :func:`people_ml.runs.dbt_progress` forwards the
records of the thread running a dbt Python model to dbt's console. A step is
logged at most every :data:`EVERY_SECONDS` (and always the first and the
last), so a 15-minute build says where it is without flooding the console.
"""

from __future__ import annotations

import logging
import time

__all__ = ["EVERY_SECONDS", "LOGGER", "Progress", "rows_per_second", "stage"]

LOGGER = logging.getLogger("people_ml.progress")
#: The least time between two step lines of one piece of work.
EVERY_SECONDS = 10.0


def stage(message: str, *args: object) -> None:
    """One line about a stage of a run ('training on 46,256 rows')."""
    LOGGER.info(message, *args)


def rows_per_second(rows: int, seconds: float) -> float | None:
    """A throughput for the run record (None when nothing was timed)."""
    return rows / seconds if rows and seconds > 0 else None


class Progress:
    """Steps of one piece of work: 'what i of n, elapsed, about t left'.

    ``kinds`` names each step's kind in order (an AutoML candidate's
    algorithm): the time left adds each remaining step at the mean time of
    the steps of its kind so far (a kind not seen yet: the slowest kind's), so
    fast linear candidates first do not promise an early end.
    """

    def __init__(self, what: str, total: int, kinds: list[str] | None = None) -> None:
        self.what = what
        self.total = max(int(total), 1)
        self.kinds = list(kinds) if kinds is not None else [""] * self.total
        self.started = time.perf_counter()
        self._logged = -EVERY_SECONDS
        self._previous = self.started
        self._times: dict[str, list[float]] = {}

    def _left(self, done: int) -> float:
        means = {kind: sum(t) / len(t) for kind, t in self._times.items() if t}
        if not means:
            return 0.0
        slowest = max(means.values())
        return sum(means.get(kind, slowest) for kind in self.kinds[done:])

    def step(self, done: int, detail: str = "") -> None:
        """Record that ``done`` of the steps are finished."""
        now = time.perf_counter()
        if 0 < done <= len(self.kinds):
            kind = self.kinds[done - 1]
            self._times.setdefault(kind, []).append(now - self._previous)
        self._previous = now
        elapsed = now - self.started
        last = done >= self.total
        if not (last or done == 1 or now - self._logged >= EVERY_SECONDS):
            return
        self._logged = now
        left = self._left(done)
        tail = "done" if last else f"about {_duration(left)} left"
        LOGGER.info(
            "%s %d of %d%s: %s elapsed, %s",
            self.what,
            done,
            self.total,
            f" ({detail})" if detail else "",
            _duration(elapsed),
            tail,
        )


def _duration(seconds: float) -> str:
    """12.3 -> '12 s'; 754 -> '12 min 34 s'."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"
