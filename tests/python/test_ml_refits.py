"""The bootstrap refits behind driver stability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from people_ml.ml import fit_automl
from people_ml.ml._refits import _entity_bootstrap, fit_refits
from people_ml.ml._target import encode_target


def _people(n_people: int = 300, months: int = 4, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.repeat([f"E{i:04d}" for i in range(n_people)], months)
    dates = np.tile(pd.date_range("2024-01-31", periods=months, freq="ME"), n_people)
    tenure = rng.gamma(2.0, 2.0, len(ids))
    grade = rng.choice(["A", "B", "C"], len(ids))
    hired = pd.Series(dates) - pd.to_timedelta(tenure * 365, unit="D")
    logit = -1.0 - 0.4 * tenure + (grade == "C") * 1.2
    left = rng.random(len(ids)) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "employee_id": ids,
            "sample_date": dates,
            "tenure": tenure,
            "grade": grade,
            "hire_date": hired,
            "left": left,
        }
    )


def test_refits_prepare_only_drawn_rows_and_fit_what_a_full_preparation_fits():
    frame = _people()
    X = frame[["tenure", "grade", "hire_date"]]
    result = fit_automl(
        X,
        frame["left"],
        groups=frame["employee_id"],
        sample_dates=frame["sample_date"],
        candidates=["logistic_regression"],
        random_state=0,
    )
    model = result.model
    refits = fit_refits(
        model,
        X,
        frame["left"],
        groups=frame["employee_id"].to_numpy(),
        sample_dates=frame["sample_date"],
        count=3,
        max_rows=400,
        random_state=7,
    )
    assert len(refits) == 3
    # The same draws, fitted on the whole frame prepared at once.
    draws = _entity_bootstrap(
        frame["employee_id"].to_numpy(), 400, np.random.default_rng(7), 3
    )
    prepared = model.prepare(X, frame["sample_date"])
    y = encode_target(frame["left"], model.problem_type)
    probe = prepared.head(50)
    for refit, rows in zip(refits, draws, strict=True):
        assert len(rows) <= 400
        # What the drivers scale the refit's departure from the model by.
        assert refit.resample_fraction == pytest.approx(len(rows) / len(frame))
        # Whole entities: every drawn entity brings all of its rows.
        drawn = frame["employee_id"].iloc[rows]
        assert (drawn.value_counts() % 4 == 0).all()
        reference = clone(model.pipeline).fit(prepared.iloc[rows], y[rows])
        np.testing.assert_allclose(
            refit.pipeline.predict_proba(probe), reference.predict_proba(probe)
        )
    # The resamples differ from one another.
    assert len({tuple(r) for r in draws}) == 3
