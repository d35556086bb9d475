"""Entry points for dbt Python models: :func:`train` and :func:`score`.

The pipelines only: split, fit or load, evaluate, check, predict and explain.
The frames they return are built in :mod:`._outputs`, the same way for both.
"""

from __future__ import annotations

import calendar
import hashlib
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._artifact import load_artifact, save_artifact
from ._automl import fit_automl
from ._drivers import explain_drivers
from ._exceptions import (
    ArtifactError,
    ArtifactVersionWarning,
    DataError,
    RunWarning,
    ScoringError,
)
from ._metrics import evaluate, selection_score
from ._model import load_shap
from ._order import row_order
from ._outputs import (
    RunOutputs,
    effects_frame,
    importance_frame,
    metrics_frame,
    predictions_frame,
    profiles_frame,
    quality_frame,
    run_record,
    shap_frame,
    test_predictions_frame,
    warnings_frame,
)
from ._profile import profile_features
from ._progress import rows_per_second, stage
from ._quality import annotate_profile, inspect_frame, inspect_score, inspect_split
from ._reference import TrainingReference, build_reference
from ._refits import explain_refits, fit_refits, resample_fractions
from ._spec import MLModelSpec
from ._split import SplitBoundaries, TimeSplit, split_frame
from ._target import encode_target
from ._trust import (
    bootstrap_se,
    check_cv_folds,
    check_cv_test_agreement,
    check_test_period,
)
from ._versions import library_versions

if TYPE_CHECKING:
    from ._automl import AutoMLResult
    from ._features import FeatureSchema
    from ._hazard import HazardModel
    from ._model import FittedModel

__all__ = ["ModelArtifact", "score", "train"]


@dataclass
class ModelArtifact:
    """Payload persisted by :func:`train` and verified by :func:`score`.

    Attributes
    ----------
    model : FittedModel
        Pipeline, calibrator, threshold and feature schema (names, kinds,
        training dtypes, categories).
    spec : dict
        The spec used for training (:meth:`MLModelSpec.to_dict`).
    run_id : str
        Training run.
    training : dict
        Training facts repeated by scored runs: split boundaries, row count,
        fingerprint, selection metric, CV score, candidates, feature profile.
    library_versions : dict
        Versions at training time.
    refits : tuple of FittedModel
        The model refitted on resamples of its training people
        (:mod:`._refits`): the drivers' intervals of every run that uses the
        artifact. Empty in pickles made before them.
    hazard : HazardModel or None
        A hazard run's model (``formulation: hazard``): the monthly model is
        ``model``, this adds its clocks, sampling, horizons and threshold.
        None for a classifier or a regression.
    """

    model: FittedModel
    spec: dict[str, Any]
    run_id: str
    training: dict[str, Any]
    library_versions: dict[str, str] = field(default_factory=library_versions)
    refits: tuple[FittedModel, ...] = ()
    hazard: HazardModel | None = None


def fingerprint(frame: pd.DataFrame, spec: MLModelSpec) -> str:
    """sha256 of the training rows' canonical bytes.

    The same rows give the same digest in any row or column order. Canonical
    form: the columns in name order, each as its name and its values in the
    rows' order by entity id (as text) and sample date; numbers and booleans
    as little-endian float64 (every missing value the same NaN), dates as
    int64 microseconds (UTC), anything else as UTF-8 text joined by ``\\x1f``
    with ``\\x1e`` for a missing value. Columnar, so a few seconds for millions
    of rows (the CSV this replaced took most of a minute at 2.3 million).
    """
    order = row_order(frame, spec.entity_id, spec.sample_date)
    by_name = {str(c): c for c in frame.columns}
    digest = hashlib.sha256()
    for name in sorted(by_name):
        digest.update(b"\x1d" + name.encode("utf-8") + b"\x1d")
        digest.update(_canonical_bytes(frame[by_name[name]].iloc[order]))
    return digest.hexdigest()


