"""A model's review policy: protected attributes, slices and deployment gates.

Declared per ML model under ``review:`` in its spec (the ``ml_model`` config of
the dbt Python model)::

    review:
      protected: [gender, ethnicity_group, age_band]
      slices: [division_name, job_level]
      min_group_size: 10
      bootstrap_rounds: 200
      allow_protected_features: {}        # column: why it may be a feature
      gates:
        min_test_roc_auc: 0.65
        max_metric_drop_vs_shown: 0.03
        min_selection_rate_ratio: 0.8
        max_equalized_odds_difference: 0.2
        min_test_minority_rows: 10

A protected attribute is never a feature unless ``allow_protected_features``
names it with a reason, which the run then records as a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "GATES",
    "PolicyError",
    "ReviewPolicy",
    "check_protected_columns",
    "check_protected_features",
]

#: Every gate a policy may set: what it judges, and on which problem types.
GATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "min_test_roc_auc": (
        "the test period's ROC AUC is at least this",
        ("binary_classification",),
    ),
    "min_test_r2": ("the test period's R2 is at least this", ("regression",)),
    "max_metric_drop_vs_shown": (
        "the run scores at most this much worse than the run BI shows, both "
        "scored on this run's test period (ROC AUC points; for regression, the "
        "relative increase of MAE)",
        ("binary_classification", "regression"),
    ),
    "min_selection_rate_ratio": (
        "for each protected attribute, every group's share flagged on the "
        "predict set is at least this share of the largest group's, and the "
        "largest group's at least this share of every group's (the "
        "four-fifths rule, read both ways: 0.8)",
        ("binary_classification",),
    ),
    "max_equalized_odds_difference": (
        "for each protected attribute, no group's true or false positive rate "
        "on the test period differs from the largest group's by more than this",
        ("binary_classification",),
    ),
    "min_test_minority_rows": (
        "the test period holds at least this many rows of the rarer class",
        ("binary_classification",),
    ),
}

#: Gates judged on an interval rather than a point (fairness, small groups).
INTERVAL_GATES = ("min_selection_rate_ratio", "max_equalized_odds_difference")


class PolicyError(ValueError):
    """A review policy that cannot be used; names the key and the fix."""


def _names(key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise PolicyError(
            f"review.{key}: expected a list of column names, got {value!r}"
        )
    names = tuple(str(v) for v in value)
    if len(set(names)) != len(names):
        raise PolicyError(f"review.{key}: {list(names)} repeats a column")
    return names


@dataclass(frozen=True)
class ReviewPolicy:
    """What the review looks at and what a run must pass to be deployed."""

    protected: tuple[str, ...] = ()
    slices: tuple[str, ...] = ()
    min_group_size: int = 10
    bootstrap_rounds: int = 200
    allow_protected_features: Mapping[str, str] = field(default_factory=dict)
    gates: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any] | None, *, problem_type: str
    ) -> ReviewPolicy:
        """Parse and check the ``review:`` mapping of a spec.

        Raises
        ------
        PolicyError
            An unknown key or gate, a gate for another problem type, a bad
            value; the message names it and what is allowed.
        """
        config = dict(config or {})
        allowed = {
            "protected",
            "slices",
            "min_group_size",
            "bootstrap_rounds",
            "allow_protected_features",
            "gates",
        }
        unknown = sorted(set(config) - allowed)
        if unknown:
            raise PolicyError(
                f"review: unknown key(s) {unknown}; allowed: {sorted(allowed)}"
            )
        gates = dict(config.get("gates") or {})
        for gate, limit in gates.items():
            if gate not in GATES:
                raise PolicyError(
                    f"review.gates.{gate}: no such gate; allowed: {sorted(GATES)}"
                )
            if problem_type not in GATES[gate][1]:
                raise PolicyError(
                    f"review.gates.{gate}: not a gate for {problem_type} models"
                )
            if isinstance(limit, bool) or not isinstance(limit, int | float):
                raise PolicyError(
                    f"review.gates.{gate}: expected a number, got {limit!r}"
                )
        allow = dict(config.get("allow_protected_features") or {})
        for column, reason in allow.items():
            if not isinstance(reason, str) or not reason.strip():
                raise PolicyError(
                    f"review.allow_protected_features.{column}: give the reason "
                    "this protected attribute may be a feature"
                )
        size = config.get("min_group_size", 10)
        rounds = config.get("bootstrap_rounds", 200)
        for key, value, low in (
            ("min_group_size", size, 1),
            ("bootstrap_rounds", rounds, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise PolicyError(
                    f"review.{key}: expected an integer >= {low}, got {value!r}"
                )
        protected = _names("protected", config.get("protected"))
        slices = _names("slices", config.get("slices"))
        both = sorted(set(protected) & set(slices))
        if both:
            raise PolicyError(f"review: {both} are both protected and slices")
        stray = sorted(set(allow) - set(protected))
        if stray:
            raise PolicyError(
                f"review.allow_protected_features: {stray} are not in review.protected"
            )
        return cls(
            protected=protected,
            slices=slices,
            min_group_size=size,
            bootstrap_rounds=rounds,
            allow_protected_features=allow,
            gates={gate: float(limit) for gate, limit in gates.items()},
        )

    @property
    def attributes(self) -> dict[str, str]:
        """Every attribute the review groups by, with its kind."""
        return {
            **dict.fromkeys(self.protected, "protected"),
            **dict.fromkeys(self.slices, "slice"),
        }

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data (recorded with the run's spec)."""
        return {
            "protected": list(self.protected),
            "slices": list(self.slices),
            "min_group_size": self.min_group_size,
            "bootstrap_rounds": self.bootstrap_rounds,
            "allow_protected_features": dict(self.allow_protected_features),
            "gates": dict(self.gates),
        }


def check_protected_columns(
    policy: ReviewPolicy, columns: Iterable[str], *, model_key: str
) -> None:
    """Refuse a protected attribute the feature model does not have.

    A misspelt name would otherwise switch its fairness gates off silently.

    Raises
    ------
    PolicyError
        Naming the attributes and the fix.
    """
    absent = sorted(set(policy.protected) - set(columns))
    if absent:
        raise PolicyError(
            f"ML model {model_key}: review.protected names {absent}, which the "
            "feature model does not have: a protected attribute must be a column "
            "(kept with keep_columns) for the run to be reviewed for fairness; "
            "fix the name in the spec or add the column"
        )


def check_protected_features(
    policy: ReviewPolicy, features: Iterable[str], *, model_key: str
) -> list[str]:
    """Refuse protected attributes among the features, unless allowed.

    Returns
    -------
    list of str
        For each allowed one, the line the run records (column and reason).

    Raises
    ------
    PolicyError
        Naming the protected attributes used as features and the fix.
    """
    used = [name for name in features if name in policy.protected]
    refused = [name for name in used if name not in policy.allow_protected_features]
    if refused:
        raise PolicyError(
            f"ML model {model_key}: protected attribute(s) {refused} would be "
            "features. Add them to keep_columns (kept for the fairness review, "
            "never a feature), or, if the model must use one, allow it with a "
            "reason under review.allow_protected_features."
        )
    return [
        f"{name} is a feature by the spec's leave: "
        f"{policy.allow_protected_features[name]}"
        for name in used
    ]
