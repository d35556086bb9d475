"""Publish the marts as Parquet files that readers can use while dbt builds.

A DuckDB file has one writer and no readers while it is written: a BI tool
holding the warehouse open makes ``dbt build`` fail, and nobody can open it
while a build runs. So after every build the marts are copied out of the
warehouse into a *publication*, a folder of Parquet files that is never
written again once readers can see it:

.. code-block:: text

    published/
        current -> 20261124T101502123456Z-3f9c2a1b   (symlink, swapped atomically)
        20261124T101502123456Z-3f9c2a1b/
            _publication.json                        (what, when, row counts)
            dim_ml_models.parquet  fct_ml_predictions.parquet  ...
        people_ml_marts.duckdb                        (views for BI tools)

Writing happens in a hidden staging folder, renamed into place when complete;
then ``current`` is re-pointed with an atomic rename. A reader that resolves
``current`` once (:func:`open_publication`) gets one consistent set of marts:
a publication is removed only once :data:`KEEP_PUBLICATIONS` newer ones exist
and it has been superseded for :data:`KEEP_SUPERSEDED_SECONDS`. Paths through
``current/`` always give the newest whole file (but two files read at different
moments may come from different builds).

``people_ml_marts.duckdb`` holds only views over ``current/*.parquet`` under
the warehouse's own names (``marts.fct_ml_predictions``), so SQL written for the
warehouse runs unchanged. It is replaced by a rename, never written in place,
so BI tools may keep it open read-only through any number of builds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from people_ml import __version__

CURRENT = "current"
MANIFEST = "_publication.json"
CATALOG = "people_ml_marts.duckdb"
CATALOG_SCHEMA = "marts"
CATALOG_STORAGE = "v1.0.0"
KEEP_PUBLICATIONS = 3
# ...and any publication superseded less than this long ago, whatever the count.
KEEP_SUPERSEDED_SECONDS = 600
# A staging folder older than this belongs to a publish that died midway.
STALE_STAGING_SECONDS = 3600
FORMAT_VERSION = 1
# The marts every build publishes: the `published_marts` dbt model refs each.
PUBLISHED_MARTS = (
    "dim_ml_models",
    "dim_ml_runs",
    "fct_ml_predictions",
    "fct_ml_prediction_horizons",
    "fct_ml_prediction_drivers",
    "fct_ml_feature_importance",
    "fct_ml_feature_effects",
    "fct_ml_model_performance",
    "fct_ml_feature_profile",
    "fct_ml_expected_pay",
    "fct_ml_prediction_history",
    "fct_ml_subgroup_performance",
    "fct_ml_run_comparison",
    "fct_ml_run_gates",
    "fct_ml_realized_performance",
    "fct_ml_feature_drift",
    "fct_ml_drift_bins",
    "fct_ml_input_issues",
    "fct_ml_monitoring_alerts",
    "fct_ml_data_quality",
)


class PublicationNotFoundError(FileNotFoundError):
    """No complete publication in the folder yet."""


class PublicationError(RuntimeError):
    """A publication that cannot be written or read, with what to do about it."""


def publish_dir(home: Path | None = None) -> Path:
    """The publication folder, anchored to the project.

    ``PEOPLE_ML_PUBLISH_DIR`` when set (a relative path is taken from the project
    root, so dbt, the CLI and the storyboard agree), else ``<project>/published``.
    """
    base = home if home is not None else Path(os.environ.get("PEOPLE_ML_HOME", "."))
    return (base / os.environ.get("PEOPLE_ML_PUBLISH_DIR", "published")).resolve()


@dataclass(frozen=True)
class Publication:
    """One complete, immutable set of published marts."""

    directory: Path
    manifest: dict[str, Any]

    @property
    def publication_id(self) -> str:
        """The folder name: UTC time of publishing plus a random suffix."""
        return str(self.manifest["publication_id"])

    @property
    def published_at(self) -> dt.datetime:
        """When publishing began (UTC): the data is as of this moment."""
        return dt.datetime.fromisoformat(self.manifest["published_at"])

    @property
    def tables(self) -> tuple[str, ...]:
        """The marts in the publication."""
        return tuple(self.manifest["tables"])

    def path(self, table: str) -> Path:
        """The Parquet file of ``table``."""
        if table not in self.manifest["tables"]:
            raise PublicationError(
                f"{table} is not in publication {self.publication_id} "
                f"({', '.join(self.tables)}): add it to the published_marts dbt "
                "model and rebuild"
            )
        return self.directory / self.manifest["tables"][table]["file"]

    def row_count(self, table: str) -> int:
        """Rows of ``table`` as written."""
        self.path(table)  # an unknown mart is refused with the fix
        return int(self.manifest["tables"][table]["row_count"])

    def read(self, table: str) -> pd.DataFrame:
        """A mart as a pandas frame (DuckDB in memory reads the Parquet file).

        Raises
        ------
        PublicationNotFoundError
            When the publication was pruned meanwhile (superseded by newer ones
            for longer than :data:`KEEP_SUPERSEDED_SECONDS`).
        """
        return self.query(f"select * from {{{table}}}")

    def query(self, sql: str, parameters: list[Any] | None = None) -> pd.DataFrame:
        """Run DuckDB SQL over the publication; ``{mart}`` names a mart's file.

        For reading a slice of a large mart without loading all of it, e.g.
        ``query("select * from {fct_ml_prediction_drivers} where worker_id = ?",
        ["W000123"])``.
        """
        paths = {
            table: self.path(table)
            for table in self.manifest["tables"]
            if f"{{{table}}}" in sql
        }
        for table, path in paths.items():
            literal = str(path).replace("'", "''")
            sql = sql.replace(f"{{{table}}}", f"read_parquet('{literal}')")
        try:
            with duckdb.connect() as con:
                return con.execute(sql, parameters or []).df()
        except duckdb.IOException as error:
            if all(path.exists() for path in paths.values()):
                raise
            raise PublicationNotFoundError(
                f"Publication {self.publication_id} was removed after newer ones "
                "replaced it: open the current publication again."
            ) from error


def publish(
    relations: Mapping[str, duckdb.DuckDBPyRelation],
    destination: Path,
    *,
    source: str,
    keep: int = KEEP_PUBLICATIONS,
) -> Publication:
    """Write ``relations`` as a new publication and make it current.

    Parameters
    ----------
    relations
        Mart name to DuckDB relation (in a dbt Python model: ``dbt.ref(name)``).
    destination
        The publication folder; created when missing.
    source
        Where the data came from, recorded in the manifest (the dbt invocation
        id, or ``people-ml publish``).
    keep
        How many publications to keep, the new one included (at least 2).
        Older ones go too, once superseded for :data:`KEEP_SUPERSEDED_SECONDS`,
        so a reader gets at least that long to finish with one.

    Returns
    -------
    Publication
        The new current publication.
    """
    if not relations:
        raise PublicationError("nothing to publish: give at least one mart")
    keep = max(keep, 2)
    destination.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    publication_id = f"{now:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
    staging = destination / f".{publication_id}.staging"
    staging.mkdir()
    try:
        tables: dict[str, dict[str, Any]] = {}
        for name, relation in sorted(relations.items()):
            file_name = f"{name}.parquet"
            relation.to_parquet(str(staging / file_name))
            tables[name] = {
                "file": file_name,
                "row_count": _parquet_rows(staging / file_name),
                "columns": list(relation.columns),
            }
        manifest = {
            "format_version": FORMAT_VERSION,
            "publication_id": publication_id,
            "published_at": now.isoformat(),
            "source": source,
            "people_ml_version": __version__,
            "tables": tables,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        final = destination / publication_id
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _point_current(destination, publication_id)
    _write_catalog(destination, tuple(tables))
    _prune(destination, keep=keep)
    return Publication(final, manifest)


def open_publication(destination: Path) -> Publication:
    """The current publication, resolved once: its files never change.

    Raises
    ------
    PublicationNotFoundError
        When nothing has been published to ``destination`` yet.
    """
    link = destination / CURRENT
    if not link.exists():
        raise PublicationNotFoundError(
            f"No published marts in {destination}: run `dbt build` (or `make "
            "build`) to build and publish them, or `people-ml publish` to publish "
            "what the warehouse holds."
        )
    return read_publication(link.resolve())


def read_publication(directory: Path) -> Publication:
    """The publication in ``directory`` (a resolved version folder)."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError as error:  # pruned between resolve and read
        raise PublicationNotFoundError(
            f"Publication {directory.name} was removed while being opened: open "
            "the current one again."
        ) from error
    if manifest.get("format_version") != FORMAT_VERSION:
        raise PublicationError(
            f"{directory} has publication format {manifest.get('format_version')}, "
            f"this people_ml reads {FORMAT_VERSION}: rebuild to publish again."
        )
    return Publication(directory, manifest)


