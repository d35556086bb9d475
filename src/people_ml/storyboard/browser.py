"""Serve the storyboard, and look at it with a real headless Chromium.

:func:`serve` runs ``streamlit run`` on a free local port until the ``with``
block ends. :func:`capture` opens a page in headless Chromium (Debian's
``chromium``), driven over the Chrome DevTools Protocol with the ``websockets``
package Streamlit already needs, waits until given texts are on the page and
every chart has drawn, and saves a PNG screenshot. Used by
``people-ml storyboard --screenshot`` and by the browser test.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from base64 import b64decode
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.exceptions import WebSocketException

from people_ml.storyboard import APP_PATH, PAGES

# Chromium flags for a closed network: without the background-networking ones
# it keeps trying to reach Google's hosts.
CHROMIUM_FLAGS = (
    "--headless",
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


class BrowserError(RuntimeError):
    """Chromium or the storyboard server could not do what was asked."""


@dataclass(frozen=True)
class PageCapture:
    """What the browser saw: the page's text and where the screenshot went."""

    url: str
    text: str
    screenshot: Path
    chart_count: int


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


def free_port() -> int:
    """A TCP port that nothing on this machine listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
    if _answers(f"{url}/_stcore/health"):
        raise BrowserError(f"port {port} is taken by another server: pick another")
    with contextlib.ExitStack() as stack:
        output = (
            stack.enter_context(log.open("w"))
            if log is not None
            else subprocess.DEVNULL
        )
        server = subprocess.Popen(
            streamlit_command(port),
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_for_http(f"{url}/_stcore/health", server, timeout)
            yield url
        finally:
            _stop(server)


def capture(
    url: str,
    screenshot: Path,
    *,
    wait_for: Sequence[str] = (),
    min_charts: int = 1,
    timeout: float = 90.0,
    width: int = 1440,
    height: int = 1600,
) -> PageCapture:
    """Load ``url`` in headless Chromium and save a PNG of it.

    Waits until every string of ``wait_for`` is in the page's text, at least
    ``min_charts`` charts are on it, every chart has drawn and their number
    has stopped changing; then takes the screenshot.

    Raises
    ------
    BrowserError
        When Chromium does not start, or the texts do not appear within
        ``timeout`` seconds (the message quotes what the page did show).
    """
    chromium = find_chromium()
    with tempfile.TemporaryDirectory(
        prefix="people-ml-chromium-", ignore_cleanup_errors=True
    ) as profile:
        browser = subprocess.Popen(
            [
                str(chromium),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helper processes go with it
        )
        try:
            port = _devtools_port(Path(profile), browser, timeout=30)
            with _DevTools.open_page(port) as page:
                page.call("Page.enable")
                page.call(  # the viewport exactly, whatever the window adds
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=height,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                page.call("Page.navigate", url=url)
                text, charts = _wait_for_page(page, wait_for, min_charts, timeout)
                shot = page.call("Page.captureScreenshot", format="png")
        except (OSError, ValueError, WebSocketException) as error:
            # urllib, socket timeouts, JSON and websocket errors: one message
            raise BrowserError(f"talking to Chromium failed: {error!r}") from error
        finally:
            _stop(browser)
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.write_bytes(b64decode(shot["data"]))
    return PageCapture(url=url, text=text, screenshot=screenshot, chart_count=charts)


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


def _answers(url: str) -> bool:
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
        if _answers(url):
            return
        time.sleep(0.25)
    raise BrowserError(f"{url} did not answer within {timeout:.0f} s")


def _devtools_port(
    profile: Path, browser: subprocess.Popen[Any], timeout: float
) -> int:
    """Chromium writes the port it picked into ``DevToolsActivePort``."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if browser.poll() is not None:
            raise BrowserError(f"Chromium exited with code {browser.returncode}")
        if marker.is_file():
            first_line = marker.read_text().split("\n", 1)[0].strip()
            if first_line.isdigit():
                return int(first_line)
        time.sleep(0.1)
    raise BrowserError(f"Chromium opened no DevTools port within {timeout:.0f} s")


def _wait_for_page(
    page: _DevTools, wait_for: Sequence[str], min_charts: int, timeout: float
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
        )
        if ready and steady >= 3:  # the same charts for 1.5 s: rendering is done
            return text, charts
        time.sleep(0.5)
    missing = [needle for needle in wait_for if needle not in text]
    raise BrowserError(
        f"the page never showed {missing} and {min_charts} drawn charts within "
        f"{timeout:.0f} s (it had {charts}); it showed: {text[:1500]!r}"
    )


class _DevTools:
    """A minimal Chrome DevTools Protocol client for one page."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._ids = itertools.count(1)

    @classmethod
    @contextlib.contextmanager
    def open_page(cls, port: int) -> Iterator[_DevTools]:
        from websockets.sync.client import connect  # Streamlit's dependency

        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/json/list", timeout=10
        ) as reply:
            targets = json.load(reply)
        pages = [target for target in targets if target.get("type") == "page"]
        if not pages:
            raise BrowserError("Chromium has no page to drive")
        with connect(
            pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=30
        ) as connection:
            yield cls(connection)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        self._connection.send(
            json.dumps({"id": message_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self._connection.recv(timeout=60))
            if message.get("id") != message_id:
                continue  # an event, not our answer
            if "error" in message:
                raise BrowserError(f"{method} failed: {message['error']}")
            return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")