def _canonical_bytes(s: pd.Series) -> bytes:
    """One column's values in :func:`fingerprint`'s canonical form."""
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert(None)
        stamps = s.to_numpy(dtype="datetime64[us]")
        return b"d" + stamps.view("<i8").tobytes()
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        values = s.to_numpy(dtype="float64", na_value=np.nan)
        values = np.where(np.isnan(values), np.nan, values)
        return b"n" + values.astype("<f8").tobytes()
    text = s.astype("string").fillna("\x1e")
    return b"t" + "\x1f".join(text.tolist()).encode("utf-8")


def _date(value: pd.Timestamp | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


@dataclass(frozen=True)
class _Explained:
    """The predict set's frames: predictions, SHAP values and global drivers."""

    predictions: pd.DataFrame
    shap_values: pd.DataFrame
    feature_importance: pd.DataFrame
    feature_effects: pd.DataFrame
    timings: dict[str, float]


def _predict_and_explain(
    run_id: str,
    spec: MLModelSpec,
    model: FittedModel,
    predict: pd.DataFrame,
    prepared: pd.DataFrame,
    refits: tuple[FittedModel, ...] = (),
) -> _Explained:
    """Predictions, SHAP values and drivers of the predict set, with timings.

    The drivers (importance intervals, directions, per-level effects) come
    from the same SHAP matrix and, for their intervals, from the model's
    refits' SHAP values of (a sample of) the same rows; ``explain_seconds``
    covers both. Trained and scored runs both have them.
    """
    started = time.perf_counter()
    preds = model.predict(prepared, predict[spec.sample_date])
    predicted = time.perf_counter()
    load_shap()  # the first import is not SHAP's speed
    explaining = time.perf_counter()
    expl = model.explain(prepared)
    shap_rate = rows_per_second(len(prepared), time.perf_counter() - explaining)
    rows, refit_shap = explain_refits(refits, prepared, random_state=spec.random_state)
    features = list(expl.features)
    drivers = explain_drivers(
        predict[features].reset_index(drop=True),
        pd.DataFrame(expl.values, columns=features),
        refit_shap_values=refit_shap,
        refit_rows=rows,
        refit_fractions=resample_fractions(refits),
        kinds={f.name: f.kind for f in model.schema},
        random_state=spec.random_state,
    )
    timings = {
        "predict_seconds": predicted - started,
        "explain_seconds": time.perf_counter() - predicted,
        "shap_rows_per_second": shap_rate,
    }
    return _Explained(
        predictions_frame(run_id, spec, predict, preds, expl),
        shap_frame(run_id, spec, predict, expl),
        importance_frame(run_id, drivers),
        effects_frame(run_id, drivers),
        timings,
    )


def _fmt(ts: pd.Timestamp | None) -> str:
    if ts is None:
        return "none"
    return str(ts.date()) if ts == ts.normalize() else ts.isoformat()


def _holdout_note(spec: MLModelSpec, b: SplitBoundaries) -> RunWarning:
    predicted = (
        f"whose {spec.target} is 0 (the outcome has not happened)"
        if spec.predict_rows == "negative_class"
        else f"whose {spec.target} is null"
    )
    return RunWarning(
        "info",
        "split",
        f"holdout: test {b.n_test} rows ({spec.test_share:.0%} of the labelled "
        f"{spec.entity_id}s, stratified by outcome, drawn by a stable hash of "
        f"the id), train {b.n_train} rows, predict {b.n_predict} rows at "
        f"{_fmt(b.predict_date)} {predicted}, {b.n_unused} rows unused",
    )


def _split_notes(b: SplitBoundaries, spec: MLModelSpec) -> list[RunWarning]:
    if spec.split == "holdout":
        return [_holdout_note(spec, b)]
    notes = [
        RunWarning(
            "info",
            "split",
            f"train {_fmt(b.train_start)} .. {_fmt(b.train_end)} ({b.n_train} rows; "
            f"cutoff {_fmt(b.train_cutoff)} = test date minus "
            f"{b.label_horizon_months} months), test {_fmt(b.test_date)} "
            f"({b.n_test} rows), predict {_fmt(b.predict_date)} ({b.n_predict} "
            f"rows), {b.n_unused} rows unused",
        )
    ]
    if b.test_date is not None and b.test_date == b.predict_date:
        notes.append(
            RunWarning(
                "warning",
                "latest_period_partially_labelled",
                f"the latest sample date {_fmt(b.predict_date)} has labelled and "
                "unlabelled rows; its labelled rows are the test set and may be "
                "an early, biased subset.",
            )
        )
    return notes


def label_notes(spec: MLModelSpec, features: Sequence[str]) -> list[RunWarning]:
    """An info note naming the model's features the spec gives no label."""
    missing = spec.unlabelled(features)
    if not missing:
        return []
    return [
        RunWarning(
            "info",
            "features_without_labels",
            f"{len(missing)} feature(s) have no label in the spec "
            f"({', '.join(missing)}): readers see their names with spaces "
            "instead. Add them under `feature_labels` (label, description, unit).",
        )
    ]


def _unseen_categories(model: FittedModel, prepared: pd.DataFrame) -> list[RunWarning]:
    notes = []
    for f in model.schema:
        if f.kind != "categorical" or f.categories is None:
            continue
        col = prepared[f.name]
        unseen = col.notna() & ~col.isin(list(f.categories))
        if unseen.any():
            levels = sorted(set(col[unseen]))[:5]
            notes.append(
                RunWarning(
                    "warning",
                    "unseen_categories",
                    f"{f.name}: {int(unseen.sum())} row(s) with levels unseen in "
                    f"training, e.g. {levels}; encoded as the infrequent level "
                    "or zeros.",
                )
            )
    return notes


@dataclass(frozen=True)
class _TestEvaluation:
    """The test period's metrics, notes, labels and model outputs."""

    metrics: pd.DataFrame | None
    notes: list[RunWarning]
    y: np.ndarray
    output: np.ndarray
    predictions: pd.DataFrame

    @property
    def trusted_size(self) -> bool:
        """False when a trust note already says the period is too small."""
        return not any(
            n.code in ("test_single_class", "test_too_few_minority") for n in self.notes
        )


def _test_metrics(
    spec: MLModelSpec, model: FittedModel, split: TimeSplit, run_id: str
) -> _TestEvaluation:
    test = split.test
    if test.empty:
        return _TestEvaluation(
            None,
            [RunWarning("info", "no_test_period", "no labelled rows to evaluate")],
            np.empty(0),
            np.empty(0),
            test_predictions_frame(run_id, spec, test, np.empty(0), None),
        )
    y = encode_target(test[spec.target], spec.problem_type, spec.target)
    prepared = model.prepare(test, test[spec.sample_date])
    preds = model.predict(prepared, test[spec.sample_date])
    notes: list[RunWarning] = []
    if spec.problem_type == "binary_classification":
        if len(np.unique(y)) < 2:
            notes.append(
                RunWarning(
                    "warning",
                    "test_single_class",
                    f"the test period {split.boundaries.test_date} holds one class; "
                    "ROC AUC and PR AUC are not computed.",
                )
            )
        notes += check_test_period(
            y, test_date=split.boundaries.test_date, min_rows=spec.min_minority_rows
        )
    metrics = evaluate(
        y, preds.prediction, problem_type=spec.problem_type, threshold=model.threshold
    )
    return _TestEvaluation(
        metrics,
        notes,
        y,
        preds.model_output,
        test_predictions_frame(run_id, spec, test, y, preds),
    )


def _cv_notes(
    spec: MLModelSpec, result: AutoMLResult, split: TimeSplit, test: _TestEvaluation
) -> list[RunWarning]:
    """Trust checks of the CV folds and of CV against the test period."""
    notes = check_cv_folds(result.fold_class_counts, min_rows=spec.min_minority_rows)
    if test.metrics is None or not test.trusted_size:
        return notes
    winner = next(c for c in result.candidates if c.selected)
    metric = result.selection_metric

    def score(y: np.ndarray, output: np.ndarray) -> float:
        return selection_score(metric, y, output)

    return notes + check_cv_test_agreement(
        winner.fold_scores,
        score(test.y, test.output),
        bootstrap_se(score, test.y, test.output, random_state=spec.random_state),
        metric=metric,
        test_date=split.boundaries.test_date,
    )


def train(
    frame: pd.DataFrame, spec: MLModelSpec, *, artifact_dir: Path, run_id: str
) -> RunOutputs:
    """Split by time, profile, run AutoML, evaluate, explain and persist.

    Parameters
    ----------
    frame : pandas.DataFrame
        Panel: one row per (entity_id, sample_date) with features and the
        target (null for the current period).
    spec : MLModelSpec
    artifact_dir : pathlib.Path
        Folder of content-addressed artifacts.
    run_id : str
        Identifier of this run, written to every frame.

    Returns
    -------
    RunOutputs
        ``run.mode == 'trained'``; ``metrics`` holds the test period (split
        ``'test'``) and the winner's out-of-fold training metrics (``'cv'``).

    Raises
    ------
    SplitError, DataError
        The frame cannot be split or modelled (see :func:`time_split`).
    ExplanationError
        SHAP values failed the additivity check.
    """
    quality = inspect_frame(frame, spec)
    quality.enforce(spec.key)
    split = split_frame(frame, spec)
    quality += inspect_split(split.train, split.test, spec)
    quality.enforce(spec.key)
    b = split.boundaries
    train_rows = split.train
    candidates_cols = [
        c
        for c in frame.columns
        if c not in (spec.entity_id, spec.sample_date, spec.target)
    ]
    fit_started = time.perf_counter()
    result = fit_automl(
        train_rows[candidates_cols],
        train_rows[spec.target],
        problem_type=spec.problem_type,
        metric=spec.metric,
        groups=train_rows[spec.entity_id].to_numpy(),
        sample_dates=pd.to_datetime(train_rows[spec.sample_date]).to_numpy(),
        cv_folds=spec.cv_folds,
        candidates=spec.algorithms,
        search_iterations=spec.search_iterations,
        selection_rule=spec.selection_rule,
        prune_features=spec.prune_features,
        seasonal_calibration=spec.seasonal_calibration,
        tuning_max_rows=spec.tuning_max_rows,
        random_state=spec.random_state,
        features=spec.features,
        exclude=spec.exclude,
        keep_columns=spec.keep_columns,
        dropped=quality.dropped_columns(),
    )
    quality += inspect_score(result.cv_metrics, spec)
    quality.enforce(spec.key)
    profile = annotate_profile(result.profile, quality)
    model = result.model
    stage("refitting the chosen model on resampled people (driver intervals)")
    refits = fit_refits(
        model,
        train_rows,
        train_rows[spec.target],
        groups=train_rows[spec.entity_id].to_numpy(),
        sample_dates=train_rows[spec.sample_date],
        random_state=spec.random_state,
    )
    fit_seconds = time.perf_counter() - fit_started
    notes = _split_notes(b, spec) + list(result.warnings)
    test = _test_metrics(spec, model, split, run_id)
    notes += test.notes + _cv_notes(spec, result, split, test)
    prepared = model.prepare(split.predict, split.predict[spec.sample_date])
    notes += _unseen_categories(model, prepared)
    notes += _uncovered_season(model, split.predict[spec.sample_date])
    notes += label_notes(spec, model.features)
    stage("predicting and explaining %s rows (SHAP)", f"{len(split.predict):,}")
    explained = _predict_and_explain(
        run_id, spec, model, split.predict, prepared, refits
    )
    reference = build_reference(
        run_id,
        train_rows,
        model.schema,
        train_rows[spec.sample_date],
        columns=candidates_cols,
    )
    training = {
        "train_start_date": _date(b.train_start),
        "train_end_date": _date(b.train_end),
        "n_train_rows": b.n_train,
        "training_data_fingerprint": fingerprint(train_rows, spec),
        "selection_metric": result.selection_metric,
        "cv_score": result.cv_score,
        "candidates": [c.to_dict() for c in result.candidates],
        "profile": profile,
        "reference": reference.to_dict(),
    }
    artifact = ModelArtifact(model, spec.to_dict(), run_id, training, refits=refits)
    sha, path = save_artifact(artifact, Path(artifact_dir), run_id=run_id)
    run = run_record(
        run_id=run_id,
        mode="trained",
        spec=spec,
        model=model,
        boundaries=b,
        training=training,
        artifact_sha256=sha,
        artifact_path=path.name,
        library_versions=artifact.library_versions,
        timings={"fit_seconds": fit_seconds, **explained.timings},
    )
    parts = [("test", test.metrics)] if test.metrics is not None else []
    parts.append(("cv", result.cv_metrics))
    return RunOutputs(
        run=run,
        predictions=explained.predictions,
        shap_values=explained.shap_values,
        feature_importance=explained.feature_importance,
        feature_effects=explained.feature_effects,
        metrics=metrics_frame(run_id, parts),
        feature_profiles=profiles_frame(run_id, profile, spec),
        warnings=warnings_frame(run_id, notes),
        test_predictions=test.predictions,
        data_quality=quality_frame(run_id, quality),
        reference=reference,
    )


def load_verified(
    path: Path,
    artifact_sha256: str,
    run_id: str,
    *,
    model_key: str,
    cannot: str,
    fix: str,
) -> tuple[ModelArtifact, list[RunWarning]]:
    """Verify and load a run's pickle: sha256 first, then library versions.

    ``cannot`` opens the message of a refusal (what cannot be done), ``fix``
    ends one about a file that holds no model artifact.

    Raises
    ------
    ArtifactError
        Missing, altered or version-incompatible artifact.
    ScoringError
        The file holds no people_ml model artifact.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ArtifactVersionWarning)
        try:
            artifact = load_artifact(path, artifact_sha256, run_id, model_key=model_key)
        except ArtifactError as exc:
            raise ArtifactError(f"{cannot}: {exc}") from exc
    notes = [
        RunWarning("warning", "library_version_difference", str(w.message))
        for w in caught
        if issubclass(w.category, ArtifactVersionWarning)
    ]
    if not isinstance(artifact, ModelArtifact):
        raise ScoringError(
            f"{cannot}: {path} does not hold a people_ml model artifact "
            f"(got {type(artifact).__name__}). {fix}"
        )
    return artifact, notes


def load_frozen(
    spec: MLModelSpec,
    *,
    artifact_dir: Path,
    run_id: str,
    frozen_run_id: str,
    artifact_sha256: str,
    artifact_path: Path,
) -> tuple[Path, ModelArtifact, list[RunWarning]]:
    """A scoring run's frozen artifact, verified, and its spec checked.

    Returns the artifact's resolved path, the artifact and the notes (library
    differences, spec keys changed since the freeze).
    """
    path = _resolve(artifact_dir, artifact_path)
    artifact, notes = load_verified(
        path,
        artifact_sha256,
        frozen_run_id,
        model_key=spec.key,
        cannot=f"run {run_id!r} cannot score with the model frozen in run "
        f"{frozen_run_id!r}",
        fix=f"Fix: unfreeze with `people-ml unfreeze {spec.key}`.",
    )
    notes += _check_frozen_spec(spec, artifact.spec, run_id, frozen_run_id)
    return path, artifact, notes


def refit_fix(spec: MLModelSpec) -> str:
    """The fix a scoring error about the frame's columns ends with."""
    return (
        "Fix: restore the column(s) in the upstream model, or unfreeze the model "
        f"with `people-ml unfreeze {spec.key}` so the next build trains on the "
        "current columns."
    )