def publications(destination: Path) -> list[str]:
    """Complete publications in ``destination``, oldest first."""
    if not destination.is_dir():
        return []
    return sorted(
        entry.name
        for entry in destination.iterdir()
        if entry.is_dir()
        and not entry.is_symlink()
        and not entry.name.startswith(".")
        and (entry / MANIFEST).is_file()
    )


def manifest_frame(publication: Publication) -> pd.DataFrame:
    """One row per published mart: what a dbt model returns as its table."""
    return pd.DataFrame(
        [
            {
                "table_name": name,
                "publication_id": publication.publication_id,
                "file_path": str(publication.path(name)),
                "row_count": publication.row_count(name),
                "published_at": publication.published_at,
            }
            for name in publication.tables
        ]
    )


def _parquet_rows(path: Path) -> int:
    with duckdb.connect() as con:
        row = con.execute(
            "select coalesce(sum(num_rows), 0) from parquet_file_metadata(?)",
            [str(path)],
        ).fetchone()
    return int(row[0]) if row else 0


def _point_current(destination: Path, publication_id: str) -> None:
    """Re-point ``current`` with one rename: readers see the old or the new."""
    temporary = destination / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
    temporary.symlink_to(publication_id, target_is_directory=True)
    temporary.replace(destination / CURRENT)


