"""Data-quality gate: what a run checks in its input before it trains.

Reference 002's checks before training, declared once (:data:`CHECKS`) and
run on every trained run by ``people_ml.ml``: duplicates (per entity, copied
rows, test rows seen in training), constant and id-like columns (codes are
never scaled as numbers), dates that are not ISO, have two-digit years or
cannot be known at the sample date, leakage through missingness, a score too
good to be true, protected attributes used as features, and a column named
with the wrong case. Each finding has a message naming the place, a fix and
a severity (``warn`` or ``fail``; a spec raises it with ``quality:``). The
findings are the run's ``data_quality`` rows (``fct_ml_data_quality``), and a
failing one refuses the run with every failure in one message.
"""

from .checks import (
    CHECKS,
    MISSINGNESS_LEAKAGE_AUC,
    PROTECTED_NAME_TOKENS,
    ROW_HASH,
    TOO_GOOD_AUC,
    Check,
    Finding,
    column_findings,
    frame_findings,
    is_code_name,
    name_tokens,
    row_hashes,
    score_findings,
    split_findings,
)
from .gate import QUALITY_COLUMNS, DataQualityError, QualityReport

__all__ = [
    "CHECKS",
    "MISSINGNESS_LEAKAGE_AUC",
    "PROTECTED_NAME_TOKENS",
    "QUALITY_COLUMNS",
    "ROW_HASH",
    "TOO_GOOD_AUC",
    "Check",
    "DataQualityError",
    "Finding",
    "QualityReport",
    "column_findings",
    "frame_findings",
    "is_code_name",
    "name_tokens",
    "row_hashes",
    "score_findings",
    "split_findings",
]
