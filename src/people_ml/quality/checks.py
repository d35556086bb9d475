"""The data-quality checks a run makes before it trains, and what each finds.

Every check is declared once in :data:`CHECKS`: its name, its default
severity (``warn`` records the finding and the run goes on; ``fail`` refuses
the run), what it means in plain words and the fix. A spec raises a
severity with ``quality: {check: fail}``; a check that fails by default
cannot be lowered. The checks read pandas frames only (no dbt, no model), so
the library, the CLI and the tests call the same code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

__all__ = [
    "CHECKS",
    "DUPLICATE_SHARE",
    "ISO_DATE",
    "MISSINGNESS_LEAKAGE_AUC",
    "PROTECTED_NAME_TOKENS",
    "ROW_HASH",
    "TOO_GOOD_AUC",
    "Check",
    "Finding",
    "column_findings",
    "frame_findings",
    "is_code_name",
    "name_tokens",
    "row_hashes",
    "score_findings",
    "split_findings",
]

#: The null pattern of a column predicts the target at least this well (ROC
#: AUC of "is missing" against the outcome, folded): leakage through
#: missingness, such as a termination date filled in only for leavers.
MISSINGNESS_LEAKAGE_AUC = 0.9
#: A cross-validated ROC AUC above this is too good to be true for people data.
TOO_GOOD_AUC = 0.98
#: Name tokens of protected attributes (a column named ``Gender``,
#: ``marital_status`` or ``AgeYears`` is one).
PROTECTED_NAME_TOKENS = frozenset(
    {
        "age",
        "birth",
        "citizenship",
        "disability",
        "disabled",
        "dob",
        "ethnic",
        "ethnicity",
        "gender",
        "marital",
        "nationality",
        "pregnancy",
        "pregnant",
        "race",
        "religion",
        "sex",
        "sexual",
        "veteran",
    }
)
# A name ending in one of these, or holding one of the second, names codes.
_CODE_LAST_TOKENS = frozenset({"id", "code", "no", "number", "key", "uuid", "guid"})
_CODE_TOKENS = frozenset({"zip", "zipcode", "postal", "postcode"})
# m/d/YYYY, d.m.YY, YYYY/m/d and the like: dates a CSV export wrote as text.
_SLASH_DATE = re.compile(r"^\s*(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})(\s.*)?$")
_MONTH_NAME_DATE = re.compile(
    r"^\s*(\d{1,2}[\s\-])?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
    r"[\s\-,.]*\d{1,2}(,?\s*\d{2,4})?\s*$",
    re.IGNORECASE,
)
#: An ISO date (or date-time) as text; the feature typing reads the same.
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T].*)?$")
_DATE_SHARE = 0.9
#: Copied rows are reported from this share of the rows (a few people with
#: identical records are normal; a copied export is not).
DUPLICATE_SHARE = 0.01
_EXAMPLES = 3
_EARLIEST_PLAUSIBLE = pd.Timestamp("1900-01-01")


@dataclass(frozen=True)
class Check:
    """One data-quality check.

    Attributes
    ----------
    name : str
        Its code, the key a spec's ``quality`` mapping uses.
    severity : {'warn', 'fail'}
        Its default.
    title : str
        What it finds, in plain words.
    fix : str
        What to do, in general; each finding states the fix for its place.
    drops_column : bool
        A column it finds never becomes a feature, whatever the severity.
    """

    name: str
    severity: str
    title: str
    fix: str
    drops_column: bool = False


CHECKS: dict[str, Check] = {
    c.name: c
    for c in (
        Check(
            "column_case_mismatch",
            "fail",
            "a column named in the spec exists only with another case",
            "use the column's exact name in the spec",
        ),
        Check(
            "duplicate_entity_rows",
            "fail",
            "an entity has more than one row at the same sample date",
            "keep one row per entity and sample date in the feature model "
            "(deduplicate the export in its staging model)",
        ),
        Check(
            "duplicate_rows",
            "warn",
            "rows identical in every column but the entity id (a copied export)",
            "remove the copies in the staging model; if they are real people "
            "with identical records, ignore this",
        ),
        Check(
            "train_test_overlap",
            "warn",
            "test rows identical to training rows, which flatters the test score",
            "remove the duplicated rows upstream so the test set is unseen",
        ),
        Check(
            "constant_column",
            "warn",
            "a column with at most one distinct value (dropped: it cannot inform)",
            "exclude it in the spec or drop it in the feature model",
        ),
        Check(
            "id_like_column",
            "warn",
            "an identifier or a numeric code (ids, codes, zip): never scaled as "
            "a number",
            "exclude identifiers; map codes to names in the staging model, or keep "
            "them as categories (what the run does)",
        ),
        Check(
            "non_iso_date",
            "fail",
            "dates written as text in a local format (m/d/YYYY, d.m.YYYY, 'Mar 5')",
            "parse the column into a DATE in the staging model, for example "
            "strptime(col, '%m/%d/%Y')::date in DuckDB",
        ),
        Check(
            "two_digit_year",
            "fail",
            "dates with two-digit years (68 read as 2068)",
            "export four-digit years; or parse with the century chosen explicitly "
            "in the staging model",
        ),
        Check(
            "impossible_date",
            "fail",
            "dates after the row's sample date (a birth, an event not yet happened: "
            "the future leaking in) or before 1900",
            "fix the dates upstream; a date after the sample date must not be a "
            "feature",
        ),
        Check(
            "missingness_leakage",
            "warn",
            "the column's missing values alone predict the target (for example a "
            "termination date filled in only for leavers): dropped",
            "exclude the column in the spec: it records the outcome",
            drops_column=True,
        ),
        Check(
            "too_good_score",
            "warn",
            f"a cross-validated ROC AUC above {TOO_GOOD_AUC}: too good to be true "
            "for people data",
            "look for a feature that encodes the outcome (an exit date, a status, "
            "a field filled in after the event); the EDA profile's "
            "target_association ranks them",
        ),
        Check(
            "protected_attribute",
            "warn",
            "a protected attribute (gender, race, age, marital status, ...) is a "
            "feature",
            "move it to keep_columns (kept for the fairness review, never a "
            "feature), or raise the check to fail with quality: "
            "{protected_attribute: fail}",
        ),
    )
}


@dataclass(frozen=True)
class Finding:
    """What one check found in one place.

    Attributes
    ----------
    check : str
        The check's name (a key of :data:`CHECKS`).
    column : str or None
        The column, or None for a finding about rows.
    row_count : int
        Rows affected.
    message : str
        The problem and the place, with examples.
    fix : str
        What to do here.
    """

    check: str
    column: str | None
    row_count: int
    message: str
    fix: str

    @property
    def drops_column(self) -> bool:
        """Whether the column never becomes a feature."""
        return CHECKS[self.check].drops_column and self.column is not None


def name_tokens(name: str) -> list[str]:
    """Lower-case words of a column name.

    ``MaritalStatus`` -> marital, status; ``ManagerID`` -> manager, id;
    ``zip_code`` -> zip, code.
    """
    return [
        t.lower() for t in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", str(name))
    ]


def is_code_name(name: str) -> bool:
    """Whether a column's name says it holds ids or codes (``ManagerID``, ``zip``)."""
    tokens = name_tokens(name)
    return bool(tokens) and (
        tokens[-1] in _CODE_LAST_TOKENS or bool(set(tokens) & _CODE_TOKENS)
    )


