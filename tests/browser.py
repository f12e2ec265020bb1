"""Helpers for the browser tests: Debian's Chromium driven by Playwright, the real server
(``bulkpoc serve``) on a free loopback port, axe-core, and a screenshot of every page.

scripts/test.py installs Chromium (apt) when it is missing; axe-core comes inside the
axe-playwright-python wheel (the test extra). Playwright never downloads a browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route

ROOT = Path(__file__).resolve().parent.parent
AXE = Path(str(files("axe_playwright_python") / "axe.min.js"))
AXE_PATH = "/__axe__/axe.min.js"  # served by the test browser itself, never by the app
SERIOUS = ("serious", "critical")
SERVER_START_SECONDS = 120  # against a hung server: a busy machine may take 30 s to import
VIEWPORT = {"width": 1280, "height": 800}


def launch_chromium(playwright: Playwright) -> Browser:
    """Headless Debian Chromium; root (as in CI) cannot use Chromium's sandbox."""
    chromium = shutil.which("chromium")
    assert chromium, "Chromium is not on PATH: apt-get install chromium (scripts/test.py does)"
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    return playwright.chromium.launch(executable_path=chromium, headless=True, args=args)


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    folder: Path  # its reports, outbox and log


@contextmanager
def running_server(database_url: str, folder: Path, port: int | None = None) -> Iterator[Server]:
    """``bulkpoc serve`` on ``database_url`` as its own process in ``folder`` (where a
    relative SQLite path starts), on ``port`` (default: a free one), until the block ends."""
    port = port or free_port()
    env = os.environ | {
        "BULKPOC_REPORT_DIR": str(folder / "reports"),
        "BULKPOC_OUTBOX_DIR": str(folder / "outbox"),
        # This checkout's bulkpoc, whatever the folder the server runs in.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "bulkpoc", "--db", database_url, "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    log = folder / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_until_it_answers(url, process, log)
        yield Server(url, folder)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_it_answers(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"bulkpoc serve exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise AssertionError(f"bulkpoc serve did not answer at {url}:\n{log.read_text()}")


# --- pages ---------------------------------------------------------------------------------


def new_context(browser: Browser, server: Server) -> BrowserContext:
    """A fresh browser profile on the server. The page's CSP stays in force (so an inline
    script or style would fail here as in any browser); axe-core reaches the page as a script
    from the page's own origin, which the browser answers from the axe-playwright-python wheel."""
    context = browser.new_context(base_url=server.url, viewport=VIEWPORT, accept_downloads=True)
    context.route(f"{server.url}{AXE_PATH}", _serve_axe)
    return context


def _serve_axe(route: Route) -> None:
    route.fulfill(path=AXE, content_type="text/javascript")


def watch_csp(page: Page) -> list[str]:
    """The page's Content Security Policy violations, as the browser reports them."""
    refused: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", on_console)
    return refused


def axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(url=AXE_PATH)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [violation for violation in results["violations"] if violation["impact"] in SERIOUS]


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation and element, for an assertion message a person can act on."""
    return "\n".join(
        f"{violation['id']} ({violation['impact']}): {violation['help']} at {node['target']}"
        for violation in violations
        for node in violation["nodes"]
    )


@dataclass
class Visits:
    """Saves a full-page screenshot of every page a test visits, numbered in visiting order,
    and checks each with axe-core."""

    folder: Path
    count: int = 0

    def screenshot(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    def check(self, page: Page, name: str) -> Path:
        """Screenshot the page, then assert axe-core finds nothing serious on it."""
        path = self.screenshot(page, name)
        violations = axe(page)
        assert not violations, f"axe-core on {name} ({page.url}):\n{describe(violations)}"
        return path
