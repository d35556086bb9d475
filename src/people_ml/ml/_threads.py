"""Thread limits for native thread pools (OpenMP, BLAS) during fitting."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from threadpoolctl import threadpool_limits

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

__all__ = ["ENV_THREADS", "limit_threads", "n_threads"]

#: Environment variable overriding the native thread count (default 1).
ENV_THREADS = "PEOPLE_ML_THREADS"


def n_threads() -> int:
    """Native threads per fit: ``$PEOPLE_ML_THREADS`` or 1.

    One thread is the default because HistGradientBoosting's OpenMP threads
    spin-wait: on a busy 2-core machine (dbt running models in parallel, other
    processes) a 10k-row fit took 37-47 s with 2 threads against 3-8 s with one;
    on an idle machine one thread is only ~20 % slower.
    """
    raw = os.environ.get(ENV_THREADS, "1")
    try:
        value = int(raw)
    except ValueError:
        return 1
    return max(1, value)


def limit_threads() -> ThreadpoolController:
    """Context manager limiting OpenMP and BLAS pools to :func:`n_threads`."""
    return threadpool_limits(limits=n_threads())