def _examples(values: Sequence[object]) -> str:
    # numpy scalars as plain values: False, not np.False_.
    shown = [
        repr(getattr(v, "item", lambda v=v: v)()) for v in list(values)[:_EXAMPLES]
    ]
    return ", ".join(shown)


def _date_like(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Which text values are local-format dates, and which have 2-digit years."""
    slash = text.str.extract(_SLASH_DATE)
    is_slash = slash[0].notna()
    first, last = slash[0].str.len(), slash[2].str.len()
    # YYYY/m/d has a 4-digit first part; m/d/YY and d.m.YY a 2-digit last.
    two_digit = is_slash & (first <= 2) & (last <= 2)
    named = text.str.match(_MONTH_NAME_DATE)
    named_two = (
        named & text.str.contains(r"[\s\-,]'?\d{2}\s*$") & ~text.str.contains(r"\d{4}")
    )
    return is_slash | named, two_digit | named_two


def _date_findings(name: str, s: pd.Series) -> list[Finding]:
    if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
        return []
    # Each distinct text once, weighted by its rows (a column of a million
    # rows holds a few thousand dates).
    counts = s.dropna().astype(str).value_counts()
    if counts.empty:
        return []
    text = pd.Series(counts.index, dtype=object)
    weights = counts.to_numpy()
    total = int(weights.sum())
    if weights[text.str.match(ISO_DATE).to_numpy()].sum() >= _DATE_SHARE * total:
        return []
    local, two = (m.to_numpy(dtype=bool) for m in _date_like(text))
    if weights[local].sum() < _DATE_SHARE * total:
        return []
    out = []
    if two.any():
        n_two = int(weights[two].sum())
        out.append(
            Finding(
                "two_digit_year",
                name,
                n_two,
                f"column {name!r}: {n_two} value(s) with a two-digit year, e.g. "
                f"{_examples(text[two])}: a parser reads 68 as 2068",
                f"export {name} with four-digit years, or parse it in the staging "
                "model choosing the century (a birth year after the sample date "
                "belongs to the previous century)",
            )
        )
    n_local = int(weights[local].sum())
    out.append(
        Finding(
            "non_iso_date",
            name,
            n_local,
            f"column {name!r}: {n_local} of {total} value(s) are dates written as "
            f"text, e.g. {_examples(text[local])}; as text they would be one-hot "
            "encoded as categories",
            f"cast {name} to a DATE in the staging model, for example "
            f"strptime({name}, '%m/%d/%Y')::date (DuckDB) for m/d/YYYY",
        )
    )
    return out


def _as_dates(s: pd.Series) -> pd.Series | None:
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s
    elif pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
        values = s.dropna()
        if values.empty:
            return None
        sample = values.head(1000)
        kind = pd.api.types.infer_dtype(sample, skipna=True)
        if kind not in ("date", "datetime"):
            text = sample.astype(str)
            if not text.str.match(ISO_DATE).all():
                return None
        out = pd.to_datetime(s, errors="coerce", format="mixed")
    else:
        return None
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out


def _impossible_dates(
    name: str, s: pd.Series, sample_dates: pd.Series | None
) -> list[Finding]:
    dates = _as_dates(s)
    if dates is None:
        return []
    early = dates < _EARLIEST_PLAUSIBLE
    late = (
        pd.Series(False, index=s.index)
        if sample_dates is None
        else dates > sample_dates
    )
    bad = (early | late).fillna(False).to_numpy(dtype=bool)
    if not bad.any():
        return []
    shown = [str(v.date()) for v in dates[bad].head(_EXAMPLES)]
    parts = []
    if late.any():
        parts.append(f"{int(late.sum())} after the row's sample date")
    if early.any():
        parts.append(f"{int(early.sum())} before 1900")
    return [
        Finding(
            "impossible_date",
            name,
            int(bad.sum()),
            f"column {name!r}: {' and '.join(parts)}, e.g. {', '.join(shown)}: a "
            "date the row could not have known (a future event leaks the outcome) "
            "or a mistyped year",
            f"fix {name} upstream, or exclude it in the spec if it records what "
            "happened after the sample date",
        )
    ]


def _code_finding(name: str, s: pd.Series, kind: str, note: str) -> list[Finding]:
    if kind == "identifier":
        return [
            Finding(
                "id_like_column",
                name,
                int(s.notna().sum()),
                f"column {name!r} is identifier-like ({note}): dropped, an id "
                "carries no signal a model should learn",
                f"exclude {name} in the spec",
            )
        ]
    if kind != "categorical" or not pd.api.types.is_numeric_dtype(s):
        return []
    return [
        Finding(
            "id_like_column",
            name,
            int(s.notna().sum()),
            f"column {name!r} holds numeric codes ({int(s.nunique())} distinct "
            "values, a code-like name): used as categories, never scaled as a "
            "number",
            f"map {name} to names in the staging model, or exclude it if it is an "
            "id (a manager's, a position's)",
        )
    ]


def _missingness_leak(
    name: str, s: pd.Series, y: np.ndarray | None, problem_type: str
) -> list[Finding]:
    if y is None:
        return []
    missing = s.isna().to_numpy()
    share = float(missing.mean()) if len(missing) else 0.0
    if not 0.01 <= share <= 0.99 or len(np.unique(y)) < 2:
        return []
    if problem_type == "binary_classification":
        auc = roc_auc_score(y.astype(int), missing.astype(float))
        strength, measure = max(auc, 1.0 - auc), "ROC AUC"
    else:
        y_float = y.astype(float)
        corr = np.corrcoef(missing.astype(float), y_float)[0, 1]
        strength, measure = (0.0 if math.isnan(corr) else abs(corr)), "|correlation|"
    if strength < MISSINGNESS_LEAKAGE_AUC:
        return []
    return [
        Finding(
            "missingness_leakage",
            name,
            int(missing.sum()),
            f"column {name!r}: whether it is missing predicts the target alone "
            f"({measure} {strength:.3f} >= {MISSINGNESS_LEAKAGE_AUC}; "
            f"{share:.0%} missing): it is filled in because of the outcome; dropped",
            f"exclude {name} in the spec (it records the outcome), or fill it in "
            "for every row if it is known before the outcome",
        )
    ]


def column_findings(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    kinds: Mapping[str, tuple[str, str]],
    y: np.ndarray | None,
    scored: np.ndarray,
    sample_dates: pd.Series | None,
    problem_type: str,
) -> list[Finding]:
    """Findings about the candidate feature columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        The feature model's rows.
    columns : sequence of str
        The candidate features.
    kinds : mapping
        Column -> (detected type, note), from the feature typing.
    y : numpy.ndarray or None
        The encoded target of the rows ``scored``, or None.
    scored : numpy.ndarray of int
        Positions of the labelled rows the association with the target is
        measured on (``y`` is theirs; a sample of a large frame).
    sample_dates : pandas.Series or None
        Each row's sample date, for dates that cannot be known yet.
    problem_type : str
        ``binary_classification`` or ``regression``.

    Returns
    -------
    list of Finding
    """
    out: list[Finding] = []
    for name in columns:
        s = frame[name]
        kind, note = kinds[name]
        if s.nunique(dropna=True) <= 1:
            out.append(
                Finding(
                    "constant_column",
                    name,
                    len(s),
                    f"column {name!r} holds at most one distinct value "
                    f"({_examples(s.dropna().unique())}): dropped",
                    f"exclude {name} in the spec",
                )
            )
            continue
        if set(name_tokens(name)) & PROTECTED_NAME_TOKENS:
            out.append(
                Finding(
                    "protected_attribute",
                    name,
                    int(s.notna().sum()),
                    f"column {name!r} looks like a protected attribute and would "
                    "be a feature: the model could treat people differently by it",
                    f"add {name} to keep_columns (kept for the fairness review, "
                    "never a feature), or exclude it",
                )
            )
        out += _code_finding(name, s, kind, note)
        out += _date_findings(name, s)
        out += _impossible_dates(name, s, sample_dates)
        out += _missingness_leak(name, s.iloc[scored], y, problem_type)
    return out


#: What hashes rows (recorded in a run's input fingerprint: a new DuckDB may
#: hash differently, and then the next build runs again rather than miss a
#: change).
ROW_HASH = f"duckdb {duckdb.__version__} hash()"


def row_hashes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """A 64-bit hash of each row's values in ``columns``.

    DuckDB's ``hash()`` over the frame, on one thread (the other ML model runs
    beside it): 1.5 s against pandas' 3.9 s for the 3.7 million person-months
    of 100,000 employees (30 columns). A frame with a column DuckDB would not
    hash by its values (``object``, which may mix ``1`` and ``'1'``; a
    categorical, which DuckDB hashes by its codes; a sparse, period or
    interval column) is hashed by pandas' ``hash_pandas_object`` instead: only
    a library caller passes one, since a feature model read from the
    warehouse has typed columns. Either way the same rows give the same
    hashes, by the same path.
    """
    names = list(columns)
    if not names:
        return np.zeros(len(frame), dtype=np.uint64)
    selected = frame[names].reset_index(drop=True)
    if not all(_duckdb_hashes_values(dtype) for dtype in selected.dtypes):
        return pd.util.hash_pandas_object(
            selected, index=False, categorize=True
        ).to_numpy()
    selected.columns = [f"c{i}" for i in range(selected.shape[1])]
    # A database of its own per call, closed at once. Closing one flushes
    # DuckDB's allocator (and, as DuckDB does on every close, turns its
    # background threads off for the rest of the process); one database kept
    # open for every call measured 0.3-0.4 GB more at the peak of a
    # 100,000-employee train build (5,357 and 5,477 MiB in two builds, against
    # 5,008 to 5,044 in three with a database per call).
    with duckdb.connect(config={"threads": 1}) as con:
        con.register("rows_to_hash", selected)
        hashed = con.execute(
            f"select hash({', '.join(selected.columns)}) as h from rows_to_hash"
        ).fetchnumpy()["h"]
    return np.asarray(hashed, dtype=np.uint64)


def _duckdb_hashes_values(dtype: Any) -> bool:
    """Whether DuckDB's ``hash()`` of a column of ``dtype`` hashes its values."""
    if isinstance(dtype, pd.ArrowDtype | pd.StringDtype):
        return True
    if isinstance(dtype, pd.CategoricalDtype | pd.SparseDtype):
        return False
    return bool(
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or (
            pd.api.types.is_numeric_dtype(dtype)
            and not pd.api.types.is_complex_dtype(dtype)
        )
    )


