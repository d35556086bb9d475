"""The people_ml storyboard: a Streamlit app over the published marts.

Open it with ``people-ml storyboard``. It reads only the Parquet publication
that every ``dbt build`` writes (:mod:`people_ml.publish`), always the latest
deployed run, and never opens the warehouse, so it neither blocks a build nor
is blocked by one.
"""

from __future__ import annotations

from pathlib import Path

from people_ml.storyboard.data import STORYBOARD_TABLES

APP_PATH = Path(__file__).with_name("app.py")
VIEWS_DIR = Path(__file__).with_name("views")
# Page file -> title, in the order of the navigation.
PAGES = {
    "overview.py": "Overview",
    "drivers.py": "Drivers",
    "people.py": "People",
    "levers.py": "Levers",
    "runs.py": "Model runs",
    "expected_pay.py": "Expected pay",
    "review.py": "Review",
    "monitoring.py": "Monitoring",
}
# What each page shows once its data has loaded: a headline label and the
# fewest charts (the browser check waits for both).
PAGE_HEADLINES = {
    "overview.py": ("Headcount", 3),
    "drivers.py": ("Top driver: ", 2),
    "people.py": ("Predicted risk", 1),
    "levers.py": ("What if we pulled a lever?", 0),
    "runs.py": ("Runs", 1),
    "expected_pay.py": ("Employees", 2),
    "review.py": ("Gates failed", 1),
    "monitoring.py": ("Alerts firing now", 1),
}

__all__ = ["APP_PATH", "PAGES", "PAGE_HEADLINES", "STORYBOARD_TABLES", "VIEWS_DIR"]
