"""Feature type detection that must survive new data at scoring time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from people_ml.ml import fit_automl, profile_features


def test_an_integer_count_seen_only_as_0_1_stays_numeric_and_scores_a_2() -> None:
    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame(
        {
            "manager_changes": rng.integers(0, 2, size=n),
            "tenure": rng.normal(size=n),
            "is_remote": rng.random(n) > 0.5,
        }
    )
    y = pd.Series((X["tenure"] + rng.normal(size=n) > 0.8).astype(int))
    profile = profile_features(X, y, problem_type="binary_classification")
    kinds = dict(zip(profile["feature"], profile["detected_type"], strict=True))
    assert kinds == {
        "manager_changes": "numeric",
        "tenure": "numeric",
        "is_remote": "boolean",
    }
    model = fit_automl(
        X, y, candidates=["logistic_regression"], search_iterations=1
    ).model
    later = X.head(3).assign(manager_changes=[2, 3, 0])
    predictions = model.predict(model.prepare(later))
    assert np.isfinite(predictions.prediction).all()
