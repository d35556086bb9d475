"""The gate: each finding's severity, the columns it drops, refusing a run."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from .checks import CHECKS, Finding

__all__ = ["QUALITY_COLUMNS", "DataQualityError", "QualityReport"]

#: The columns of a run's ``data_quality`` rows (after ``run_id``).
QUALITY_COLUMNS: tuple[str, ...] = (
    "check_name",
    "severity",
    "column_name",
    "row_count",
    "message",
    "fix",
)


class DataQualityError(ValueError):
    """A check whose severity is ``fail`` found something: the run is refused."""


@dataclass(frozen=True)
class QualityReport:
    """Every finding of a run, each with the severity the spec gives it.

    Parameters
    ----------
    findings : tuple of Finding
    severities : tuple of str
        ``warn`` or ``fail``, one per finding.
    """

    findings: tuple[Finding, ...] = ()
    severities: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, findings: Iterable[Finding], severity_of: Callable[[str], str]
    ) -> QualityReport:
        """A report whose severities come from ``severity_of(check_name)``."""
        found = tuple(findings)
        return cls(found, tuple(severity_of(f.check) for f in found))

    def __add__(self, other: QualityReport) -> QualityReport:
        return QualityReport(
            self.findings + other.findings, self.severities + other.severities
        )

    @property
    def failures(self) -> list[Finding]:
        """The findings that refuse the run."""
        return [
            f
            for f, severity in zip(self.findings, self.severities, strict=True)
            if severity == "fail"
        ]

    def dropped_columns(self) -> dict[str, str]:
        """Columns that never become features, with the reason the profile states."""
        out: dict[str, str] = {}
        for f in self.findings:
            if f.drops_column and f.column not in out:
                out[str(f.column)] = f"{f.check}: {CHECKS[f.check].title}"
        return out

    def column_notes(self) -> dict[str, str]:
        """Per column, the checks that found something (for the EDA profile)."""
        out: dict[str, list[str]] = {}
        for f in self.findings:
            if f.column is not None:
                out.setdefault(f.column, []).append(f.check)
        return {k: ", ".join(dict.fromkeys(v)) for k, v in out.items()}

    def enforce(self, model_key: str) -> None:
        """Raise :class:`DataQualityError` naming every failing finding.

        Raises
        ------
        DataQualityError
            One line per finding: the check, the problem and its place, the fix.
        """
        failures = self.failures
        if not failures:
            return
        lines = [f"- {f.check}: {f.message}. Fix: {f.fix}." for f in failures]
        raise DataQualityError(
            f"ML model {model_key}: the data-quality gate refused the run "
            f"({len(failures)} failing check(s); nothing was trained or "
            "written):\n" + "\n".join(lines)
        )

    def frame(self) -> pd.DataFrame:
        """One row per finding, in :data:`QUALITY_COLUMNS`."""
        rows = [
            (f.check, sev, f.column, f.row_count, f.message, f.fix)
            for f, sev in zip(self.findings, self.severities, strict=True)
        ]
        return pd.DataFrame(rows, columns=list(QUALITY_COLUMNS))
