"""Publishing the marts as Parquet: complete, atomic, consistent, pruned.

DuckDB in memory stands in for the warehouse's marts (the same relations a dbt
Python model passes); the dbt end of it is in test_storyboard.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from people_ml import publish
from people_ml.publish import (
    CATALOG,
    CURRENT,
    MANIFEST,
    PublicationError,
    PublicationNotFoundError,
    open_publication,
    publications,
)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect() as connection:
        connection.execute(
            "create table people as select range as id, 'p' || range as name "
            "from range(250)"
        )
        connection.execute("create table runs as select 'r1' as run_id, 0.8 as auc")
        yield connection


def _publish(
    con: duckdb.DuckDBPyConnection, folder: Path, **kwargs: int
) -> publish.Publication:
    relations = {"fct_people": con.table("people"), "dim_runs": con.table("runs")}
    return publish.publish(relations, folder, source="pytest", **kwargs)


def test_publish_writes_every_table_and_points_current_at_it(con, tmp_path):
    publication = _publish(con, tmp_path)

    assert (tmp_path / CURRENT).resolve() == publication.directory
    assert publication.tables == ("dim_runs", "fct_people")
    assert publication.row_count("fct_people") == 250
    assert publication.row_count("dim_runs") == 1
    frame = open_publication(tmp_path).read("fct_people")
    assert sorted(frame["id"]) == list(range(250))
    manifest = json.loads((publication.directory / MANIFEST).read_text())
    assert manifest["source"] == "pytest"
    assert manifest["tables"]["dim_runs"]["columns"] == ["run_id", "auc"]
    # The link is relative: the folder can move and stay valid.
    assert not (tmp_path / CURRENT).readlink().is_absolute()


def test_the_bi_catalog_serves_the_marts_under_their_warehouse_names(con, tmp_path):
    _publish(con, tmp_path)
    with duckdb.connect(str(tmp_path / CATALOG), read_only=True) as reader:
        assert reader.execute("select count(*) from marts.fct_people").fetchone() == (
            250,
        )
        # Opened read-only for the whole next publish: the catalog is swapped
        # by a rename, so neither side blocks the other...
        con.execute("insert into people select 1000, 'late'")
        _publish(con, tmp_path)
        # ...and the open catalog's views follow `current/` to the new data.
        assert reader.execute("select count(*) from marts.fct_people").fetchone() == (
            251,
        )


def test_the_duckdb_command_line_client_reads_the_catalog(con, tmp_path):
    """The README's `duckdb -readonly published/people_ml_marts.duckdb` works
    with the client `make setup` installs (duckdb-cli, an older DuckDB than the
    project's: the catalog is written in a storage format it can read)."""
    client = Path(sys.executable).with_name("duckdb")
    assert client.is_file(), "duckdb-cli is not installed: make setup"
    _publish(con, tmp_path)
    completed = subprocess.run(
        [
            str(client),
            "-readonly",
            "-csv",
            str(tmp_path / CATALOG),
            "-c",
            "select count(*) as people from marts.fct_people",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["people", "250"]


def test_a_reader_keeps_its_publication_while_newer_ones_land(con, tmp_path):
    first = _publish(con, tmp_path)
    reader_view = open_publication(tmp_path)
    con.execute("delete from people where id >= 100")
    second = _publish(con, tmp_path)

    assert open_publication(tmp_path).directory == second.directory
    # The reader that resolved the first still reads the first, whole.
    assert len(reader_view.read("fct_people")) == 250
    assert reader_view.directory == first.directory
    assert len(open_publication(tmp_path).read("fct_people")) == 100


def test_old_publications_go_once_three_newer_exist_long_enough(
    con, tmp_path, monkeypatch
):
    monkeypatch.setattr(publish, "KEEP_SUPERSEDED_SECONDS", 0)
    reader_view = _publish(con, tmp_path)
    made = [reader_view.publication_id]
    made += [_publish(con, tmp_path, keep=3).publication_id for _ in range(4)]
    assert publications(tmp_path) == made[-3:]
    assert open_publication(tmp_path).publication_id == made[-1]
    # A reader still holding a pruned publication is told to open it again.
    with pytest.raises(PublicationNotFoundError, match="open the current"):
        reader_view.read("fct_people")


def test_a_burst_of_builds_does_not_pull_files_from_under_a_reader(con, tmp_path):
    # Superseded for less than KEEP_SUPERSEDED_SECONDS: kept, however many.
    reader_view = _publish(con, tmp_path)
    for _ in range(5):
        _publish(con, tmp_path, keep=2)
    assert len(publications(tmp_path)) == 6
    assert len(reader_view.read("fct_people")) == 250


def test_a_failed_publish_leaves_the_current_one_and_no_debris(con, tmp_path):
    good = _publish(con, tmp_path)
    failing = con.sql("select error('disk on fire') as boom")
    with pytest.raises(duckdb.Error, match="disk on fire"):
        publish.publish(
            {"a_ok": con.table("runs"), "b_broken": failing}, tmp_path, source="x"
        )
    assert open_publication(tmp_path).directory == good.directory
    assert publications(tmp_path) == [good.publication_id]
    assert not list(tmp_path.glob(".*.staging"))


def test_stale_staging_folders_of_dead_publishes_are_cleared(con, tmp_path):
    dead = tmp_path / ".20200101T000000000000Z-deadbeef.staging"
    dead.mkdir()
    (dead / "half.parquet").write_bytes(b"PAR1")
    old = time.time() - publish.STALE_STAGING_SECONDS - 60
    os.utime(dead, (old, old))
    fresh = tmp_path / ".20990101T000000000000Z-cafe.staging"
    fresh.mkdir()  # another publish, still writing: left alone

    _publish(con, tmp_path)
    assert not dead.exists()
    assert fresh.exists()


def test_nothing_published_yet_says_how_to_publish(tmp_path):
    with pytest.raises(PublicationNotFoundError, match="dbt build"):
        open_publication(tmp_path / "published")


def test_a_publication_of_another_format_is_refused_with_the_fix(con, tmp_path):
    publication = _publish(con, tmp_path)
    manifest_path = publication.directory / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(PublicationError, match="rebuild"):
        open_publication(tmp_path)


def test_asking_for_a_mart_that_was_not_published_names_the_fix(con, tmp_path):
    publication = _publish(con, tmp_path)
    with pytest.raises(PublicationError, match="published_marts"):
        publication.path("fct_unknown")


def test_publishing_nothing_is_refused(tmp_path):
    with pytest.raises(PublicationError, match="nothing to publish"):
        publish.publish({}, tmp_path, source="pytest")


def test_publish_warehouse_refuses_a_warehouse_without_the_marts(con, tmp_path):
    with pytest.raises(PublicationError, match="run `dbt build` first"):
        publish.publish_warehouse(con, tmp_path)
    assert not (tmp_path / CURRENT).exists()