def _resolve(artifact_dir: Path, artifact_path: Path) -> Path:
    path = Path(artifact_path)
    return path if path.is_absolute() else Path(artifact_dir) / path


def _relative(artifact_dir: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path(artifact_dir).resolve()))
    except ValueError:
        return str(path)


#: Spec keys that apply to each run, not to the frozen model: a change is used
#: by scored runs at once, so it is not reported as ignored.
# Keys a scored run takes from the current spec, not from the frozen run.
_PER_RUN_SETTINGS = frozenset({"min_minority_rows", "feature_labels"})


def _check_frozen_spec(
    spec: MLModelSpec, frozen: dict[str, Any], run_id: str, frozen_run_id: str
) -> list[RunWarning]:
    essential = (
        "key",
        "problem_type",
        "entity_id",
        "sample_date",
        "target",
        "formulation",
    )
    defaults = MLModelSpec.field_defaults()
    diff = {
        k: (frozen.get(k, defaults.get(k)), getattr(spec, k))
        for k in essential
        if frozen.get(k, defaults.get(k)) != getattr(spec, k)
    }
    if diff:
        raise ScoringError(
            f"run {run_id!r}: the frozen artifact of run {frozen_run_id!r} was trained "
            f"for a different model contract (artifact vs spec: {diff}). Fix: point "
            "the model at its own frozen run, or unfreeze it with `people-ml "
            f"unfreeze {spec.key}` so the next build trains anew."
        )
    defaults = MLModelSpec.field_defaults()
    changed = sorted(
        k
        for k, v in spec.to_dict().items()
        if k not in _PER_RUN_SETTINGS and frozen.get(k, defaults.get(k)) != v
    )
    if changed:
        return [
            RunWarning(
                "warning",
                "spec_changed_since_freeze",
                f"spec keys {changed} differ from the frozen run {frozen_run_id!r}; "
                "the frozen configuration is used. Unfreeze to apply them.",
            )
        ]
    return []


