"""One row order for a run's frame: entity id (as text), then sample date.

:func:`people_ml.ml.train` and :func:`people_ml.ml.score` put the frame in this
order before any positional draw, and :func:`people_ml.ml._run.fingerprint`
hashes the rows in it, so both agree on what "the same rows" means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def row_order(frame: pd.DataFrame, entity_id: str, sample_date: str) -> np.ndarray:
    """Positions that sort ``frame`` by entity id (as text), then sample date.

    Stable: rows with the same entity and date keep their order. The entity
    ids are factorized (sorted) first, so the sort is over integers, not
    millions of strings.
    """
    codes, _ = pd.factorize(frame[entity_id].astype(str), sort=True)
    dates = pd.to_datetime(frame[sample_date]).to_numpy()
    return np.lexsort((dates, codes))


def in_order(frame: pd.DataFrame, entity_id: str, sample_date: str) -> pd.DataFrame:
    """``frame`` sorted by :func:`row_order`, index reset.

    A frame already in order (as :func:`people_ml.runs.read_frame` reads it)
    is returned as is, not copied.
    """
    order = row_order(frame, entity_id, sample_date)
    at_rest = isinstance(frame.index, pd.RangeIndex) and frame.index.equals(
        pd.RangeIndex(len(frame))
    )
    if at_rest and np.array_equal(order, np.arange(len(frame))):
        return frame
    return frame.take(order).reset_index(drop=True)
