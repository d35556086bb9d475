"""After a run: drift against its model's stored training reference, input issues.

- :mod:`.policy`: the drift thresholds in each ML model's spec (``monitoring:``),
  and the features whose drift it declares expected.
- :mod:`.drift`: PSI for every feature, KS for numeric and Jensen-Shannon
  distance for categorical ones, and the prediction distribution against the
  model's previous run.
- :mod:`.integrity`: unseen levels, values out of range, new nulls, columns
  gone or new.
- :mod:`.run`: what a run calls, producing the ``feature_drift``,
  ``drift_bins`` and ``input_issues`` rows.
- :mod:`.report`: ``people-ml monitor``, the state of every deployed model.

Realized performance (how right deployed runs were, once outcomes arrive) is
SQL over the marts: ``fct_ml_realized_performance``.
"""

from .policy import MonitoringPolicy, MonitoringPolicyError
from .run import MONITORING_TABLES, MonitoringOutputs, monitor_run

__all__ = [
    "MONITORING_TABLES",
    "MonitoringOutputs",
    "MonitoringPolicy",
    "MonitoringPolicyError",
    "monitor_run",
]
