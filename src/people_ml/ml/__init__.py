"""Train and score people-analytics ML models for dbt Python models.

The public API: parse a spec, split a panel frame in time, profile features, run
AutoML, persist and verify artifacts, and the two entry points :func:`train` and
:func:`score` that return :class:`RunOutputs` frames for the dbt side.
"""

from __future__ import annotations

from ._artifact import load_artifact, save_artifact, sha256_file
from ._automl import AutoMLResult, CandidateResult, fit_automl
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
from ._metrics import choose_threshold, evaluate
from ._model import Explanation, FittedModel, Predictions
from ._profile import profile_features
from ._run import OUTPUT_COLUMNS, ModelArtifact, RunOutputs, score, train
from ._spec import ALGORITHMS, MLModelSpec
from ._split import SplitBoundaries, TimeSplit, time_split

__all__ = [
    "ALGORITHMS",
    "OUTPUT_COLUMNS",
    "ArtifactError",
    "ArtifactVersionWarning",
    "AutoMLResult",
    "CandidateResult",
    "DataError",
    "Explanation",
    "ExplanationError",
    "FeatureSchema",
    "FittedModel",
    "MLError",
    "MLModelSpec",
    "ModelArtifact",
    "Predictions",
    "RunOutputs",
    "RunWarning",
    "ScoringError",
    "SpecError",
    "SplitBoundaries",
    "SplitError",
    "TimeSplit",
    "choose_threshold",
    "evaluate",
    "fit_automl",
    "load_artifact",
    "profile_features",
    "save_artifact",
    "score",
    "sha256_file",
    "time_split",
    "train",
]
