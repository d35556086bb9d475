"""Known shocks injected by ``advance``: the past is untouched, the shock is exact."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pytest

from people_ml.cli import EXIT_OK, EXIT_USAGE, main
from people_ml.synthetic import (
    TABLES,
    GeneratorError,
    advance,
    generate,
)

EXTRACT = {"employees": 300, "months": 24, "seed": 7}
# The first month after the 24 months from 2023-11-01: where advance's shocks start.
SHOCK_DAY = dt.date(2025, 11, 1)
RENAME = "rename-department:Platform=Core Platform"
PAY_CUT = "pay-cut:Sales:10"
WAVE = "hiring-wave:40"

KEYS = {
    "locations": "location_id",
    "org_units": "org_unit_id",
    "pay_bands": "pay_band_id",
    "workers": "worker_id",
    "job_history": "job_history_id",
    "compensation_history": "compensation_id",
    "performance_ratings": "performance_rating_id",
    "promotions": "promotion_id",
    "terminations": "termination_id",
}
DATED = {
    "pay_bands": "effective_date",
    "job_history": "effective_date",
    "compensation_history": "effective_date",
    "performance_ratings": "review_date",
    "promotions": "effective_date",
    "terminations": "termination_date",
}


# ----------------------------------------------------------------------- helpers
def _extract(
    folder: Path, months: int | None = None, shocks: Sequence[str] = ()
) -> Path:
    """A fresh extract, advanced by ``months`` (with ``shocks``) if given."""
    generate(folder, **EXTRACT)
    if months is not None:
        advance(folder, months=months, shocks=shocks)
    return folder


def _connect(folder: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in TABLES:
        con.execute(
            f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{folder}/{table}"
            ".parquet')"
        )
    # the division and department of every team (org_units is team < dept < div)
    con.execute(
        """
        CREATE VIEW team_org AS
        SELECT team.org_unit_id, dept.org_unit_name AS department_name,
               div.org_unit_name AS division_name
        FROM org_units AS team
        JOIN org_units AS dept ON team.parent_org_unit_id = dept.org_unit_id
        JOIN org_units AS div ON dept.parent_org_unit_id = div.org_unit_id
        WHERE team.org_unit_type = 'team'
        """
    )
    return con


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _active_on(con: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, str]:
    """Worker -> division of everyone employed at the start of ``day``."""
    rows = _rows(
        con,
        f"""
        WITH spells AS (
            SELECT worker_id, max(effective_date) AS spell_start
            FROM job_history
            WHERE event_type IN ('hire', 'rehire') AND effective_date < '{day}'
            GROUP BY 1
        ),
        gone AS (
            SELECT spells.worker_id FROM spells
            JOIN terminations USING (worker_id)
            WHERE termination_date >= spell_start AND termination_date < '{day}'
        ),
        placed AS (
            SELECT worker_id, org_unit_id FROM job_history
            WHERE effective_date < '{day}'
            QUALIFY row_number() OVER (
                PARTITION BY worker_id ORDER BY effective_date DESC,
                job_history_id DESC) = 1
        )
        SELECT placed.worker_id, team_org.division_name
        FROM placed JOIN team_org USING (org_unit_id)
        WHERE worker_id IN (SELECT worker_id FROM spells)
          AND worker_id NOT IN (SELECT worker_id FROM gone)
        """,
    )
    return dict(rows)


def _salary_on(con: duckdb.DuckDBPyConnection, day: dt.date) -> dict[str, float]:
    """Worker -> base salary in force at the end of ``day``."""
    rows = _rows(
        con,
        f"""
        SELECT worker_id, base_salary FROM compensation_history
        WHERE effective_date <= '{day}'
        QUALIFY row_number() OVER (
            PARTITION BY worker_id ORDER BY effective_date DESC,
            compensation_id DESC) = 1
        """,
    )
    return dict(rows)


def _hires_in(con: duckdb.DuckDBPyConnection, first: dt.date) -> list[tuple]:
    """(worker, team) of the external hires starting in the month of ``first``."""
    return _rows(
        con,
        f"""
        SELECT worker_id, org_unit_id FROM job_history
        WHERE event_type = 'hire' AND effective_date >= '{first}'
          AND effective_date < DATE '{first}' + INTERVAL 1 MONTH
        """,
    )


# ------------------------------------------------------- (a) the past is kept
@pytest.mark.parametrize(
    "shocks", [[RENAME], [PAY_CUT], [WAVE], [RENAME, PAY_CUT, WAVE]]
)
def test_a_shock_changes_nothing_dated_before_its_month(
    tmp_path: Path, shocks: list[str]
) -> None:
    plain = _connect(_extract(tmp_path / "plain", 3))
    shocked = _connect(_extract(tmp_path / "shocked", 3, shocks=shocks))
    for table, column in DATED.items():
        before = (
            f"SELECT * FROM {table} WHERE {column} < '{SHOCK_DAY}' "
            f"ORDER BY {KEYS[table]}"
        )
        kept = _rows(shocked, before)
        assert kept == _rows(plain, before), table
        assert kept, table
    # the people hired before the shock are the same; only the hire date of
    # someone rehired later can differ
    people = (
        f"SELECT * EXCLUDE (hire_date), CASE WHEN hire_date < '{SHOCK_DAY}' "
        f"THEN hire_date END FROM workers WHERE original_hire_date < '{SHOCK_DAY}' "
        "ORDER BY worker_id"
    )
    assert _rows(shocked, people) == _rows(plain, people)
    assert _rows(shocked, "SELECT * FROM locations") == _rows(
        plain, "SELECT * FROM locations"
    )
    # after the shock the two extracts differ (the shock did something)
    assert _digests(tmp_path / "plain") != _digests(tmp_path / "shocked")


def test_generate_records_no_shocks(tmp_path: Path) -> None:
    summary = generate(tmp_path, **EXTRACT)
    assert summary.shocks == ()
    assert json.loads((tmp_path / "_manifest.json").read_text())["shocks"] == []


# ------------------------------------------------------------- (b) rename
def test_rename_changes_the_name_and_nothing_else(tmp_path: Path) -> None:
    plain_dir = _extract(tmp_path / "plain", 3)
    shocked_dir = _extract(tmp_path / "shocked", 3, shocks=[RENAME])
    plain, shocked = _connect(plain_dir), _connect(shocked_dir)
    names = "SELECT org_unit_name FROM org_units ORDER BY org_unit_id"
    old_names = [r[0] for r in _rows(plain, names)]
    new_names = [r[0] for r in _rows(shocked, names)]
    # the department and its teams ("Platform Alpha", ...) carry the new name
    assert "Platform" in old_names
    assert not [n for n in new_names if n.startswith("Platform")]
    assert new_names == [
        "Core Platform" + n.removeprefix("Platform") if n.startswith("Platform") else n
        for n in old_names
    ]
    assert "Core Platform" in new_names
    # same units, same parents; the simulation itself is untouched
    shape = "SELECT org_unit_id, org_unit_type, parent_org_unit_id FROM org_units"
    assert _rows(shocked, shape) == _rows(plain, shape)
    per_department = (
        "SELECT department_name, count(*) FROM job_history "
        "JOIN team_org USING (org_unit_id) GROUP BY 1 ORDER BY 1"
    )
    before = dict(_rows(plain, per_department))
    after = dict(_rows(shocked, per_department))
    assert after.pop("Core Platform") == before.pop("Platform") > 0
    assert after == before
    same = {name for name in _digests(plain_dir) if name != "org_units.parquet"}
    same.discard("_manifest.json")
    assert {n: _digests(plain_dir)[n] for n in same} == {
        n: _digests(shocked_dir)[n] for n in same
    }


def test_a_renamed_department_is_known_by_its_new_name(tmp_path: Path) -> None:
    _extract(tmp_path, 2, shocks=[RENAME])
    with pytest.raises(GeneratorError, match="unknown department 'Platform'"):
        advance(tmp_path, months=1, shocks=["rename-department:Platform=Data"])
    advance(tmp_path, months=1, shocks=["rename-department:Core Platform=Data"])
    departments = {
        r[0] for r in _rows(_connect(tmp_path), "SELECT department_name FROM team_org")
    }
    assert "Data" in departments
    assert not {"Platform", "Core Platform"} & departments


# ------------------------------------------------------------ (c) pay cut
def test_pay_cut_lowers_the_division_by_the_percent(tmp_path: Path) -> None:
    plain = _connect(_extract(tmp_path / "plain", 6))
    shocked = _connect(_extract(tmp_path / "shocked", 6, shocks=[PAY_CUT]))
    active = _active_on(plain, SHOCK_DAY)
    assert active == _active_on(shocked, SHOCK_DAY)
    sales = {w for w, division in active.items() if division == "Sales"}
    assert 20 < len(sales) < len(active)
    was, now = _salary_on(plain, SHOCK_DAY), _salary_on(shocked, SHOCK_DAY)
    for worker in active:
        if worker in sales:
            assert abs(now[worker] - 0.9 * was[worker]) <= 0.5, worker
        else:
            assert now[worker] == was[worker], worker
    # one compensation row per cut worker, on the 1st, with a documented reason
    cut_rows = _rows(
        shocked,
        f"SELECT worker_id, change_reason FROM compensation_history "
        f"WHERE effective_date = '{SHOCK_DAY}'",
    )
    assert {w for w, _ in cut_rows} == sales
    assert {reason for _, reason in cut_rows} == {"market_adjustment"}
    # the January top-up to the band minimum does not undo the cut ...
    below_minimum = _rows(
        shocked,
        f"""
        WITH job AS (
            SELECT worker_id, job_family, job_level FROM job_history
            WHERE effective_date <= '2026-01-01'
            QUALIFY row_number() OVER (
                PARTITION BY worker_id ORDER BY effective_date DESC,
                job_history_id DESC) = 1
        )
        SELECT cut.worker_id FROM compensation_history AS cut
        JOIN job USING (worker_id)
        JOIN pay_bands ON pay_bands.job_family = job.job_family
            AND pay_bands.job_level = job.job_level
            AND pay_bands.effective_date = '2026-01-01'
        WHERE cut.effective_date = '{SHOCK_DAY}'
          AND cut.base_salary < pay_bands.band_minimum
        """,
    )
    assert len(below_minimum) > 5
    topped_up = _rows(
        shocked,
        "SELECT worker_id FROM compensation_history WHERE change_reason = "
        "'market_adjustment' AND effective_date = '2026-01-01'",
    )
    assert not {w for (w,) in topped_up} & sales
    # ... and April's merit raises carry on from the lower base
    merit = _rows(
        shocked,
        "SELECT worker_id FROM compensation_history WHERE change_reason = 'merit' "
        "AND effective_date = '2026-04-01'",
    )
    assert len({w for (w,) in merit} & sales) > len(sales) / 2


# -------------------------------------------------------- (d) hiring wave
def test_hiring_wave_adds_count_hires_in_its_month(tmp_path: Path) -> None:
    plain = _connect(_extract(tmp_path / "plain", 3))
    shocked = _connect(_extract(tmp_path / "shocked", 3, shocks=[WAVE]))
    before, after = _hires_in(plain, SHOCK_DAY), _hires_in(shocked, SHOCK_DAY)
    assert set(before) <= set(after)
    wave = set(after) - set(before)
    assert len(wave) == 40
    # spread over the teams, not piled into one
    assert len({team for _, team in wave}) >= 10
    new_people = (
        f"SELECT count(*) FROM workers WHERE original_hire_date >= '{SHOCK_DAY}' "
        "AND original_hire_date < '2025-12-01'"
    )
    assert _rows(shocked, new_people)[0][0] == _rows(plain, new_people)[0][0] + 40
    # they are paid like hires: a hire row on their start day
    hire_pay = _rows(
        shocked,
        f"SELECT count(*) FROM compensation_history WHERE change_reason = 'hire' "
        f"AND effective_date >= '{SHOCK_DAY}' AND effective_date < '2025-12-01'",
    )
    assert hire_pay[0][0] == len(after)


# ----------------------------------------------------------- (e) replay
def test_later_advances_replay_every_shock(tmp_path: Path) -> None:
    shocks = [RENAME, PAY_CUT, WAVE]
    folders = []
    for name in ("a", "b"):
        folder = _extract(tmp_path / name, 3, shocks=shocks)
        con = _connect(folder)
        as_of = dt.date(2026, 1, 31)
        kept = {
            t: _rows(con, f"SELECT * FROM {t} WHERE {c} <= '{as_of}' ORDER BY 1")
            for t, c in DATED.items()
        }
        org_units = _rows(con, "SELECT * FROM org_units ORDER BY 1")
        con.close()
        summary = advance(folder, months=2)
        con = _connect(folder)
        # everything up to the first advance's as-of date is still there
        for table, column in DATED.items():
            assert (
                _rows(
                    con,
                    f"SELECT * FROM {table} WHERE {column} <= '{as_of}' ORDER BY 1",
                )
                == kept[table]
            ), table
        assert _rows(con, "SELECT * FROM org_units ORDER BY 1") == org_units
        assert [(s.shock.spec, s.start_month) for s in summary.shocks] == [
            (s, SHOCK_DAY) for s in shocks
        ]
        folders.append(folder)
    manifest = json.loads((folders[0] / "_manifest.json").read_text())
    assert manifest["shocks"] == [
        {"shock": s, "start_month": "2025-11-01"} for s in shocks
    ]
    assert manifest["parameters"]["months"] == 29
    assert _digests(folders[0]) == _digests(folders[1])


def test_each_advance_adds_its_shocks_in_its_own_first_month(tmp_path: Path) -> None:
    _extract(tmp_path, 3, shocks=[PAY_CUT])
    summary = advance(tmp_path, months=2, shocks=["hiring-wave:10", RENAME])
    assert [(s.shock.spec, s.start_month) for s in summary.shocks] == [
        (PAY_CUT, SHOCK_DAY),
        ("hiring-wave:10", dt.date(2026, 2, 1)),
        (RENAME, dt.date(2026, 2, 1)),
    ]
    recorded = json.loads((tmp_path / "_manifest.json").read_text())["shocks"]
    assert [entry["start_month"] for entry in recorded] == [
        "2025-11-01",
        "2026-02-01",
        "2026-02-01",
    ]


def test_a_manifest_without_shocks_means_none(tmp_path: Path) -> None:
    plain = _extract(tmp_path / "plain", 2)
    old = _extract(tmp_path / "old")
    path = old / "_manifest.json"
    manifest = json.loads(path.read_text())
    del manifest["shocks"]
    path.write_text(json.dumps(manifest))
    assert advance(old, months=2).shocks == ()
    assert _digests(old) == _digests(plain)


# --------------------------------------------------------- (f) refusals
@pytest.mark.parametrize(
    ("shock", "says"),
    [
        ("layoff:10", "unknown kind 'layoff'.*hiring-wave:COUNT"),
        ("pay-cut", "arguments.*missing.*pay-cut:DIVISION:PERCENT"),
        ("pay-cut:Sales", "division and the percent.*e.g. pay-cut:Sales:10"),
        ("pay-cut:Sales:ten", "not a number.*pay-cut:DIVISION:PERCENT"),
        ("pay-cut:Sales:0", "above 0 and at most 50"),
        ("pay-cut:Sales:60", "above 0 and at most 50"),
        ("pay-cut:Slaes:10", "unknown division 'Slaes'.*did you mean 'Sales'"),
        ("pay-cut:Nowhere:10", "the divisions are Corporate, Engineering, Sales"),
        ("hiring-wave:0", "at least 1.*hiring-wave:COUNT"),
        ("hiring-wave:2.5", "whole number"),
        ("hiring-wave:301", "at most the starting headcount \\(300\\)"),
        ("rename-department:Platform", "one '='.*rename-department:OLD=NEW"),
        ("rename-department:=Core", "old and the new name"),
        ("rename-department:Platform=Platform", "the new name is the old one"),
        ("rename-department:Platform=Brand", "already called 'Brand'"),
        (
            "rename-department:Nowhere=X",
            "unknown department 'Nowhere'.*departments are Accounting, Platform.*"
            "e.g. rename-department:Accounting=X",
        ),
    ],
)
def test_bad_shocks_are_refused_with_the_fix(
    tmp_path: Path, shock: str, says: str
) -> None:
    _extract(tmp_path)
    before = _digests(tmp_path)
    with pytest.raises(GeneratorError, match=says):
        advance(tmp_path, months=1, shocks=[shock])
    assert _digests(tmp_path) == before


def test_shocks_must_be_a_list_of_strings(tmp_path: Path) -> None:
    _extract(tmp_path)
    with pytest.raises(GeneratorError, match=r"shocks=\['pay-cut:Sales:10'\]"):
        advance(tmp_path, months=1, shocks=PAY_CUT)  # type: ignore[arg-type]
    with pytest.raises(GeneratorError, match="a shock is a string"):
        advance(tmp_path, months=1, shocks=[10])  # type: ignore[list-item]


def test_a_bad_recorded_shock_points_at_the_manifest(tmp_path: Path) -> None:
    _extract(tmp_path, 1, shocks=[PAY_CUT])
    path = tmp_path / "_manifest.json"
    manifest = json.loads(path.read_text())
    manifest["shocks"][0]["shock"] = "pay-cut:Nowhere:10"
    path.write_text(json.dumps(manifest))
    with pytest.raises(GeneratorError, match=r"recorded in _manifest\.json"):
        advance(tmp_path, months=1)
    manifest["shocks"][0] = {"shock": PAY_CUT}
    path.write_text(json.dumps(manifest))
    with pytest.raises(GeneratorError, match="bad shocks entry"):
        advance(tmp_path, months=1)


# ---------------------------------------------------------------- (g) CLI
@pytest.fixture
def project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "dbt_project.yml").write_text("name: people_ml\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_advance_with_shocks(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generate_args = ["--employees", "300", "--months", "24", "--seed", "7"]
    assert main(["generate", *generate_args]) == EXIT_OK
    assert (
        main(
            [
                "advance",
                "--months",
                "1",
                "--shock",
                RENAME,
                "--shock",
                "pay-cut:Sales:7.5%",
            ]
        )
        == EXIT_OK
    )
    out = capsys.readouterr().out
    assert f"{RENAME}  from 2025-11-01" in out
    assert "pay-cut:Sales:7.5  from 2025-11-01" in out
    raw = project_dir / "data" / "raw" / "hris"
    manifest = json.loads((raw / "_manifest.json").read_text())
    assert [s["shock"] for s in manifest["shocks"]] == [RENAME, "pay-cut:Sales:7.5"]
    assert manifest["as_of_date"] == "2025-11-30"
    departments = {r[1] for r in _rows(_connect(raw), "SELECT * FROM team_org")}
    assert "Core Platform" in departments
    assert "Platform" not in departments


def test_cli_refuses_an_unknown_division(
    project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "--employees", "300", "--months", "2"]) == EXIT_OK
    capsys.readouterr()
    assert main(["advance", "--months", "1", "--shock", "pay-cut:R&D:5"]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert "unknown division 'R&D'" in error
    assert "Corporate, Engineering, Sales" in error


def test_cli_advance_help_documents_the_shocks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["advance", "--help"])
    text = capsys.readouterr().out
    for syntax in (
        "rename-department:OLD=NEW",
        "pay-cut:DIVISION:PERCENT",
        "hiring-wave:COUNT",
    ):
        assert syntax in text
