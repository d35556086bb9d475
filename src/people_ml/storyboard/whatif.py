"""What-if: a person's risk with some features changed, and a lever over a group.

Both rescore with the shown run's own pickle, verified by its sha256 before
it is unpickled (:func:`people_ml.ml.explain_with_run`, the library's
scoring; nothing is fitted). A person's features are rebuilt from the
published drivers (one value per feature of the model) and typed by the
model's persisted schema; unchanged, they give back the published
prediction exactly, which :func:`rebuild_check` proves on every what-if.

The model is correlational: a change in its output says how risk went with
such people in the past, not what a change would cause.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from people_ml.ml import (
    BUILT_IN_FEATURES,
    FeatureSchema,
    ShadowExplanation,
    explain_with_run,
    load_artifact,
    predict_with_run,
)
from people_ml.storyboard.data import Marts, points_effect, run_record

__all__ = [
    "CORRELATIONAL_NOTE",
    "PAY_RATIO_FEATURES",
    "LeverResult",
    "RunModel",
    "WhatIf",
    "WhatIfError",
    "apply_changes",
    "feature_rows",
    "lever",
    "run_model",
    "salaries",
    "what_if",
]

#: Features that are pay over a reference (a band midpoint): raising one to a
#: floor costs each person's salary times ``floor / value - 1``.
PAY_RATIO_FEATURES = ("compa_ratio",)

CORRELATIONAL_NOTE = (
    "The model is correlational, not causal: it says how risk went with people "
    "like this in the past. A lower risk after a change is a reason to look "
    "closer, not a promise that the change would keep anyone."
)


class WhatIfError(RuntimeError):
    """The shown run's model cannot rescore (no pickle, tampered, changed)."""


@dataclass(frozen=True)
class RunModel:
    """Where the shown run's pickle is, and its persisted feature schema."""

    run_id: str
    model_key: str
    artifact_dir: Path
    artifact_path: str
    artifact_sha256: str
    schema: tuple[FeatureSchema, ...]
    sample_date: str

    def _where(self) -> dict[str, Any]:
        return {
            "artifact_dir": self.artifact_dir,
            "artifact_path": self.artifact_path,
            "artifact_sha256": self.artifact_sha256,
            "run_id": self.run_id,
            "model_key": self.model_key,
        }

    def explain(self, rows: pd.DataFrame) -> ShadowExplanation:
        """Predict and explain ``rows`` with the verified pickle."""
        return explain_with_run(rows, **self._where())

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """Predict ``rows`` with the verified pickle (no SHAP: a lever's many)."""
        return predict_with_run(rows, **self._where()).prediction

    def feature(self, name: str) -> FeatureSchema | None:
        """The schema of feature ``name`` (None if the model has no such)."""
        return next((f for f in self.schema if f.name == name), None)


def artifact_dir() -> Path:
    """The project's pickles (``PEOPLE_ML_ARTIFACT_DIR``, as dbt writes them)."""
    from people_ml.project import find_project

    explicit = os.environ.get("PEOPLE_ML_ARTIFACT_DIR")
    if explicit:
        return Path(explicit)
    return find_project().artifact_dir


@functools.lru_cache(maxsize=8)
def _schema(path: str, sha256: str, run_id: str, model_key: str) -> tuple[Any, str]:
    artifact = load_artifact(Path(path), sha256, run_id, model_key=model_key)
    return tuple(artifact.model.schema), str(artifact.spec["sample_date"])


def run_model(marts: Marts, model_key: str, directory: Path | None = None) -> RunModel:
    """The shown run of ``model_key`` with its verified model's schema.

    Raises
    ------
    WhatIfError
        No shown run, its pickle missing or altered; the message says which
        file and what to do.
    """
    run_id = marts.shown_run_id(model_key)
    record = run_record(marts, run_id) if run_id else None
    if run_id is None or record is None or pd.isna(record["artifact_sha256"]):
        raise WhatIfError(f"{model_key} has no shown run with a model to rescore.")
    sha = str(record["artifact_sha256"])
    folder = directory or artifact_dir()
    path = folder / f"{sha}.pkl"
    try:
        schema, sample_date = _schema(str(path), sha, run_id, model_key)
    except Exception as error:  # ArtifactError, ScoringError, OSError
        raise WhatIfError(
            f"The model of run {run_id[:12]} cannot rescore: {error}"
        ) from error
    return RunModel(
        run_id=run_id,
        model_key=model_key,
        artifact_dir=folder,
        artifact_path=path.name,
        artifact_sha256=sha,
        schema=schema,
        sample_date=sample_date,
    )


def feature_rows(
    marts: Marts, model: RunModel, worker_ids: list[str] | None = None
) -> pd.DataFrame:
    """The model's input rows of the shown run's people (index: worker id),
    rebuilt from the published drivers and typed by the model's schema."""
    features = [f.name for f in model.schema if f.name in _explained(model)]
    drivers = marts.drivers(model.model_key, worker_ids=worker_ids, features=features)
    text = drivers.pivot(index="worker_id", columns="feature", values="feature_value")
    number = drivers.pivot(
        index="worker_id", columns="feature", values="feature_value_numeric"
    )
    rows = pd.DataFrame(index=text.index)
    for f in model.schema:
        if f.name not in text:
            continue
        rows[f.name] = _typed(f, text[f.name], number[f.name])
    dates = marts.predictions(model.model_key).set_index("worker_id")["sample_date"]
    rows[model.sample_date] = pd.to_datetime(rows.index.map(dates))
    rows.index.name = "worker_id"
    return rows