def _duplicated(hashes: np.ndarray, *, keep: str | bool) -> np.ndarray:
    """``duplicated`` on 64-bit hashes by one stable sort (fast on millions).

    ``keep='first'`` marks every repeat after the first; ``keep=False`` every
    row whose hash occurs more than once.
    """
    order = np.argsort(hashes, kind="stable")
    ranked = hashes[order]
    same_previous = np.r_[False, ranked[1:] == ranked[:-1]]
    marked = same_previous
    if keep is False:
        marked = same_previous | np.r_[ranked[:-1] == ranked[1:], False]
    out = np.zeros(len(hashes), dtype=bool)
    out[order] = marked
    return out


def frame_findings(
    frame: pd.DataFrame, *, entity_id: str, sample_date: str, columns: Sequence[str]
) -> list[Finding]:
    """Findings about the rows: per-entity duplicates and copied rows.

    Rows are compared by a 64-bit hash of their values (a false match among a
    few million rows has odds of about one in ten million), so a frame of
    millions of person-months is checked in a second or two.

    Parameters
    ----------
    frame : pandas.DataFrame
    entity_id, sample_date : str
        The contract columns.
    columns : sequence of str
        Every column compared for copies (features and target).

    Returns
    -------
    list of Finding
    """
    out: list[Finding] = []
    dup = _duplicated(row_hashes(frame, [entity_id, sample_date]), keep=False)
    if dup.any():
        ids = frame.loc[dup, entity_id].astype(str).unique()
        out.append(
            Finding(
                "duplicate_entity_rows",
                None,
                int(dup.sum()),
                f"{int(dup.sum())} rows share an ({entity_id}, {sample_date}) pair "
                f"with another row ({len(ids)} entities, e.g. {_examples(ids)})",
                f"keep one row per {entity_id} and {sample_date} in the feature "
                "model: deduplicate the export in its staging model",
            )
        )
    compared = [c for c in dict.fromkeys([sample_date, *columns]) if c in frame]
    if compared and len(frame) > 1:
        copies = _duplicated(row_hashes(frame, compared), keep="first") & ~dup
        if copies.mean() >= DUPLICATE_SHARE:
            ids = frame.loc[copies, entity_id].astype(str).unique()
            out.append(
                Finding(
                    "duplicate_rows",
                    None,
                    int(copies.sum()),
                    f"{int(copies.sum())} rows ({copies.mean():.1%}) repeat "
                    f"another row in every column but {entity_id} (e.g. "
                    f"{entity_id} {_examples(ids)})",
                    "remove the copied rows in the staging model; real people "
                    "with identical records can stay",
                )
            )
    return out


