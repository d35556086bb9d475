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

__all__ = ["EVERY_SECONDS", "LOGGER", "Progress", "stage"]

LOGGER = logging.getLogger("people_ml.progress")
#: The least time between two step lines of one piece of work.
EVERY_SECONDS = 10.0


def stage(message: str, *args: object) -> None:
    """One line about a stage of a run ('training on 46,256 rows')."""
    LOGGER.info(message, *args)


class Progress:
    """Steps of one piece of work: 'what i of n, elapsed, about t left'."""

    def __init__(self, what: str, total: int) -> None:
        self.what = what
        self.total = max(int(total), 1)
        self.started = time.perf_counter()
        self._logged = -EVERY_SECONDS

    def step(self, done: int, detail: str = "") -> None:
        """Record that ``done`` of the steps are finished."""
        now = time.perf_counter()
        elapsed = now - self.started
        last = done >= self.total
        if not (last or done == 1 or now - self._logged >= EVERY_SECONDS):
            return
        self._logged = now
        left = elapsed / done * (self.total - done) if done else 0.0
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
