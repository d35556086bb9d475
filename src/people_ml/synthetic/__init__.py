"""Synthetic HRIS generator: a simulated company written as a Workday-style extract.

The public API is :func:`generate` (a new extract) and :func:`advance` (move an
extract forward in time, optionally injecting known shocks written as in
:data:`SHOCK_SYNTAX`, see ``docs/monitoring.md``); both return a
:class:`GenerationSummary` and raise :class:`GeneratorError` on bad arguments.
The table contract is ``docs/hris_source.md``; the documented attrition ground
truth is ``docs/attrition_drivers.md`` and its coefficients are
:data:`DEFAULT_ATTRITION`.
"""

from __future__ import annotations

from people_ml.synthetic._api import (
    GenerationSummary,
    GeneratorError,
    advance,
    generate,
    read_manifest,
    simulate,
)
from people_ml.synthetic._params import (
    ATTRITION_DRIVERS,
    DEFAULT_ATTRITION,
    DEFAULT_CONFIG,
    GENERATOR_VERSION,
    TABLES,
    AttritionCoefficients,
    InvoluntaryCoefficients,
    PayPolicy,
    SimulationConfig,
    WorkforcePolicy,
)
from people_ml.synthetic._shocks import SHOCK_SYNTAX, ScheduledShock, Shock

__all__ = [
    "ATTRITION_DRIVERS",
    "DEFAULT_ATTRITION",
    "DEFAULT_CONFIG",
    "GENERATOR_VERSION",
    "SHOCK_SYNTAX",
    "TABLES",
    "AttritionCoefficients",
    "GenerationSummary",
    "GeneratorError",
    "InvoluntaryCoefficients",
    "PayPolicy",
    "ScheduledShock",
    "Shock",
    "SimulationConfig",
    "WorkforcePolicy",
    "advance",
    "generate",
    "read_manifest",
    "simulate",
]
