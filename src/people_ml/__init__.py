"""people_ml: dbt-native people analytics with deployable ML runs."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
