"""Train and score people-analytics ML models for dbt Python models.

Pure-Python library: a pandas frame and an :class:`MLModelSpec` in, pandas frames
(:class:`RunOutputs`) out. The dbt side reads frames from DuckDB, decides
train-or-score and appends the outputs to tables.

Entry points
------------
:func:`train`
    time split -> feature profile (EDA) -> AutoML on the training period ->
    test metrics -> predictions and SHAP values for the predict set -> artifact.
:func:`score`
    verify and load a frozen artifact, predict and explain the current predict
    set with exactly the persisted pipeline, threshold and feature list; test
    metrics for monitoring when the latest labelled period has labels. Never
    fits and never falls back to training.
:func:`fit_hazard`
    a discrete-time hazard: AutoML on person-month rows (target: the event in
    the next month), read as the probability of the event within any horizon
    (``1 - prod (1 - h)``, clock features advanced as :class:`ClockRule`
    declares; ``look_ahead_months`` trains on months further ahead too).
    :func:`train` and :func:`score` run it for a spec with ``formulation:
    hazard`` (:mod:`._hazard_run`): split by :func:`hazard_split` (test on the
    month-end ``label_horizon_months`` before the as-of date, train on what
    was known then), predictions at every horizon.

Design decisions
----------------
Split and embargo
    Predict set: rows at the latest sample date with a null target. Test set:
    all labelled rows at the latest labelled date. Training: labelled rows with
    ``sample_date <= test_date - label_horizon_months`` (month ends map to month
    ends). A label at date ``s`` resolves over ``(s, s + horizon]``, so the
    embargo guarantees every training label was known at the test date: the
    model learns only what production would have known, and no training outcome
    window overlaps the test period's. Rows in the gap are unused.
Tuning
    Cross-validation on the training period only, folds grouped by entity
    (``StratifiedGroupKFold`` / ``GroupKFold``), so a person's other snapshots
    never validate their own. Candidates: regularised logistic regression /
    ridge and ``HistGradientBoosting`` (bounded to <= 200 trees, <= 31 leaves,
    depth <= 6 so SHAP on 100k rows takes seconds to a couple of minutes, see
    ``benchmarks/shap_cost.py``). The winner maximises the spec metric.
Class imbalance
    ``class_weight`` (None | balanced) is searched for the linear model; trees
    are unweighted (sklearn's weighted binning made fits 5-10x slower). No
    resampling. The decision threshold maximises the minority class's F1 on
    out-of-fold training predictions, never on the test period.
Calibration
    The winner's out-of-fold margins are calibrated by cross-fitting (sigmoid;
    isotonic from 1000 rows) and a calibrator is kept only if it lowers the
    out-of-fold Brier score by at least 1 %; it is then fit on all out-of-fold
    margins. The decision and the Brier/log-loss comparison are recorded.
Seasonal offsets
    With sample dates in two or more calendar months, a log-odds offset per
    calendar month makes each month's out-of-fold expected count match its
    actual one when a joint test finds the months differ beyond chance (a
    month distinct on its own keeps its offset, the others share one;
    empirical-Bayes shrinkage). ``predict(X, sample_dates)`` adds them; the
    threshold is chosen on the adjusted probabilities (:mod:`._seasonal`).
SHAP output space
    SHAP explains the model's raw output: the log-odds margin for classifiers
    (``shap_output_space='log_odds'``) and the prediction for regressors
    (``'prediction'``). When a calibrator or a seasonal offset is applied,
    ``prediction`` is the calibrated probability but SHAP still explains the
    uncalibrated margin
    (``'log_odds_uncalibrated'``): ``base_value + sum(shap) == model_output``
    (checked, else :class:`ExplanationError`), not the probability. One-hot and
    missing-indicator columns are summed back to their original feature.
Drivers
    Global importance (mean |SHAP|) with a 95 % interval, a direction only
    where the data support it (``'unclear'`` below a floor of 2 % of the total
    importance or when the interval spans zero, ``'mixed'`` for a U-shape or a
    category) and per-level effects of ordinal and categorical features
    (:func:`explain_drivers`). The interval bootstraps the explained rows,
    each replicate with one of the model's refits on resampled training
    people (kept in the artifact, so scored runs reuse them).
Artifacts
    Content-addressed pickles ``<sha256>.pkl`` written atomically and never
    overwritten; the file's sha256 is verified before anything is unpickled and
    scikit-learn/numpy minor-version differences are refused.
Threads
    Native thread pools are limited to ``$PEOPLE_ML_THREADS`` (default 1):
    OpenMP spin-waiting made HistGradientBoosting fits 10-40x slower on a busy
    2-core machine.
"""