def split_findings(
    train: pd.DataFrame, test: pd.DataFrame, columns: Sequence[str]
) -> list[Finding]:
    """Test rows identical to a training row in every compared column."""
    compared = [c for c in columns if c in train and c in test]
    if not compared or train.empty or test.empty:
        return []

    overlap = np.isin(row_hashes(test, compared), row_hashes(train, compared))
    if not overlap.any():
        return []
    return [
        Finding(
            "train_test_overlap",
            None,
            int(overlap.sum()),
            f"{int(overlap.sum())} of {len(test)} test rows ({overlap.mean():.1%}) "
            "are identical to a training row in every feature and the target: "
            "the model has seen them, so the test score flatters it",
            "remove the duplicated rows upstream (see duplicate_rows)",
        )
    ]


def score_findings(cv_roc_auc: float | None) -> list[Finding]:
    """A cross-validated ROC AUC too good to be true."""
    if cv_roc_auc is None or math.isnan(cv_roc_auc) or cv_roc_auc <= TOO_GOOD_AUC:
        return []
    return [
        Finding(
            "too_good_score",
            None,
            0,
            f"cross-validated ROC AUC {cv_roc_auc:.3f} > {TOO_GOOD_AUC}: people's "
            "decisions are never that predictable; a feature probably records "
            "the outcome",
            CHECKS["too_good_score"].fix,
        )
    ]
