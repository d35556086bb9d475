"""A model's monitoring policy: the drift thresholds, declared in its spec.

Declared per ML model under ``monitoring:`` in its spec (the ``ml_model``
config of the dbt Python model); every key is optional::

    monitoring:
      psi_warn: 0.1     # a feature's PSI above this warns
      psi_alert: 0.25   # ... and above this alerts (a dbt test, `people-ml monitor`)
      # Features whose drift is expected by design (say why in a comment):
      # still measured and stored, judged `expected`, never a warning or alert.
      expected_drift: [band_midpoint]

The defaults are the usual reading of the population stability index: below
0.1 no material shift, 0.1-0.25 a moderate one, above 0.25 a major one. Every
drift row stores the thresholds it was judged by, and whether its feature's
drift was declared expected (``is_expected_drift``), so the dbt alert tests and
``people-ml monitor`` read them from the data and never restate them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MonitoringPolicy", "MonitoringPolicyError"]

_KEYS = ("psi_warn", "psi_alert", "expected_drift")


class MonitoringPolicyError(ValueError):
    """A monitoring policy that cannot be used; names the key and the fix."""


def _names(raw: Any, where: str) -> tuple[str, ...]:
    """The ``expected_drift`` list: column names, each once."""
    example = "for example expected_drift: [band_midpoint]"
    if raw is None:
        return ()
    if isinstance(raw, str) or not isinstance(raw, list | tuple):
        raise MonitoringPolicyError(
            f"{where}.expected_drift: {raw!r} is not a list of column names; {example}."
        )
    bad = [name for name in raw if not isinstance(name, str) or not name.strip()]
    if bad:
        raise MonitoringPolicyError(
            f"{where}.expected_drift: {bad!r} are not column names; {example}."
        )
    names = [name.strip() for name in raw]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise MonitoringPolicyError(
            f"{where}.expected_drift: {twice} listed more than once; name each "
            "column once."
        )
    return tuple(names)


@dataclass(frozen=True)
class MonitoringPolicy:
    """Drift thresholds of one ML model, and the features expected to drift.

    Attributes
    ----------
    psi_warn : float, default=0.1
        PSI above which a feature's shift warns.
    psi_alert : float, default=0.25
        PSI above which it alerts.
    expected_drift : tuple of str, default=()
        Features whose drift is expected by design (a pay band midpoint rises
        every year, and the model follows it): their PSI above ``psi_warn``
        is judged ``expected``, never ``warn`` or ``alert``.
    """

    psi_warn: float = 0.1
    psi_alert: float = 0.25
    expected_drift: tuple[str, ...] = ()

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any] | None, *, model_key: str = "?"
    ) -> MonitoringPolicy:
        """Read the spec's ``monitoring:`` block.

        Raises
        ------
        MonitoringPolicyError
            An unknown key, a threshold that is not a positive number, a warn
            threshold above the alert threshold, or an ``expected_drift`` that
            is not a list of column names.
        """
        config = dict(config or {})
        where = f"ML model {model_key!r}, monitoring"
        unknown = sorted(set(config) - set(_KEYS))
        if unknown:
            raise MonitoringPolicyError(
                f"{where}: unknown key(s) {unknown}; the keys are psi_warn, "
                "psi_alert and expected_drift (for example psi_warn: 0.1, "
                "psi_alert: 0.25, expected_drift: [band_midpoint])."
            )
        values: dict[str, Any] = {}
        for key, default in (("psi_warn", cls.psi_warn), ("psi_alert", cls.psi_alert)):
            raw = config.get(key, default)
            try:
                value = float(raw)
            except (TypeError, ValueError):
                value = math.nan
            if isinstance(raw, bool) or not math.isfinite(value) or value <= 0:
                raise MonitoringPolicyError(
                    f"{where}.{key}: {raw!r} is not a positive number; give the "
                    f"PSI threshold, for example {key}: {default}."
                )
            values[key] = value
        if values["psi_warn"] > values["psi_alert"]:
            raise MonitoringPolicyError(
                f"{where}: psi_warn {values['psi_warn']} is above psi_alert "
                f"{values['psi_alert']}; the warning threshold must be the lower."
            )
        values["expected_drift"] = _names(config.get("expected_drift"), where)
        return cls(**values)

    def check_features(self, features: Iterable[str], *, model_key: str) -> None:
        """Refuse an ``expected_drift`` name that is not a feature of the model.

        ``features`` are the columns the model may use (its candidate
        features); a misspelt name would otherwise leave the real column's
        drift alerting, or silence nothing while looking as if it did.

        Raises
        ------
        MonitoringPolicyError
            Naming the key, the model and the unknown columns.
        """
        features = list(features)
        unknown = [name for name in self.expected_drift if name not in features]
        if unknown:
            raise MonitoringPolicyError(
                f"ML model {model_key!r}, monitoring.expected_drift: {unknown} "
                f"{'is not a feature' if len(unknown) == 1 else 'are not features'}"
                f" of the model (its features: {', '.join(features) or 'none'}); "
                "fix the name or remove it from the list."
            )

    def is_expected(self, feature: str) -> bool:
        """Whether the spec declares ``feature``'s drift expected."""
        return feature in self.expected_drift

    def status(self, psi: float, feature: str | None = None) -> str:
        """``'alert'``, ``'warn'``, ``'expected'`` or ``'ok'`` for a PSI value.

        ``'expected'`` is a declared feature (``expected_drift``) whose PSI
        would otherwise warn or alert; below ``psi_warn`` it is ``'ok'``.
        """
        if not math.isfinite(psi):
            return "ok"
        if psi > self.psi_alert:
            verdict = "alert"
        elif psi > self.psi_warn:
            verdict = "warn"
        else:
            return "ok"
        return (
            "expected" if feature is not None and self.is_expected(feature) else verdict
        )

    def to_dict(self) -> dict[str, Any]:
        """The policy as spec keys (recorded with the run)."""
        return {
            "psi_warn": self.psi_warn,
            "psi_alert": self.psi_alert,
            "expected_drift": list(self.expected_drift),
        }
