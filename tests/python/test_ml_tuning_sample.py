"""AutoML on large frames tunes on whole entities and refits on every row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from people_ml.ml import fit_automl
from people_ml.ml._automl import _tuning_rows


def _frame(n_people: int, per_person: int, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    people = np.repeat(np.arange(n_people), per_person)
    x = rng.normal(size=len(people))
    level = rng.choice(["a", "b", "c"], size=len(people))
    y = (x + rng.normal(scale=1.0, size=len(people)) > 1.0).astype(int)
    X = pd.DataFrame({"x": x, "level": level})
    return X, pd.Series(y), people


def test_the_tuning_sample_takes_whole_entities_within_the_cap() -> None:
    groups = np.repeat(np.arange(500), 4)
    rows = _tuning_rows(len(groups), groups, cap=1_000, random_state=1)
    assert rows is not None and 0 < len(rows) <= 1_000
    sampled = pd.Series(groups[rows]).value_counts()
    assert (sampled == 4).all()  # every sampled person with all their rows
    assert _tuning_rows(len(groups), groups, cap=5_000, random_state=1) is None


def test_large_frames_are_tuned_on_a_sample_and_refit_on_all_rows() -> None:
    X, y, people = _frame(n_people=1_500, per_person=2)
    result = fit_automl(
        X,
        y,
        groups=people,
        candidates=["logistic_regression"],
        search_iterations=2,
        random_state=0,
        tuning_max_rows=1_000,
    )
    codes = [note.code for note in result.warnings]
    assert "tuning_sample" in codes
    # The refit saw every row: its mean background is the full frame's.
    model = result.model
    prepared = model.prepare(X)
    full = model.pipeline.named_steps["preprocess"].transform(prepared)
    np.testing.assert_allclose(model.background_mean, np.asarray(full).mean(axis=0))
    assert len(result.oof_prediction) <= 1_000
