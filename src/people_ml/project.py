"""Locate the dbt project and the paths anchored to it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from people_ml.ledger.log import DEFAULT_NAME, HEADER_LINE

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
    # The public reference data: the flat-export example reads it.
    "data/reference",
)
# The decision log is the user's (under their version control), never copied.
DECISION_LOG = Path(DEFAULT_NAME)
DECISION_LOG_HEADER = f"{HEADER_LINE}\n"
# So are the storyboard's grants (who may see whom: people_ml.storyboard.access).
ACCESS_SEED = Path("seeds") / "storyboard_access.csv"
ACCESS_SEED_HEADER = "email,role,divisions\n"
# Environment variables that point at a project's state or name its user.
STATE_VARIABLES = (
    "PEOPLE_ML_HOME",
    "PEOPLE_ML_DUCKDB",
    "PEOPLE_ML_ARTIFACT_DIR",
    "PEOPLE_ML_RAW_DIR",
    "PEOPLE_ML_RAW_FORMAT",
    "PEOPLE_ML_PUBLISH_DIR",
    "PEOPLE_ML_USER",
    "PEOPLE_ML_STORYBOARD_USER",
)
# Environment variables that size a build to its machine (README): settings,
# not state, so a throw-away copy of a project may run with the caller's.
SIZING_VARIABLES = ("PEOPLE_ML_THREADS", "PEOPLE_ML_DUCKDB_MEMORY_LIMIT")


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
        """Environment for a dbt subprocess run in the project root.

        The user's own, as far as it can be: dbt compares the rendered profile
        and every ``env_var`` the project reads with its last parse, so a
        different ``PEOPLE_ML_HOME`` would make each ``people-ml ... --apply``
        after a plain ``dbt build`` re-parse the whole project. Unset, every
        path defaults to ``.``, which is the root dbt runs in; it is set only
        when it names another project (``--project-dir`` elsewhere).
        """
        env = dict(os.environ)
        env.setdefault("DO_NOT_TRACK", "1")
        home = env.get("PEOPLE_ML_HOME")
        if home and Path(home).resolve() != self.root.resolve():
            env["PEOPLE_ML_HOME"] = str(self.root)
        env.setdefault("DBT_PROFILES_DIR", str(self.root))
        return env

    def app_env(self) -> dict[str, str]:
        """Environment for a process that may not run in the root (the
        storyboard server): ``PEOPLE_ML_HOME`` always names this project."""
        return {**self.dbt_env(), "PEOPLE_ML_HOME": str(self.root)}


def copy_project_files(
    source: Path,
    destination: Path,
    *,
    decision_log: Path | None = None,
    access_seed: Path | None = None,
) -> None:
    """Copy the dbt project in ``source`` (not its state) into ``destination``.

    For throw-away builds in tests and benchmarks. Only the project's own
    files come across: never the warehouse, pickles, extract, publication,
    ``target/`` or ``logs/``, and never the decision log (with its lock and
    temporary files) or the storyboard's grants, which are the user's.
    pytest's own folder (``tests/python``)
    and bytecode caches are left out too; an empty ``warehouse/`` folder is
    made.

    Parameters
    ----------
    source : Path
        The project root to copy from (for example a working tree).
    destination : Path
        The folder to copy into; created when missing.
    decision_log : Path, optional
        A file copied byte for byte as the copy's ``seeds/run_status.csv``,
        such as a committed test fixture. By default the copy gets a log
        holding the header line alone (no decisions).
    access_seed : Path, optional
        Likewise the copy's ``seeds/storyboard_access.csv``; by default its
        header alone (no grants: every signed-in reader is a viewer).
    """
    destination.mkdir(parents=True, exist_ok=True)
    for item in PROJECT_ITEMS:
        path = source / item
        if path.is_dir():
            shutil.copytree(path, destination / item, ignore=_not_project(source))
        elif path.exists():
            shutil.copy2(path, destination / item)
    log = destination / DECISION_LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    for path, given, header in (
        (log, decision_log, DECISION_LOG_HEADER),
        (destination / ACCESS_SEED, access_seed, ACCESS_SEED_HEADER),
    ):
        if given is None:
            path.write_bytes(header.encode())
        else:
            shutil.copyfile(given, path)
    (destination / "warehouse").mkdir(exist_ok=True)


def _not_project(source: Path) -> Callable[[str, list[str]], set[str]]:
    """``copytree`` ignore: what in ``source``'s folders is not the project."""
    skipped = {
        source / "tests": {"python"},
        (source / DECISION_LOG).parent: {
            DECISION_LOG.name,
            f".{DECISION_LOG.name}.lock",
            f".{DECISION_LOG.name}.tmp",
            ACCESS_SEED.name,
        },
    }

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {"__pycache__"} | (skipped.get(Path(folder), set()) & set(names))

    return ignore


def isolated_env(root: Path, *, keep: Iterable[str] = ()) -> dict[str, str]:
    """Environment for a subprocess in a throw-away project copy at ``root``.

    The caller's ``PEOPLE_ML_*`` and ``DBT_*`` variables point at the user's
    own project (their warehouse, pickles, extract, publication, identity, dbt
    profile and target), so all are dropped except those named in ``keep``
    (settings that are not state, such as :data:`SIZING_VARIABLES`); then every
    path is anchored to ``root``.

    Parameters
    ----------
    root : Path
        The project copy.
    keep : iterable of str
        Variables passed through unchanged when set.
    """
    kept = set(keep)
    env = {
        key: value
        for key, value in os.environ.items()
        if key in kept or not key.startswith(("PEOPLE_ML_", "DBT_"))
    }
    env.update(DO_NOT_TRACK="1", PEOPLE_ML_HOME=str(root), DBT_PROFILES_DIR=str(root))
    return env


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
