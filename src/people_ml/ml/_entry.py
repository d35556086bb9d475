"""The entry points dbt Python models call: one per lifecycle step, any formulation.

:func:`train` and :func:`score` pick the pipeline by the spec's
``formulation``: a classifier or a regression (:mod:`._run`) or a
discrete-time hazard (:mod:`._hazard_run`). Both return the same
:class:`RunOutputs`.

Both first put the frame in one order (entity, then sample date): dbt hands a
Python model a view's rows in no set order, and a hazard's sampling of its
look-ahead rows draws by position, so without it the same data trained a
different model from one build to the next (any later positional draw would
do the same).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _hazard_run, _run
from ._order import in_order

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from ._outputs import RunOutputs
    from ._spec import MLModelSpec

__all__ = ["score", "train"]


def _in_order(frame: pd.DataFrame, spec: MLModelSpec) -> pd.DataFrame:
    """The frame sorted by entity and sample date (stable), index reset."""
    if spec.entity_id not in frame or spec.sample_date not in frame:
        return frame
    return in_order(frame, spec.entity_id, spec.sample_date)


def train(
    frame: pd.DataFrame, spec: MLModelSpec, *, artifact_dir: Path, run_id: str
) -> RunOutputs:
    """Train a run: :func:`people_ml.ml._run.train` or, for a hazard, its own.

    Parameters and errors as :func:`people_ml.ml._run.train`; a hazard's frame
    is a person-month frame (:func:`people_ml.ml.hazard_split`).
    """
    pipeline = _hazard_run.train_hazard if spec.is_hazard else _run.train
    return pipeline(
        _in_order(frame, spec), spec, artifact_dir=artifact_dir, run_id=run_id
    )


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
    """Score with a frozen run's verified pickle, whatever its formulation.

    Parameters and errors as :func:`people_ml.ml._run.score`.
    """
    pipeline = _hazard_run.score_hazard if spec.is_hazard else _run.score
    return pipeline(
        _in_order(frame, spec),
        spec,
        artifact_dir=artifact_dir,
        run_id=run_id,
        frozen_run_id=frozen_run_id,
        artifact_sha256=artifact_sha256,
        artifact_path=artifact_path,
    )
