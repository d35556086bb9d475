"""Serve the storyboard, and look at it with a real headless Chromium.

:func:`serve` runs ``streamlit run`` on a free local port until the ``with``
block ends. :func:`capture` opens a page in headless Chromium (Debian's
``chromium``, driven by Playwright), waits until given texts are on the page
and every chart has drawn, and saves a full-page PNG screenshot. Used by
``people-ml storyboard --screenshot`` and by the browser test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from people_ml.storyboard import APP_PATH, PAGES

# Chromium flags for a closed network: without the background-networking ones
# it keeps trying to reach Google's hosts.
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
# True once every Vega chart on the page has drawn its canvas or SVG.
CHARTS_DRAWN = (
    "(() => { const charts = [...document.querySelectorAll('.vega-embed')];"
    " return charts.every(c => c.querySelector('canvas, svg')); })()"
)
# True while Streamlit is still running the page's script.
RUNNING = "!!document.querySelector('[data-testid=\"stStatusWidget\"]')"
# The height of everything on the page: Streamlit's main container scrolls on
# its own, so the document's height is the window's.
PAGE_HEIGHT = (
    "(() => Math.max(document.documentElement.scrollHeight, ...[...document"
    '.querySelectorAll(\'[data-testid="stMain"], [data-testid="stAppViewContainer"],'
    " section.main')].map(e => e.scrollHeight)))()"
)


class BrowserError(RuntimeError):
    """Chromium or the storyboard server could not do what was asked."""


@dataclass(frozen=True)
class PageCapture:
    """What the browser saw: the page's text and where the screenshot went."""

    url: str
    text: str
    screenshot: Path
    chart_count: int
    page_height: int


def find_chromium() -> Path:
    """Chromium's executable (``PEOPLE_ML_CHROMIUM`` or on PATH).

    Raises
    ------
    BrowserError
        When none is installed, naming the package to install.
    """
    explicit = os.environ.get("PEOPLE_ML_CHROMIUM")
    candidates = [explicit] if explicit else [shutil.which(n) for n in CHROMIUM_NAMES]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise BrowserError(
        "No Chromium found: install Debian's package (`apt-get install chromium`, "
        "or `make browser`) or set PEOPLE_ML_CHROMIUM to the executable."
    )


#: Where `people-ml storyboard` looks for Streamlit's login settings.
SECRETS_FILE = Path(".streamlit") / "secrets.toml"
#: Keys Streamlit's OpenID Connect login needs in ``[auth]`` (the last three
#: may sit in a provider section such as ``[auth.company]``).
AUTH_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
LOCAL_ADDRESSES = frozenset({"127.0.0.1", "localhost", "::1"})


def login_configured(root: Path) -> bool:
    """Whether ``<root>/.streamlit/secrets.toml`` configures an OIDC login.

    Raises
    ------
    BrowserError
        An ``[auth]`` section that lacks a key Streamlit needs (named).
    """
    import tomllib

    path = root / SECRETS_FILE
    if not path.is_file():
        return False
    try:
        auth = tomllib.loads(path.read_text()).get("auth")
    except tomllib.TOMLDecodeError as error:
        raise BrowserError(f"{path}: not valid TOML ({error}).") from error
    if not auth:
        return False
    providers = [auth, *(v for v in auth.values() if isinstance(v, dict))]
    missing = [k for k in AUTH_KEYS if not auth.get(k)]
    if not any(all(p.get(k) for k in PROVIDER_KEYS) for p in providers):
        missing += [k for k in PROVIDER_KEYS if not auth.get(k)]
    if missing:
        raise BrowserError(
            f"{path}: [auth] lacks {', '.join(missing)}; Streamlit's OpenID "
            "Connect login needs redirect_uri, cookie_secret, client_id, "
            "client_secret and server_metadata_url (README, 'Who may see whom')."
        )
    return True


def check_address(address: str, *, login: bool) -> None:
    """Refuse to serve beyond this machine without a login.

    Raises
    ------
    BrowserError
        ``address`` is not a loopback address and no login is configured.
    """
    if address in LOCAL_ADDRESSES or login:
        return
    raise BrowserError(
        f"refused to serve on {address} without a login: anyone who reaches "
        f"the port would see every person's risk. Configure Streamlit's "
        f"OpenID Connect login in {SECRETS_FILE} ([auth] with redirect_uri, "
        "cookie_secret, client_id, client_secret, server_metadata_url) and "
        "grant readers in seeds/storyboard_access.csv, or serve on 127.0.0.1."
    )


