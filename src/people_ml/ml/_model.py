"""The fitted model persisted in artifacts: prediction and SHAP explanation."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import expit

from ._exceptions import ExplanationError
from ._features import FeatureSchema, coerce_features
from ._seasonal import calendar_months
from ._threads import limit_threads

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

    import pandas as pd
    from sklearn.pipeline import Pipeline

    from ._calibration import MarginCalibrator
    from ._seasonal import SeasonalOffsets

__all__ = ["Explanation", "FittedModel", "Predictions"]

#: Additivity tolerance: |base + sum(shap) - output| <= ATOL + RTOL * |output|.
ADDITIVITY_ATOL = 1e-5
ADDITIVITY_RTOL = 1e-6


@dataclass(frozen=True)
class Predictions:
    """Model outputs for a set of rows.

    Attributes
    ----------
    prediction : ndarray
        Probability of the positive class (calibrated if a calibrator is used,
        with the sample month's seasonal offset when dates were given) or the
        regression value.
    predicted_class : ndarray or None
        0/1 at the decision threshold (classification only).
    model_output : ndarray
        What SHAP explains: the uncalibrated log-odds margin (classification) or
        the prediction (regression).
    """

    prediction: np.ndarray
    predicted_class: np.ndarray | None
    model_output: np.ndarray


@dataclass(frozen=True)
class Explanation:
    """SHAP values mapped back to the original features.

    Attributes
    ----------
    values : ndarray of shape (n_rows, n_features)
        One column per original feature (one-hot and indicator columns summed).
    base_value : float
        The explainer's expected value.
    model_output : ndarray
        ``base_value + values.sum(axis=1)`` equals this within tolerance.
    features : tuple of str
        Column order of ``values``.
    output_space : str
        ``'log_odds'``, ``'log_odds_uncalibrated'`` or ``'prediction'``.
    """

    values: np.ndarray
    base_value: float
    model_output: np.ndarray
    features: tuple[str, ...]
    output_space: str


@dataclass
class FittedModel:
    """A tuned, fitted pipeline with its decision rules, as persisted.

    Attributes
    ----------
    problem_type : str
        ``'binary_classification'`` or ``'regression'``.
    algorithm : str
        Candidate name, e.g. ``'logistic_regression'``.
    family : {'linear', 'tree'}
        Chooses the SHAP explainer.
    hyperparameters : dict
        The tuned settings.
    pipeline : sklearn.pipeline.Pipeline
        ``preprocess`` (ColumnTransformer) then ``model``.
    schema : tuple of FeatureSchema
        Final features with their kinds and training dtypes/categories.
    threshold : float or None
        Decision threshold on ``prediction`` (classification).
    minority_class : int or None
        Class whose F1 the threshold maximises.
    calibration : str
        ``'none'``, ``'sigmoid'``, ``'isotonic'`` (``'none'`` for regression).
    calibrator : MarginCalibrator or None
        Applied to the margin when calibration is not ``'none'``.
    seasonal : SeasonalOffsets or None
        Log-odds offsets by calendar month of the sample date, added to the
        (calibrated) probability when :meth:`predict` is given sample dates
        (:mod:`._seasonal`); None in older pickles and when not fitted.
    class_balance : str
        How class imbalance was handled.
    background_mean, background_cov : ndarray or None
        Moments of the transformed training matrix for ``LinearExplainer``.
    resample_fraction : float or None
        A refit's (:mod:`._refits`): the rows of its resample over the rows
        the model was fitted on (1 when the resample is as large). None for the
        model itself and for refits in older pickles.
    """

    problem_type: str
    algorithm: str
    family: str
    hyperparameters: dict[str, Any]
    pipeline: Pipeline
    schema: tuple[FeatureSchema, ...]
    threshold: float | None = None
    minority_class: int | None = None
    calibration: str = "none"
    calibrator: MarginCalibrator | None = None
    seasonal: SeasonalOffsets | None = None
    class_balance: str = "not applicable"
    background_mean: np.ndarray | None = field(default=None, repr=False)
    background_cov: np.ndarray | None = field(default=None, repr=False)
    resample_fraction: float | None = None

    @property
    def features(self) -> tuple[str, ...]:
        """Original feature names, in pipeline order."""
        return tuple(f.name for f in self.schema)

    @property
    def shap_output_space(self) -> str:
        """Space in which SHAP values add up (see :class:`Explanation`)."""
        if self.problem_type == "regression":
            return "prediction"
        # Older pickles lack the attribute and read the class default, None.
        if self.calibrator is None and (
            self.seasonal is None or not self.seasonal.active
        ):
            return "log_odds"
        return "log_odds_uncalibrated"

    def prepare(
        self, frame: pd.DataFrame, sample_dates: pd.Series | np.ndarray | None = None
    ) -> pd.DataFrame:
        """Coerce raw feature columns to the persisted schema."""
        return coerce_features(frame, self.schema, sample_dates)

    def _margin(self, X: pd.DataFrame) -> np.ndarray:
        est = self.pipeline
        if self.problem_type == "regression":
            return np.asarray(est.predict(X), dtype=float)
        return np.asarray(est.decision_function(X), dtype=float)

    def predict(
        self,
        X: pd.DataFrame,
        sample_dates: pd.Series | np.ndarray | None = None,
    ) -> Predictions:
        """Predict prepared rows (output of :meth:`prepare`).

        Parameters
        ----------
        X : pandas.DataFrame
            Prepared features.
        sample_dates : array-like or None, default=None
            Each row's sample date: a classifier with seasonal offsets adds
            its calendar month's offset. Without dates none is added (the
            pooled calibration, which the threshold was not chosen on): pass
            them whenever the model has offsets.

        Returns
        -------
        Predictions
        """
        with limit_threads():
            margin = self._margin(X)
        if self.problem_type == "regression":
            return Predictions(margin, None, margin)
        prob = (
            expit(margin)
            if self.calibrator is None
            else self.calibrator.predict_proba(margin)
        )
        if self.seasonal is not None and sample_dates is not None:
            prob = self.seasonal.apply(prob, calendar_months(sample_dates))
        threshold = 0.5 if self.threshold is None else self.threshold
        return Predictions(prob, (prob >= threshold).astype(int), margin)

    def transformed_columns(self) -> list[np.ndarray]:
        """Indices of the transformed columns produced by each original feature."""
        pre = self.pipeline.named_steps["preprocess"]
        n_out = sum(s.stop - s.start for s in pre.output_indices_.values())
        out = []
        for i in range(len(self.schema)):
            sl = pre.output_indices_[f"f{i}"]
            out.append(np.arange(sl.start, sl.stop))
        covered = np.concatenate(out) if out else np.array([], dtype=int)
        if len(covered) != n_out or len(np.unique(covered)) != n_out:
            raise ExplanationError("transformed columns do not map 1:n to features")
        return out

    def explain(self, X: pd.DataFrame, *, check_additivity: bool = True) -> Explanation:
        """SHAP values of prepared rows, summed back to the original features.

        ``shap.LinearExplainer`` (interventional, training-set moments) explains
        linear models and ``shap.TreeExplainer`` (path-dependent) the fitted
        gradient-boosted trees, both on the transformed matrix. Each original
        feature's value is the sum over its transformed columns (one-hot levels,
        missing indicator), which keeps additivity.

        Parameters
        ----------
        X : pandas.DataFrame
            Prepared features.
        check_additivity : bool, default=True
            Raise :class:`ExplanationError` unless ``base_value + sum(values)``
            equals the model output within tolerance.

        Returns
        -------
        Explanation
        """
        with limit_threads():
            return self._explain(X, check_additivity=check_additivity)

    def _explain(self, X: pd.DataFrame, *, check_additivity: bool) -> Explanation:
        shap = load_shap()
        pre = self.pipeline.named_steps["preprocess"]
        est = self.pipeline.named_steps["model"]
        Xt = np.asarray(pre.transform(X), dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            if self.family == "linear":
                explainer = shap.LinearExplainer(
                    est, (self.background_mean, self.background_cov)
                )
                raw = explainer.shap_values(Xt)
            else:
                explainer = shap.TreeExplainer(est)
                raw = explainer.shap_values(Xt, check_additivity=False)
        raw = np.asarray(raw, dtype=float)
        if raw.ndim == 3:  # (n, p, outputs): keep the positive-class margin
            raw = raw[:, :, -1]
        base = float(np.ravel(explainer.expected_value)[-1])
        values = (
            np.column_stack(
                [raw[:, cols].sum(axis=1) for cols in self.transformed_columns()]
            )
            if len(self.schema)
            else np.zeros((len(X), 0))
        )
        output = self._margin(X)
        if check_additivity:
            check_shap_additivity(values, base, output)
        return Explanation(values, base, output, self.features, self.shap_output_space)


def load_shap() -> ModuleType:
    """The shap module, imported on first use (about 0.4 s, once per process).

    A run calls it before it starts timing its explanation, so the SHAP rows
    per second it records measure SHAP, not the import.
    """
    import shap  # local: heavy import only when explaining

    return shap


def check_shap_additivity(
    values: np.ndarray, base_value: float, model_output: np.ndarray
) -> None:
    """Raise :class:`ExplanationError` if SHAP values do not add up.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_features)
    base_value : float
    model_output : ndarray of shape (n_rows,)
    """
    if len(model_output) == 0:
        return
    total = base_value + values.sum(axis=1)
    err = np.abs(total - model_output)
    limit = ADDITIVITY_ATOL + ADDITIVITY_RTOL * np.abs(model_output)
    if np.any(err > limit):
        worst = int(np.argmax(err - limit))
        raise ExplanationError(
            f"SHAP additivity violated: base value {base_value:.6g} + sum of SHAP "
            f"values {total[worst] - base_value:.6g} != model output "
            f"{model_output[worst]:.6g} (row {worst}, error {err[worst]:.3g}); the "
            "explainer does not match the fitted model."
        )


def summed_by_feature(raw: np.ndarray, groups: Sequence[np.ndarray]) -> np.ndarray:
    """Sum columns of ``raw`` per group (helper kept for tests and benchmarks)."""
    return np.column_stack([raw[:, g].sum(axis=1) for g in groups])
