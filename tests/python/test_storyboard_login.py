"""The OpenID Connect login, end to end: a real local OIDC provider
(oidc-provider-mock), the storyboard served by `people-ml storyboard` with
Streamlit's built-in login, and Debian's Chromium driven by Playwright.

Before signing in nothing but the login shows; after, the reader is who the
provider says (the `email` claim) with the role and divisions the access seed
gives them: a Sales partner sees Sales' people only.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Project, clone_project

from people_ml.storyboard import browser

pytestmark = [pytest.mark.dbt, pytest.mark.browser]
pytest.importorskip("streamlit")
mock = pytest.importorskip("oidc_provider_mock")
sync_api = pytest.importorskip("playwright.sync_api")

PARTNER = "hrbp.sales@example.com"


def _secrets(root: Path, *, port: int, provider: int) -> None:
    path = root / browser.SECRETS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-not-for-production"\n'
        'client_id = "people-ml-storyboard"\n'
        'client_secret = "test-secret"\n'
        f'server_metadata_url = "http://localhost:{provider}/.well-known/'
        'openid-configuration"\n'
    )


def test_signing_in_through_a_real_oidc_provider_gives_the_seeds_scope(
    deployed_project: Project, tmp_path: Path
):
    if os.environ.get("PEOPLE_ML_SKIP_BROWSER"):
        pytest.skip("PEOPLE_ML_SKIP_BROWSER is set")
    chromium = browser.find_chromium()
    project = clone_project(deployed_project, tmp_path / "people_ml")
    port = browser.free_port()
    users = [mock.User(sub="sales-partner", claims={"email": PARTNER})]
    with mock.run_server_in_thread(user_claims=users) as provider:
        _secrets(project.root, port=port, provider=provider.server_port)
        env = {
            **project.env(),
            "PEOPLE_ML_PUBLISH_DIR": str(project.root / "published"),
        }
        log = (tmp_path / "storyboard.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "people_ml.cli", "storyboard", "--port", str(port)],
            cwd=project.root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while not browser.answers(f"http://127.0.0.1:{port}/_stcore/health"):
                assert server.poll() is None, (tmp_path / "storyboard.log").read_text()
                assert time.monotonic() < deadline
                time.sleep(0.25)
            with sync_api.sync_playwright() as playwright:
                chrome = playwright.chromium.launch(
                    executable_path=str(chromium), args=list(browser.CHROMIUM_FLAGS)
                )
                page = chrome.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"http://localhost:{port}/", timeout=60_000)
                page.get_by_text("Sign in to see the storyboard.").wait_for(
                    timeout=60_000
                )
                assert "Headcount" not in page.inner_text("body")
                page.get_by_role("button", name="Log in").click()
                # The provider's own page: sign in as its predefined user.
                page.get_by_role("button", name="sales-partner").click(timeout=30_000)
                page.get_by_text("Headcount").first.wait_for(timeout=60_000)
                sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
                assert f"Signed in as {PARTNER} (hr_business_partner)" in sidebar
                page.goto(f"http://localhost:{port}/people", timeout=60_000)
                page.get_by_text("you see the people of Sales only").wait_for(
                    timeout=60_000
                )
                # Streamlit renders the page progressively: wait for the
                # person's risk rather than reading the body at once.
                page.get_by_text(re.compile("Predicted risk")).first.wait_for(
                    timeout=60_000
                )
                chrome.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
            log.close()
    assert "Traceback" not in (tmp_path / "storyboard.log").read_text()