def _uncovered_season(model: FittedModel, dates: pd.Series) -> list[RunWarning]:
    """A note when a model with seasonal offsets predicts a month it has none for."""
    seasonal = model.seasonal
    if seasonal is None or not seasonal.active:
        return []
    months = sorted({int(m) for m in pd.to_datetime(dates).dt.month.dropna()})
    missing = [m for m in months if not seasonal.covers(m)]
    if not missing:
        return []
    names = ", ".join(calendar.month_name[m] for m in missing)
    trained = ", ".join(calendar.month_abbr[m] for m in sorted(seasonal.offsets))
    return [
        RunWarning(
            "info",
            "seasonal_calibration",
            f"the model's seasonal offsets cover {trained} (its training samples "
            f"with enough leavers); rows sampled in {names} are scored without one "
            "(the pooled calibration), so their expected counts may be off by the "
            "season's effect.",
        )
    ]


def _compatible(s: pd.Series, f: FeatureSchema) -> bool:
    if s.isna().all():
        return True
    text = pd.api.types.is_string_dtype(s) or pd.api.types.is_object_dtype(s)
    if f.kind == "numeric":
        return pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
    if f.kind == "boolean":
        return pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s) or text
    if f.kind == "date":
        return pd.api.types.is_datetime64_any_dtype(s) or text
    return text or isinstance(s.dtype, pd.CategoricalDtype)