def _write_catalog(destination: Path, tables: tuple[str, ...]) -> None:
    """Views for BI tools over ``current/``; swapped in by a rename."""
    temporary = destination / f".{CATALOG}.{uuid.uuid4().hex[:8]}"
    current = destination / CURRENT
    try:
        # Written in the v1.0 storage format, so BI drivers built on older
        # DuckDB releases (ODBC, JDBC, duckdb-engine) can open it too.
        with duckdb.connect(
            str(temporary), config={"storage_compatibility_version": CATALOG_STORAGE}
        ) as con:
            con.execute(f"create schema {CATALOG_SCHEMA}")
            for name in tables:
                path = str(current / f"{name}.parquet").replace("'", "''")
                con.execute(
                    f'create view {CATALOG_SCHEMA}."{name}" as '
                    f"select * from read_parquet('{path}')"
                )
        temporary.replace(destination / CATALOG)
    finally:
        for leftover in (temporary, Path(f"{temporary}.wal")):
            leftover.unlink(missing_ok=True)


def _prune(destination: Path, *, keep: int) -> None:
    """Remove publications that are old enough, and dead staging folders.

    A publication goes when ``keep`` newer ones exist *and* the one that replaced
    it has been current for :data:`KEEP_SUPERSEDED_SECONDS`: a reader that
    resolved it just before a burst of builds still has time to finish.
    """
    current = (destination / CURRENT).resolve().name
    names = publications(destination)
    now = dt.datetime.now(dt.UTC)
    prunable = set(names[:-keep])
    for name, successor in itertools.pairwise(names):
        if name not in prunable:
            continue
        replaced_at = _published_at(destination / successor)
        if name == current or replaced_at is None:
            continue
        if (now - replaced_at).total_seconds() > KEEP_SUPERSEDED_SECONDS:
            shutil.rmtree(destination / name, ignore_errors=True)
    cutoff = time.time() - STALE_STAGING_SECONDS
    for entry in destination.glob(".*.staging"):
        try:
            is_stale = entry.stat().st_mtime < cutoff
        except FileNotFoundError:  # another publish cleared it first
            continue
        if is_stale:
            shutil.rmtree(entry, ignore_errors=True)


def _published_at(directory: Path) -> dt.datetime | None:
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        return dt.datetime.fromisoformat(manifest["published_at"])
    except (OSError, ValueError, KeyError):
        return None


def publish_warehouse(
    warehouse_connection: duckdb.DuckDBPyConnection,
    destination: Path,
    *,
    schema: str = "marts",
) -> Publication:
    """Publish the marts of an open warehouse (``people-ml publish``)."""
    present = {
        row[0]
        for row in warehouse_connection.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [schema],
        ).fetchall()
    }
    missing = [name for name in PUBLISHED_MARTS if name not in present]
    if missing:
        raise PublicationError(
            f"The warehouse has no {schema}.{', '.join(missing)}: run `dbt build` "
            "first (it publishes by itself)."
        )
    relations = {
        name: warehouse_connection.table(f'"{schema}"."{name}"')
        for name in PUBLISHED_MARTS
    }
    return publish(relations, destination, source="people-ml publish")


def publish_marts(relations: Mapping[str, duckdb.DuckDBPyRelation]) -> pd.DataFrame:
    """Publish from a dbt Python model; the manifest rows it returns as its table.

    The folder is :func:`publish_dir` (``PEOPLE_ML_PUBLISH_DIR``, default
    ``$PEOPLE_ML_HOME/published``); the dbt invocation id is the source.
    """
    from people_ml.runs import invocation_id

    publication = publish(relations, publish_dir(), source=f"dbt {invocation_id()}")
    return manifest_frame(publication)
