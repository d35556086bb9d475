"""Exception and warning types raised by :mod:`people_ml.ml`."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ArtifactError",
    "ArtifactVersionWarning",
    "DataError",
    "ExplanationError",
    "MLError",
    "RunWarning",
    "ScoringError",
    "SpecError",
    "SplitError",
]


class MLError(Exception):
    """Base class of every error raised by :mod:`people_ml.ml`."""


class SpecError(MLError, ValueError):
    """A model specification (YAML config) is invalid."""


class DataError(MLError, ValueError):
    """The input frame breaks the input contract (columns, types, target values)."""


class SplitError(DataError):
    """The time-aware split cannot produce usable train, test or predict sets."""


class ArtifactError(MLError):
    """A persisted model artifact is missing, altered or incompatible."""


class ScoringError(MLError):
    """A frozen model cannot score the given frame."""


class ExplanationError(MLError):
    """SHAP values failed the additivity check or could not be computed."""


class ArtifactVersionWarning(UserWarning):
    """A library differs from the artifact's by a patch or non-critical version."""


@dataclass(frozen=True)
class RunWarning:
    """A warning or note recorded in the ``warnings`` output table.

    Parameters
    ----------
    severity : {'info', 'warning'}
        ``'info'`` records a decision, ``'warning'`` something a person should check.
    code : str
        Stable snake_case code, e.g. ``'feature_dropped'``.
    message : str
        Human-readable explanation.
    """

    severity: str
    code: str
    message: str
