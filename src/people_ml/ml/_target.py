"""Target encoding shared by the split, AutoML and metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._exceptions import DataError

_TRUE = frozenset({"1", "yes", "y", "true", "t"})
_FALSE = frozenset({"0", "no", "n", "false", "f"})


def encode_target(y: pd.Series, problem_type: str, name: str = "target") -> np.ndarray:
    """Encode labelled target values as float (regression) or 0/1 int (binary).

    Binary targets may be bool, numeric 0/1, or strings such as Yes/No, True/False,
    Y/N, 1/0 (case-insensitive). Nulls must be removed beforehand.

    Raises
    ------
    DataError
        When values are not binary (classification) or not numeric (regression).
    """
    if y.isna().any():
        raise DataError(f"target {name!r} has nulls among rows that should be labelled")
    if problem_type == "regression":
        if pd.api.types.is_bool_dtype(y) or not pd.api.types.is_numeric_dtype(y):
            raise DataError(
                f"target {name!r} must be numeric for regression; got dtype {y.dtype}. "
                "Cast it in the upstream dbt model."
            )
        return y.to_numpy(dtype=float)
    if pd.api.types.is_bool_dtype(y):
        return y.to_numpy(dtype=int)
    if pd.api.types.is_numeric_dtype(y):
        values = y.to_numpy(dtype=float)
        bad = sorted(set(np.unique(values)) - {0.0, 1.0})
        if bad:
            raise DataError(
                f"binary target {name!r} must hold only 0/1; found {bad[:5]}. "
                "Map it to 0/1 (1 = the event to predict) in the upstream dbt model."
            )
        return values.astype(int)
    text = y.astype(str).str.strip().str.lower()
    is_true = text.isin(_TRUE)
    is_false = text.isin(_FALSE)
    if not (is_true | is_false).all():
        bad = sorted(set(y[~(is_true | is_false)].astype(str)))[:5]
        raise DataError(
            f"binary target {name!r} has values {bad} that are not yes/no, true/false, "
            "y/n or 1/0. Map it to 0/1 (1 = the event to predict) upstream."
        )
    return is_true.to_numpy(dtype=int)
