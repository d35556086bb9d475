"""Column stores used by the engine: per-worker state and growing event tables."""

from __future__ import annotations

from typing import Any

import numpy as np

from people_ml.synthetic._calendar import NEVER

# name -> (dtype, fill value)
WORKER_FIELDS: dict[str, tuple[str, Any]] = {
    "active": ("bool", False),
    "leaving": ("bool", False),
    "blocked": ("bool", False),
    "hire_day": ("int64", NEVER),
    "hire_mi": ("int64", 0),
    "orig_hire_day": ("int64", NEVER),
    "birth_day": ("int64", NEVER),
    "gender": ("int8", 0),
    "ethnicity": ("int8", 0),
    "location": ("int16", 0),
    "remote": ("bool", False),
    "first_name": ("int16", 0),
    "last_name": ("int16", 0),
    "team": ("int64", 0),
    "family": ("int64", 0),
    "level": ("int64", 1),
    "fte": ("float64", 1.0),
    "tm_team": ("int64", -1),
    "salary": ("float64", 0.0),
    "theta": ("float64", 0.0),
    "frailty": ("float64", 0.0),
    "last_rating": ("int64", 0),
    "rating_year": ("int64", 0),
    "level_start_day": ("int64", NEVER),
    "level_start_mi": ("int64", 0),
    "last_mgr_change_day": ("int64", NEVER),
    "cur_mgr": ("int64", -1),
    "last_job_day": ("int64", NEVER),
    "term_day": ("int64", NEVER),
    "term_type": ("int64", -1),
    "regrettable": ("bool", False),
    # no January top-up to the band minimum before this day (after a pay cut)
    "market_hold_day": ("int64", NEVER),
}


class Workers:
    """Per-worker state arrays with amortised growth; index = worker number - 1."""

    def __init__(self, capacity: int) -> None:
        self.n = 0
        self._capacity = max(16, capacity)
        for name, (dtype, fill) in WORKER_FIELDS.items():
            setattr(self, name, np.full(self._capacity, fill, dtype=dtype))

    def alloc(self, k: int) -> np.ndarray:
        """Reserve ``k`` new workers and return their indexes."""
        need = self.n + k
        if need > self._capacity:
            new_cap = max(need, int(self._capacity * 1.5))
            for name, (dtype, fill) in WORKER_FIELDS.items():
                old = getattr(self, name)
                grown = np.full(new_cap, fill, dtype=dtype)
                grown[: self._capacity] = old
                setattr(self, name, grown)
            self._capacity = new_cap
        idx = np.arange(self.n, need, dtype=np.int64)
        self.n = need
        return idx


class Table:
    """An append-only column table built from numpy chunks."""

    def __init__(self, *columns: str) -> None:
        self.columns = columns
        self._parts: dict[str, list[np.ndarray]] = {c: [] for c in columns}

    def add(self, **values: Any) -> None:
        """Append rows; scalars are broadcast to the length of the array columns."""
        length = max((np.size(v) for v in values.values() if np.ndim(v) > 0), default=1)
        if length == 0:
            return
        for column in self.columns:
            value = np.asarray(values[column])
            if value.ndim == 0:
                value = np.full(length, value)
            self._parts[column].append(value)

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns concatenated."""
        return {
            c: (np.concatenate(p) if p else np.empty(0, dtype=np.int64))
            for c, p in self._parts.items()
        }
