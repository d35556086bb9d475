"""Calibration by calendar month of the sample date (people_ml.ml._seasonal)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from people_ml.ml import MLModelSpec, fit_automl
from people_ml.ml._run import _uncovered_season
from people_ml.ml._seasonal import (
    MIN_MONTH_EVENTS,
    calendar_months,
    fit_seasonal_offsets,
)


def _seasonal_frame(n_per_date=3000, seed=0, years=(2023, 2024)):
    """Quarterly samples whose January rows leave less than their features say.

    The feature ``gap`` is larger in January (a reset the label's window
    mostly undoes), so a pooled model over-predicts January and
    under-predicts the other quarters: the pattern of the synthetic HRIS.
    """
    rng = np.random.default_rng(seed)
    parts = []
    for year in years:
        for month in (1, 4, 7, 10):
            n = n_per_date
            january = month == 1
            lasting = rng.normal(size=n)
            transient = (0.8 + 0.5 * rng.normal(size=n)) * (1.0 if january else 0.0)
            gap = lasting + transient
            z = -2.0 + 0.9 * lasting
            y = (rng.random(n) < expit(z)).astype(int)
            parts.append(
                pd.DataFrame(
                    {
                        "gap": gap,
                        "other": rng.normal(size=n),
                        "y": y,
                        "sample_date": pd.Timestamp(year, month, 1)
                        + pd.offsets.MonthEnd(0),
                        "person": [f"{year}{month:02d}-{i}" for i in range(n)],
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def _fit(frame, **kwargs):
    return fit_automl(
        frame[["gap", "other"]],
        frame["y"],
        groups=frame["person"].to_numpy(),
        sample_dates=frame["sample_date"].to_numpy(),
        candidates=["logistic_regression"],
        random_state=0,
        **kwargs,
    )


def test_offsets_make_each_months_expected_count_match_its_actual():
    train = _seasonal_frame(seed=0)
    test = _seasonal_frame(n_per_date=8000, seed=1, years=(2025,))
    result = _fit(train)
    model = result.model
    assert model.seasonal is not None
    offsets = model.seasonal.offsets
    assert offsets[1] < 0 < min(offsets[4], offsets[7], offsets[10])
    note = {w.code: w.message for w in result.warnings}["seasonal_calibration"]
    assert note.startswith("offsets by calendar month")
    assert "Jan" in note and "offset" in note
    assert "they move expected counts, not rankings" in note

    misses = {"pooled": [], "seasonal": []}
    for month in (1, 4, 7, 10):
        rows = test[test["sample_date"].dt.month == month]
        X = model.prepare(rows[["gap", "other"]], rows["sample_date"])
        pooled = model.predict(X).prediction
        seasonal = model.predict(X, rows["sample_date"]).prediction
        actual = rows["y"].sum()
        misses["pooled"].append(abs(pooled.sum() / actual - 1))
        misses["seasonal"].append(abs(seasonal.sum() / actual - 1))
        # A constant shift in log-odds: the ranking is untouched.
        assert np.array_equal(np.argsort(pooled), np.argsort(seasonal))
    # Pooled, January is over-predicted by far more than noise (binomial sd
    # of a month's count about 2.7 %); with the offsets every month is within
    # 8 % and the typical miss is a third of the pooled one.
    assert misses["pooled"][0] > 0.25
    assert max(misses["seasonal"]) < 0.08
    assert np.mean(misses["seasonal"]) < np.mean(misses["pooled"]) / 3
    # SHAP still explains the margin: the probability is no longer expit of it.
    assert model.shap_output_space == "log_odds_uncalibrated"


def test_no_offsets_without_dates_one_month_or_when_turned_off():
    frame = _seasonal_frame(n_per_date=1500)
    assert fit_seasonal_offsets(np.full(10, 0.1), np.zeros(10), None) is None
    one_month = frame[frame["sample_date"].dt.month == 4]
    assert _fit(one_month).model.seasonal is None
    off = _fit(frame, seasonal_calibration=False)
    assert off.model.seasonal is None
    assert "seasonal_calibration" not in {w.code for w in off.warnings}
    # The spec key itself: test_ml_selection.py (every fit-step switch).


def test_months_with_few_events_or_noise_only_get_little_or_no_offset():
    rng = np.random.default_rng(0)
    n = 4000
    p = np.full(n, 0.1)
    months = np.repeat([1, 4], n // 2)
    y = (rng.random(n) < p).astype(int)
    # No seasonality: the joint test finds none, so every offset is zero.
    fitted = fit_seasonal_offsets(p, y, months)
    assert fitted is not None
    assert max(abs(v) for v in fitted.offsets.values()) < 0.05
    # A month below MIN_MONTH_EVENTS events gets none, so nothing to compare.
    y_few = y.copy()
    y_few[months == 4] = 0
    y_few[np.flatnonzero(months == 4)[: MIN_MONTH_EVENTS - 1]] = 1
    assert fit_seasonal_offsets(p, y_few, months) is None


def test_a_model_without_offsets_and_an_older_pickle_predict_as_before():
    frame = _seasonal_frame(n_per_date=1500)
    model = _fit(frame).model
    assert model.calibration == "none" and model.seasonal.active
    # The probability is no longer expit(margin): SHAP explains the margin.
    assert model.shap_output_space == "log_odds_uncalibrated"
    X = model.prepare(frame[["gap", "other"]], frame["sample_date"])
    with_dates = model.predict(X, frame["sample_date"]).prediction
    # A pickle made before seasonal offsets has no such attribute.
    del model.__dict__["seasonal"]
    assert model.seasonal is None
    old = model.predict(X, frame["sample_date"]).prediction
    assert np.allclose(old, expit(model.predict(X).model_output))
    assert not np.allclose(old, with_dates)
    assert model.shap_output_space == "log_odds"


def test_scoring_a_month_without_an_offset_says_so():
    frame = _seasonal_frame(n_per_date=1500)
    model = _fit(frame).model
    covered = pd.Series(pd.to_datetime(["2026-04-30"] * 3))
    assert _uncovered_season(model, covered) == []
    notes = _uncovered_season(model, pd.Series(pd.to_datetime(["2026-11-30"])))
    assert len(notes) == 1
    assert notes[0].code == "seasonal_calibration"
    assert "cover Jan, Apr, Jul, Oct" in notes[0].message
    assert "November" in notes[0].message
    assert calendar_months(None) is None
    # A missing date is no month: no offset, no crash.
    months = calendar_months(pd.Series(pd.to_datetime(["2026-01-31", None])))
    assert months[0] == 1 and np.isnan(months[1])
    assert model.seasonal.apply(np.array([0.2, 0.2]), months)[1] == 0.2


def test_months_within_chance_get_no_offset_and_the_note_says_so():
    # Four months with the same calibration: no miss is beyond chance.
    rng = np.random.default_rng(5)
    n = 3000
    frame = pd.DataFrame(
        {
            "gap": rng.normal(size=4 * n),
            "other": rng.normal(size=4 * n),
            "sample_date": np.repeat(
                pd.to_datetime(
                    ["2024-01-31", "2024-04-30", "2024-07-31", "2024-10-31"]
                ),
                n,
            ),
            "person": [f"p{i}" for i in range(4 * n)],
        }
    )
    frame["y"] = (rng.random(4 * n) < expit(-2.0 + frame["gap"])).astype(int)
    result = _fit(frame)
    seasonal = result.model.seasonal
    assert seasonal is not None and not seasonal.active
    assert all(v == 0.0 for v in seasonal.offsets.values())
    assert seasonal.covers(4) and not seasonal.covers(11)
    note = {w.code: w.message for w in result.warnings}["seasonal_calibration"]
    assert note.startswith("no calendar month's out-of-fold miss is beyond chance")
    assert result.model.shap_output_space == "log_odds"


def test_a_run_scores_its_predict_set_and_test_period_with_the_months_offset(
    tmp_path,
):
    from people_ml.ml import train
    from people_ml.ml._run import load_verified

    frame = _seasonal_frame(n_per_date=1500, years=(2022, 2023, 2024))
    # One person per row is fine for the run; the last January is unlabelled.
    frame = frame.rename(columns={"y": "target", "person": "worker_id"})
    frame["target"] = frame["target"].astype(float)
    last = frame["sample_date"].max()
    frame.loc[frame["sample_date"] == last, "target"] = np.nan
    spec = MLModelSpec.from_config(
        {
            "key": "seasonal_test",
            "problem_type": "binary_classification",
            "entity_id": "worker_id",
            "sample_date": "sample_date",
            "target": "target",
            "label_horizon_months": 3,
            "candidates": ["logistic_regression"],
            "search_iterations": 2,
        }
    )
    out = train(frame, spec, artifact_dir=tmp_path, run_id="seasonal-1")
    run = out.run.iloc[0]
    artifact, _ = load_verified(
        tmp_path / run["artifact_path"],
        run["artifact_sha256"],
        "seasonal-1",
        model_key="seasonal_test",
        cannot="cannot load",
        fix="",
    )
    model = artifact.model
    assert model.seasonal.active and model.seasonal.offsets[10] != 0
    assert pd.Timestamp(last).month == 10

    def pooled(margin):
        margin = np.asarray(margin, dtype=float)
        if model.calibrator is None:
            return expit(margin)
        return model.calibrator.predict_proba(margin)

    # The predict set (October) and the test period each get their month's
    # offset, on top of the pooled calibration.
    predicted = out.predictions
    base = pooled(predicted["model_output"])
    want = model.seasonal.apply(base, calendar_months(predicted["sample_date"]))
    np.testing.assert_allclose(predicted["prediction"], want, rtol=1e-9)
    assert not np.allclose(predicted["prediction"], base)
    tested = out.test_predictions.sort_values("entity_id")
    rows = frame[frame["sample_date"] == pd.to_datetime(tested["sample_date"]).max()]
    rows = rows.sort_values("worker_id")
    assert list(rows["worker_id"]) == list(tested["entity_id"].astype(str))
    X = model.prepare(rows, rows["sample_date"])
    np.testing.assert_allclose(
        tested["prediction"],
        model.predict(X, rows["sample_date"]).prediction,
        rtol=1e-9,
    )
    assert not np.allclose(tested["prediction"], model.predict(X).prediction)
    assert "seasonal_calibration" in set(out.warnings["code"])
