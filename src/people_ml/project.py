"""Locate the dbt project and the paths anchored to it."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

PROJECT_FILE = "dbt_project.yml"
# What makes up a people_ml dbt project, as opposed to its state (extract,
# warehouse, pickles, publication).
PROJECT_ITEMS = (
    "dbt_project.yml",
    "profiles.yml",
    "models",
    "python_models",
    "macros",
    "seeds",
    "tests",
    "analyses",
)


class ProjectNotFoundError(RuntimeError):
    """Raised when no people_ml dbt project can be found."""


@dataclass(frozen=True)
class ProjectPaths:
    """Where a people_ml project keeps its state.

    Every path is absolute and anchored to the project root, so commands give the
    same result whichever directory they run from.
    """

    root: Path

    @property
    def raw_dir(self) -> Path:
        """Folder of the HRIS extract files (``PEOPLE_ML_RAW_DIR``)."""
        return Path(os.environ.get("PEOPLE_ML_RAW_DIR", self.root / "data/raw/hris"))

    @property
    def warehouse(self) -> Path:
        """The DuckDB file (``PEOPLE_ML_DUCKDB``)."""
        default = self.root / "warehouse" / "people_ml.duckdb"
        return Path(os.environ.get("PEOPLE_ML_DUCKDB", default))

    @property
    def artifact_dir(self) -> Path:
        """Content-addressed model pickles (``PEOPLE_ML_ARTIFACT_DIR``)."""
        default = self.root / "artifacts" / "models"
        return Path(os.environ.get("PEOPLE_ML_ARTIFACT_DIR", default))

    @property
    def publish_dir(self) -> Path:
        """The marts published for BI readers (``PEOPLE_ML_PUBLISH_DIR``)."""
        from people_ml.publish import publish_dir  # the one rule, dbt's too

        return publish_dir(self.root)

    @property
    def seeds_dir(self) -> Path:
        """The dbt seeds folder (holds the run_status decision log)."""
        return self.root / "seeds"

    def dbt_env(self) -> dict[str, str]:
        """Environment for a dbt subprocess with every path anchored here."""
        env = dict(os.environ)
        env.setdefault("DO_NOT_TRACK", "1")
        env["PEOPLE_ML_HOME"] = str(self.root)
        env.setdefault("DBT_PROFILES_DIR", str(self.root))
        return env


def copy_project_files(source: Path, destination: Path) -> None:
    """Copy the dbt project in ``source`` (not its state) into ``destination``.

    For throw-away builds in tests and benchmarks. pytest's own folder
    (``tests/python``) and bytecode caches are left out; an empty
    ``warehouse/`` folder is made.
    """
    destination.mkdir(parents=True, exist_ok=True)
    for item in PROJECT_ITEMS:
        path = source / item
        if path.is_dir():
            shutil.copytree(
                path,
                destination / item,
                ignore=shutil.ignore_patterns("__pycache__", "python"),
            )
        elif path.exists():
            shutil.copy2(path, destination / item)
    (destination / "warehouse").mkdir(exist_ok=True)


def find_project(start: Path | None = None, *, explicit: bool = False) -> ProjectPaths:
    """Find the project root.

    An ``explicit`` folder must hold ``dbt_project.yml`` itself. Otherwise
    ``PEOPLE_ML_HOME`` wins when set, and then ``start`` (default: the current
    directory) and its parents are searched for ``dbt_project.yml``.

    Raises
    ------
    ProjectNotFoundError
        When neither gives a folder with a ``dbt_project.yml``.
    """
    if explicit and start is not None:
        root = start.resolve()
        if not (root / PROJECT_FILE).is_file():
            raise ProjectNotFoundError(
                f"--project-dir {start} has no {PROJECT_FILE}: give the people_ml "
                "project folder."
            )
        return ProjectPaths(root)
    home = os.environ.get("PEOPLE_ML_HOME")
    if home:
        root = Path(home).resolve()
        if not (root / PROJECT_FILE).is_file():
            raise ProjectNotFoundError(
                f"PEOPLE_ML_HOME={home} has no {PROJECT_FILE}: point it at the "
                "people_ml project folder or unset it."
            )
        return ProjectPaths(root)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return ProjectPaths(folder)
    raise ProjectNotFoundError(
        f"No {PROJECT_FILE} in {here} or its parents: run people-ml inside the "
        "project folder, or set PEOPLE_ML_HOME to it."
    )