from __future__ import annotations

import logging

from ._artifact import load_artifact, save_artifact, sha256_file
from ._automl import AutoMLResult, CandidateResult, fit_automl
from ._drivers import Drivers, explain_drivers
from ._entry import score, train
from ._exceptions import (
    ArtifactError,
    ArtifactVersionWarning,
    DataError,
    ExplanationError,
    MLError,
    RunWarning,
    ScoringError,
    SpecError,
    SplitError,
)
from ._features import FeatureSchema
from ._hazard import (
    DEFAULT_CLOCKS,
    ClockRule,
    FollowUp,
    HazardModel,
    censor_at,
    clocks_from_config,
    fit_hazard,
    horizon_labels,
)
from ._labels import (
    BUILT_IN_FEATURES,
    UNITS,
    FeatureText,
    default_label,
    feature_text,
    format_value,
)
from ._metrics import choose_threshold, evaluate
from ._model import Explanation, FittedModel, Predictions
from ._outputs import OUTPUT_COLUMNS, RunOutputs
from ._profile import profile_features
from ._progress import LOGGER as _PROGRESS_LOGGER
from ._progress import stage
from ._quality import candidate_features
from ._reference import (
    FeatureReference,
    TrainingReference,
    level_counts,
    monitoring_values,
    numeric_bin_counts,
)
from ._run import ModelArtifact, fingerprint
from ._shadow import ShadowExplanation, explain_with_run, predict_with_run
from ._spec import ALGORITHMS, MLModelSpec
from ._split import (
    HazardSplit,
    SplitBoundaries,
    TimeSplit,
    hazard_split,
    holdout_split,
    split_frame,
    time_split,
)

__all__ = [
    "ALGORITHMS",
    "BUILT_IN_FEATURES",
    "DEFAULT_CLOCKS",
    "OUTPUT_COLUMNS",
    "UNITS",
    "ArtifactError",
    "ArtifactVersionWarning",
    "AutoMLResult",
    "CandidateResult",
    "ClockRule",
    "DataError",
    "Drivers",
    "Explanation",
    "ExplanationError",
    "FeatureReference",
    "FeatureSchema",
    "FeatureText",
    "FittedModel",
    "FollowUp",
    "HazardModel",
    "HazardSplit",
    "MLError",
    "MLModelSpec",
    "ModelArtifact",
    "Predictions",
    "RunOutputs",
    "RunWarning",
    "ScoringError",
    "ShadowExplanation",
    "SpecError",
    "SplitBoundaries",
    "SplitError",
    "TimeSplit",
    "TrainingReference",
    "candidate_features",
    "censor_at",
    "choose_threshold",
    "clocks_from_config",
    "default_label",
    "evaluate",
    "explain_drivers",
    "explain_with_run",
    "feature_text",
    "fingerprint",
    "fit_automl",
    "fit_hazard",
    "format_value",
    "hazard_split",
    "holdout_split",
    "horizon_labels",
    "level_counts",
    "load_artifact",
    "monitoring_values",
    "numeric_bin_counts",
    "predict_with_run",
    "profile_features",
    "progress_logger",
    "save_artifact",
    "score",
    "sha256_file",
    "split_frame",
    "stage",
    "time_split",
    "train",
]


def progress_logger() -> logging.Logger:
    """The logger of long work's progress (``people_ml.progress``)."""
    return _PROGRESS_LOGGER