def free_port() -> int:
    """A TCP port that nothing on this machine listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_port_is(port: int) -> bool:
    """Whether nothing listens on ``port`` (of 127.0.0.1) right now (closed
    connections still in TIME_WAIT do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def page_url(base_url: str, page: str) -> str:
    """The URL of a page file (``overview.py``); the first page is the root."""
    if page not in PAGES:
        raise BrowserError(f"no storyboard page {page!r}: one of {', '.join(PAGES)}")
    if page == next(iter(PAGES)):
        return f"{base_url}/"
    return f"{base_url}/{page.removesuffix('.py')}"


def streamlit_command(port: int, address: str = "127.0.0.1") -> list[str]:
    """``streamlit run`` of the storyboard, headless, without usage statistics."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_PATH),
        "--server.headless=true",
        f"--server.port={port}",
        f"--server.address={address}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
        "--client.toolbarMode=viewer",
    ]


@contextlib.contextmanager
def serve(
    env: dict[str, str] | None = None,
    *,
    port: int | None = None,
    timeout: float = 60.0,
    log: Path | None = None,
) -> Iterator[str]:
    """Run the storyboard server for the ``with`` block; yields its URL."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    if answers(f"{url}/_stcore/health"):
        raise BrowserError(f"port {port} is taken by another server: pick another")
    with contextlib.ExitStack() as stack:
        output = (
            stack.enter_context(log.open("w"))
            if log is not None
            else subprocess.DEVNULL
        )
        # Served here only, without a login (the storyboard refuses a bare
        # `streamlit run`): the mode `people-ml storyboard` sets.
        base = dict(os.environ if env is None else env)
        base.setdefault("PEOPLE_ML_STORYBOARD_AUTH", "local")
        server = subprocess.Popen(
            streamlit_command(port),
            env=base,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_for_http(f"{url}/_stcore/health", server, timeout)
            yield url
        finally:
            _stop(server)


def run_until_stopped(
    command: Sequence[str], env: dict[str, str] | None, *, cwd: Path | None = None
) -> int:
    """Run the server in the foreground until it exits or this process is told
    to stop (SIGTERM, SIGINT, SIGHUP): then stop it and everything it started.

    The server runs in its own session, so a signal to this process alone (a
    service manager's SIGTERM) cannot leave it serving. Returns 0 after a
    requested stop, else the server's exit code.
    """
    server = subprocess.Popen(list(command), env=env, cwd=cwd, start_new_session=True)
    stop_requested = False

    def _forward(signum: int, _frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)

    handled = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    previous = {signum: signal.signal(signum, _forward) for signum in handled}
    try:
        code = server.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _stop(server)
    return 0 if stop_requested else code


def capture(
    url: str,
    screenshot: Path,
    *,
    wait_for: Sequence[str] = (),
    min_charts: int = 1,
    timeout: float = 90.0,
    width: int = 1440,
    height: int = 900,
    interact: Callable[[Any], Sequence[str]] | None = None,
) -> PageCapture:
    """Load ``url`` in headless Chromium and save a full-page PNG of it.

    Playwright drives Debian's Chromium (never a browser of its own). Waits
    until every string of ``wait_for`` is in the page's text, at least
    ``min_charts`` charts are on it, every chart has drawn and their number
    has stopped changing; then grows the viewport to the page's height
    (Streamlit scrolls inside its main container, so the document alone is
    one screen high) and takes the screenshot. ``height`` is the least height.
    ``interact`` is called with the Playwright page once it has loaded (fill a
    form, press a button) and returns the texts to wait for after it.

    Raises
    ------
    BrowserError
        When Chromium does not start, or the texts do not appear within
        ``timeout`` seconds (the message quotes what the page did show).
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(chromium), args=list(CHROMIUM_FLAGS)
            )
            try:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(url, timeout=timeout * 1000)
                text, charts = _wait_for_page(page, wait_for, min_charts, timeout)
                if interact is not None:
                    after = interact(page)
                    text, charts = _wait_for_page(page, after, min_charts, timeout)
                full = max(height, int(page.evaluate(PAGE_HEIGHT)))
                page.set_viewport_size({"width": width, "height": full})
                page.wait_for_timeout(500)  # the re-layout at the new height
                _wait_for_page(page, wait_for, min_charts, timeout)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
            finally:
                browser.close()
    except PlaywrightError as error:
        raise BrowserError(f"driving Chromium failed: {error}") from error
    return PageCapture(
        url=url,
        text=text,
        screenshot=screenshot,
        chart_count=charts,
        page_height=full,
    )


def _stop(process: subprocess.Popen[Any]) -> None:
    """Stop a process started in its own session, and everything it started."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    else:  # the leader is gone; its children may not be
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


def answers(url: str) -> bool:
    """Whether ``url`` answers 200 within 2 s."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _wait_for_http(url: str, server: subprocess.Popen[Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BrowserError(
                f"the storyboard server exited with code {server.returncode} "
                "before answering"
            )
        if answers(url):
            return
        time.sleep(0.25)
    raise BrowserError(f"{url} did not answer within {timeout:.0f} s")


def _wait_for_page(
    page: Any, wait_for: Sequence[str], min_charts: int, timeout: float
) -> tuple[str, int]:
    deadline = time.monotonic() + timeout
    text, charts, steady = "", -1, 0
    while time.monotonic() < deadline:
        text = page.evaluate("document.body ? document.body.innerText : ''") or ""
        count = int(page.evaluate("document.querySelectorAll('.vega-embed').length"))
        steady = steady + 1 if count == charts else 0
        charts = count
        ready = (
            all(needle in text for needle in wait_for)
            and charts >= min_charts
            and page.evaluate(CHARTS_DRAWN)
            and not page.evaluate(RUNNING)
        )
        if ready and steady >= 3:  # the same charts for 1.5 s: rendering is done
            return text, charts
        page.wait_for_timeout(500)
    missing = [needle for needle in wait_for if needle not in text]
    raise BrowserError(
        f"the page never showed {missing} and {min_charts} drawn charts within "
        f"{timeout:.0f} s (it had {charts}); it showed: {text[:1500]!r}"
    )
