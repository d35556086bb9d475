"""A model's monitoring policy: the drift thresholds, declared in its spec.

Declared per ML model under ``monitoring:`` in its spec (the ``ml_model``
config of the dbt Python model); both keys are optional::

    monitoring:
      psi_warn: 0.1     # a feature's PSI above this warns
      psi_alert: 0.25   # ... and above this alerts (a dbt test, `people-ml monitor`)

The defaults are the usual reading of the population stability index: below
0.1 no material shift, 0.1-0.25 a moderate one, above 0.25 a major one. Every
drift row stores the thresholds it was judged by, so the dbt alert tests and
``people-ml monitor`` read them from the data and never restate them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["MonitoringPolicy", "MonitoringPolicyError"]


class MonitoringPolicyError(ValueError):
    """A monitoring policy that cannot be used; names the key and the fix."""


@dataclass(frozen=True)
class MonitoringPolicy:
    """Drift thresholds of one ML model.

    Attributes
    ----------
    psi_warn : float, default=0.1
        PSI above which a feature's shift warns.
    psi_alert : float, default=0.25
        PSI above which it alerts.
    """

    psi_warn: float = 0.1
    psi_alert: float = 0.25

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any] | None, *, model_key: str = "?"
    ) -> MonitoringPolicy:
        """Read the spec's ``monitoring:`` block.

        Raises
        ------
        MonitoringPolicyError
            An unknown key, a threshold that is not a positive number, or a
            warn threshold above the alert threshold.
        """
        config = dict(config or {})
        where = f"ML model {model_key!r}, monitoring"
        unknown = sorted(set(config) - {"psi_warn", "psi_alert"})
        if unknown:
            raise MonitoringPolicyError(
                f"{where}: unknown key(s) {unknown}; the keys are psi_warn and "
                "psi_alert (for example psi_warn: 0.1, psi_alert: 0.25)."
            )
        values = {}
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
        return cls(**values)

    def status(self, psi: float) -> str:
        """``'alert'``, ``'warn'`` or ``'ok'`` for a PSI value."""
        if not math.isfinite(psi):
            return "ok"
        if psi > self.psi_alert:
            return "alert"
        if psi > self.psi_warn:
            return "warn"
        return "ok"

    def to_dict(self) -> dict[str, float]:
        """The policy as spec keys (recorded with the run)."""
        return asdict(self)