def score(
    frame: pd.DataFrame,
    spec: MLModelSpec,
    *,
    artifact_dir: Path,
    run_id: str,
    frozen_run_id: str,
    artifact_sha256: str,
    artifact_path: Path,
) -> RunOutputs:
    """Score the current predict set with a frozen, verified artifact.

    Nothing is fitted: the persisted pipeline, calibrator, threshold and feature
    list are used as they are. If the latest labelled period has labels, test
    metrics are recorded for monitoring. Never falls back to training.

    Parameters
    ----------
    frame : pandas.DataFrame
        Same contract as :func:`train`.
    spec : MLModelSpec
        Must match the frozen model's key, problem type and contract columns.
    artifact_dir : pathlib.Path
        Folder the artifact path is relative to.
    run_id : str
        This run.
    frozen_run_id : str
        The training run whose artifact is used.
    artifact_sha256 : str
        Digest recorded for the frozen run.
    artifact_path : pathlib.Path
        Artifact file (relative to ``artifact_dir`` or absolute).

    Returns
    -------
    RunOutputs
        ``run.mode == 'scored'`` with the frozen model's configuration and
        ``frozen_run_id`` set.

    Raises
    ------
    ArtifactError
        Missing, altered or version-incompatible artifact.
    ScoringError
        The frame lacks a persisted feature, has an incompatible dtype, or the
        artifact belongs to another model.
    """
    path, artifact, notes = load_frozen(
        spec,
        artifact_dir=artifact_dir,
        run_id=run_id,
        frozen_run_id=frozen_run_id,
        artifact_sha256=artifact_sha256,
        artifact_path=artifact_path,
    )
    model = artifact.model
    fix = refit_fix(spec)
    missing = [f.name for f in model.schema if f.name not in frame.columns]
    if missing:
        raise ScoringError(
            f"run {run_id!r}: the frame lacks feature column(s) {missing} of the "
            f"model frozen in run {frozen_run_id!r}. {fix}"
        )
    split = split_frame(frame, spec, require_training=False)
    b = split.boundaries
    bad = [
        f"{f.name} (trained as {f.kind} from {f.source_dtype}, "
        f"now {frame[f.name].dtype})"
        for f in model.schema
        if not _compatible(split.predict[f.name], f)
    ]
    if bad:
        raise ScoringError(
            f"run {run_id!r}: incompatible dtype for feature(s) {bad} of the model "
            f"frozen in run {frozen_run_id!r}. {fix}"
        )
    try:
        prepared = model.prepare(split.predict, split.predict[spec.sample_date])
        test = _test_metrics(spec, model, split, run_id)
    except DataError as exc:
        raise ScoringError(
            f"run {run_id!r}: the frame does not fit the model frozen in run "
            f"{frozen_run_id!r}: {exc}. {fix}"
        ) from exc
    notes += _split_notes(b, spec) + test.notes + _unseen_categories(model, prepared)
    notes += label_notes(spec, model.features)
    notes += _uncovered_season(model, split.predict[spec.sample_date])
    stage("predicting and explaining %s rows (SHAP)", f"{len(split.predict):,}")
    explained = _predict_and_explain(
        run_id,
        spec,
        model,
        split.predict,
        prepared,
        # Pickles made before refits were kept have none: a row bootstrap.
        getattr(artifact, "refits", ()),
    )
    training = artifact.training
    run = run_record(
        run_id=run_id,
        mode="scored",
        spec=spec,
        model=model,
        boundaries=b,
        training=training,
        artifact_sha256=artifact_sha256,
        artifact_path=_relative(artifact_dir, path),
        library_versions=library_versions(),
        timings={"fit_seconds": 0.0, **explained.timings},
        frozen_run_id=frozen_run_id,
    )
    profile = _scoring_profile(
        spec, model, split.predict, training["profile"], frozen_run_id
    )
    parts = [("test", test.metrics)] if test.metrics is not None else []
    stored = training.get("reference")
    return RunOutputs(
        run=run,
        predictions=explained.predictions,
        shap_values=explained.shap_values,
        feature_importance=explained.feature_importance,
        feature_effects=explained.feature_effects,
        metrics=metrics_frame(run_id, parts),
        feature_profiles=profiles_frame(run_id, profile, spec),
        warnings=warnings_frame(run_id, notes),
        test_predictions=test.predictions,
        reference=None if stored is None else TrainingReference.from_dict(stored),
    )


