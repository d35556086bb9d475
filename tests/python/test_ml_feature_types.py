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


def test_categorical_coercion_renders_every_dtype_as_str_of_each_value() -> None:
    """The per-distinct-value rendering equals str() of every row's value."""
    from people_ml.ml._features import FeatureSchema, coerce_features

    columns = {
        "text": pd.Series(["a", None, "b", "a", np.nan]),
        "string": pd.Series(["x", pd.NA, "y", "x", "y"], dtype="string"),
        "category": pd.Series(["lo", "hi", None, "hi", "lo"], dtype="category"),
        "integer": pd.Series([3, 1, 5, 3, 1]),
        "nullable": pd.Series([3, None, 5, 3, 1], dtype="Int64"),
        "floats": pd.Series([3.0, np.nan, 5.5, 3.0, 1.0]),
        "flags": pd.Series([True, False, True, True, False]),
        # One value to a hash table, three categories as text.
        "mixed": pd.Series([1, 1.0, True, "1", None], dtype=object),
        "missing": pd.Series([None] * 5, dtype=object),
    }
    frame = pd.DataFrame(columns)
    schema = [FeatureSchema(c, "categorical", "object") for c in frame.columns]
    out = coerce_features(frame, schema)
    for c in frame.columns:
        expected = [np.nan if pd.isna(v) else str(v) for v in frame[c].astype(object)]
        got = out[c].tolist()
        assert [g if isinstance(g, str) else "<na>" for g in got] == [
            e if isinstance(e, str) else "<na>" for e in expected
        ], c
        assert all(isinstance(g, str) or np.isnan(g) for g in got), c
    assert out["mixed"].tolist()[:4] == ["1", "1.0", "True", "1"]
