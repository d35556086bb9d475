"""Regression metrics of ``evaluate``: the mean bias beside MAE, RMSE and R2."""

from __future__ import annotations

import numpy as np
import pytest

from people_ml.ml import evaluate


def _values(y: list[float], prediction: list[float]) -> dict[str, float]:
    frame = evaluate(np.array(y), np.array(prediction), problem_type="regression")
    assert frame["class_label"].isna().all()
    return dict(zip(frame["metric"], frame["value"], strict=True))


def test_regression_reports_the_mean_bias_in_units_and_as_a_share() -> None:
    # Predicted 4 % low for everyone: the bias the time-unaware pay model had.
    y = [50_000.0, 100_000.0, 150_000.0]
    values = _values(y, [0.96 * v for v in y])
    assert list(values) == [
        "n_rows",
        "mae",
        "rmse",
        "r2",
        "mean_bias",
        "mean_bias_share",
    ]
    assert values["mean_bias"] == pytest.approx(-4_000.0)
    assert values["mean_bias_share"] == pytest.approx(-0.04)


@pytest.mark.parametrize(
    ("y", "prediction", "bias", "share"),
    [
        # Right on average, wrong per person: no bias, though the mean of the
        # per-row ratios (+0.125) is not 0.
        ([100.0, 200.0], [150.0, 150.0], 0.0, 0.0),
        ([100.0, 300.0], [110.0, 330.0], 20.0, 0.1),
    ],
)
def test_mean_bias_share_is_a_ratio_of_means(
    y: list[float], prediction: list[float], bias: float, share: float
) -> None:
    values = _values(y, prediction)
    assert values["mean_bias"] == pytest.approx(bias)
    assert values["mean_bias_share"] == pytest.approx(share)


def test_mean_bias_share_is_omitted_when_the_mean_target_is_zero() -> None:
    values = _values([-1.0, 1.0], [0.0, 2.0])
    assert values["mean_bias"] == pytest.approx(1.0)
    assert "mean_bias_share" not in values