def _explained(model: RunModel) -> set[str]:
    """The features a person's drivers hold: all but a hazard's own clock."""
    return {f.name for f in model.schema if f.name not in BUILT_IN_FEATURES}


def _typed(f: FeatureSchema, text: pd.Series, number: pd.Series) -> pd.Series:
    """A published value back in a dtype the model's schema accepts."""
    source = str(f.source_dtype).lower()
    if f.kind == "boolean" or source in {"bool", "boolean"}:
        flags = (
            text.astype("string")
            .str.lower()
            .map(
                {
                    "true": True,
                    "false": False,
                    "1": True,
                    "0": False,
                    "1.0": True,
                    "0.0": False,
                }
            )
        )
        return flags.astype("boolean")
    if f.kind == "numeric":  # any numeric dtype fits a numeric feature
        return pd.to_numeric(number, errors="coerce").astype("float64")
    return text.astype("string").where(text.notna(), pd.NA)


def salaries(marts: Marts) -> pd.Series | None:
    """Base salary by worker id, from the expected-pay mart (None without)."""
    if "fct_ml_expected_pay" not in marts.publication.tables:
        return None
    pay = marts.table("fct_ml_expected_pay")
    return pay.set_index("worker_id")["actual_base_salary"].astype(float)


def apply_changes(rows: pd.DataFrame, changes: dict[str, object]) -> pd.DataFrame:
    """``rows`` with each feature of ``changes`` set to its value (typed)."""
    out = rows.copy()
    for feature, value in changes.items():
        if feature not in out:
            raise WhatIfError(f"the model has no feature {feature!r} to change")
        dtype = out[feature].dtype
        out[feature] = pd.Series([value] * len(out), index=out.index).astype(dtype)
    return out


@dataclass(frozen=True)
class WhatIf:
    """A person's risk and drivers before and after a change."""

    before: float
    after: float
    #: One row per feature: value before/after, effect before/after
    #: (percentage points of risk, or the prediction's unit).
    drivers: pd.DataFrame


def what_if(
    model: RunModel,
    rows: pd.DataFrame,
    changes: dict[str, object],
    *,
    published: float | None = None,
    classification: bool = True,
) -> WhatIf:
    """Rescore one person's row with ``changes`` applied.

    ``published``: the person's prediction in the marts; the rebuilt row
    must reproduce it (else the what-if would rescore someone else).
    """
    if len(rows) != 1:
        raise WhatIfError(f"a what-if rescores one person, not {len(rows)}")
    changed = apply_changes(rows, changes)
    both = pd.concat([rows, changed])
    explained = model.explain(both)
    before, after = (float(p) for p in explained.predictions.prediction)
    if published is not None and not np.isclose(before, published, atol=1e-9):
        raise WhatIfError(
            f"the person's rebuilt features give a risk of {before:.4%}, the "
            f"marts {published:.4%}: the publication and run "
            f"{model.run_id[:12]}'s pickle disagree; rebuild with `dbt build`."
        )
    shap = explained.shap_values
    effects = {}
    for position, probability in ((0, before), (1, after)):
        values = shap.iloc[position]
        effects[position] = (
            points_effect(pd.Series([probability] * len(values)), values)
            if classification
            else values.to_numpy(float)
        )
    features = list(shap.columns)
    drivers = pd.DataFrame(
        {
            "feature": features,
            "value_before": [rows.iloc[0][f] for f in features],
            "value_after": [changed.iloc[0][f] for f in features],
            "effect_before": effects[0],
            "effect_after": effects[1],
        }
    )
    drivers["is_changed"] = drivers["feature"].isin(list(changes))
    drivers = drivers.sort_values("effect_after", key=lambda v: -v.abs()).reset_index(
        drop=True
    )
    return WhatIf(before=before, after=after, drivers=drivers)


@dataclass(frozen=True)
class LeverResult:
    """A lever pulled for a group: who it touches, leavers before and after."""

    people: int
    changed: int
    expected_before: float
    expected_after: float
    #: The yearly cost of the lever where it is a pay rise (else None).
    cost: float | None
    #: Every person of the group: worker id, risk before and after.
    risks: pd.DataFrame


def lever(
    model: RunModel,
    rows: pd.DataFrame,
    feature: str,
    *,
    below: float,
    to: float,
    salary: pd.Series | None = None,
) -> LeverResult:
    """Everyone with ``feature`` below ``below`` set to ``to``; rescored.

    ``salary`` (by worker id): with a ratio lever such as the compa-ratio,
    the cost is each changed person's salary times ``to / value - 1``.
    """
    if feature not in rows:
        raise WhatIfError(f"the model has no feature {feature!r} to change")
    values = pd.to_numeric(rows[feature], errors="coerce")
    touched = values < below
    changed = rows.copy()
    changed.loc[touched, feature] = to
    changed[feature] = changed[feature].astype(rows[feature].dtype)
    before = model.predict(rows)
    after_all = before.copy()
    if touched.any():
        after_all[touched.to_numpy()] = model.predict(changed[touched])
    cost = None
    if salary is not None and touched.any():
        pay = salary.reindex(rows.index[touched]).astype(float)
        cost = float((pay * (to / values[touched] - 1)).sum())
    risks = pd.DataFrame(
        {"worker_id": rows.index, "before": before, "after": after_all}
    )
    return LeverResult(
        people=len(rows),
        changed=int(touched.sum()),
        expected_before=float(np.sum(before)),
        expected_after=float(np.sum(after_all)),
        cost=cost,
        risks=risks,
    )