def _scoring_profile(
    spec: MLModelSpec,
    model: FittedModel,
    predict: pd.DataFrame,
    frozen_profile: pd.DataFrame,
    frozen_run_id: str,
) -> pd.DataFrame:
    """Predict-set statistics with the frozen run's treatment and status."""
    cols = [
        c
        for c in predict.columns
        if c not in (spec.entity_id, spec.sample_date, spec.target)
    ]
    current = profile_features(
        predict[cols],
        None,
        problem_type=spec.problem_type,
        groups=predict[spec.entity_id].to_numpy(),
        has_sample_dates=True,
    )
    frozen = frozen_profile.set_index("feature")
    used = set(model.features)
    for i, row in current.iterrows():
        name = row["feature"]
        if name in frozen.index:
            current.loc[i, "treatment"] = frozen.loc[name, "treatment"]
            current.loc[i, "status"] = frozen.loc[name, "status"]
            current.loc[i, "reason"] = (
                f"frozen in run {frozen_run_id}: {frozen.loc[name, 'reason']}"
            )
        else:
            current.loc[i, "treatment"] = "none"
            current.loc[i, "status"] = "dropped"
            current.loc[i, "reason"] = "not in the frozen feature list (new column)"
        if name not in used and current.loc[i, "status"] != "dropped":
            current.loc[i, "status"] = "dropped"
    return current
