"""Who may see whom: the access seed's rules, its dbt YAML against the roles,
and serving beyond this machine only with a login (people_ml.storyboard)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import FIXTURE_ACCESS_SEED

from people_ml.cli import main
from people_ml.storyboard import access, browser

ROOT = Path(__file__).resolve().parents[2]


def _seed(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "storyboard_access.csv"
    path.write_text(text)
    return path


def test_grants_give_roles_and_divisions():
    grants = access.load_grants(FIXTURE_ACCESS_SEED)
    partner = access.reader_for("HRBP.Sales@example.com", grants)  # any case
    assert partner.role == "hr_business_partner"
    assert partner.divisions == {"Sales"}
    assert partner.sees_people and not partner.all_divisions
    assert "Sales only" in partner.scope_note
    analyst = access.reader_for("people.analytics@example.com", grants)
    assert analyst.all_divisions and analyst.sees_people
    assert not access.reader_for("leader@example.com", grants).sees_people
    # Unknown readers are viewers; the local owner sees everything.
    assert access.reader_for("nobody@example.org", grants).role == "viewer"
    assert access.reader_for(access.LOCAL_READER, {}).all_divisions


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mail,role\n", ":1: the header must be email,role,divisions"),
        ("email,role,divisions\na@x.org,boss,*\n", ":2: unknown role 'boss'"),
        (
            "email,role,divisions\na@x.org,viewer,\nA@x.org,viewer,\n",
            ":3: A@x.org is listed twice",
        ),
        (
            "email,role,divisions\na@x.org,hr_business_partner,\n",
            ":2: role hr_business_partner sees people but no divisions",
        ),
        ("email,role,divisions\nnot-an-email,viewer,\n", "is not an e-mail address"),
        ("email,role,divisions\na@x.org,viewer\n", ":2: 2 fields, expected 3"),
    ],
)
def test_a_broken_seed_is_refused_naming_the_line_and_the_fix(tmp_path, text, message):
    with pytest.raises(access.AccessError) as error:
        access.load_grants(_seed(tmp_path, text))
    assert message in str(error.value)
    assert str(tmp_path) in str(error.value)


def test_the_seeds_yaml_accepts_exactly_the_roles_the_storyboard_knows():
    seeds = yaml.safe_load((ROOT / "seeds/_seeds.yml").read_text())["seeds"]
    (seed,) = [s for s in seeds if s["name"] == "storyboard_access"]
    role = next(c for c in seed["columns"] if c["name"] == "role")
    accepted = next(
        t["accepted_values"]["arguments"]["values"]
        for t in role["data_tests"]
        if isinstance(t, dict) and "accepted_values" in t
    )
    assert accepted == list(access.ROLES)
    header = FIXTURE_ACCESS_SEED.read_text().splitlines()[0]
    assert tuple(header.split(",")) == access.ACCESS_HEADER == seed_columns(seed)


def seed_columns(seed: dict) -> tuple[str, ...]:
    return tuple(column["name"] for column in seed["columns"])


def test_a_non_local_address_needs_a_login():
    browser.check_address("127.0.0.1", login=False)
    browser.check_address("0.0.0.0", login=True)
    with pytest.raises(browser.BrowserError, match="without a login"):
        browser.check_address("0.0.0.0", login=False)


def test_a_login_needs_every_key_streamlit_reads(tmp_path):
    assert not browser.login_configured(tmp_path)
    secrets = tmp_path / browser.SECRETS_FILE
    secrets.parent.mkdir()
    secrets.write_text('[auth]\nredirect_uri = "http://x/oauth2callback"\n')
    with pytest.raises(browser.BrowserError, match="cookie_secret, client_id"):
        browser.login_configured(tmp_path)
    secrets.write_text(
        "[auth]\n"
        'redirect_uri = "http://x/oauth2callback"\n'
        'cookie_secret = "s"\n'
        "[auth.company]\n"
        'client_id = "c"\n'
        'client_secret = "t"\n'
        'server_metadata_url = "http://idp/.well-known/openid-configuration"\n'
    )
    assert browser.login_configured(tmp_path)


def test_people_ml_storyboard_refuses_the_network_without_a_login(
    project, tmp_path, capsys, monkeypatch
):
    # A publication exists (any will do); the address is what is refused.
    published = tmp_path / "published"
    import duckdb

    from people_ml import publish

    with duckdb.connect() as con:
        con.execute("create table runs as select 1 as run_id")
        publish.publish({"dim_runs": con.table("runs")}, published, source="pytest")
    monkeypatch.setenv("PEOPLE_ML_PUBLISH_DIR", str(published))
    monkeypatch.setenv("PEOPLE_ML_HOME", str(project.root))
    code = main(["storyboard", "--address", "0.0.0.0"])
    assert code == 2
    err = capsys.readouterr().err
    assert "refused to serve on 0.0.0.0 without a login" in err
    assert ".streamlit/secrets.toml" in err
