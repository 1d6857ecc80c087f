"""A minimal W3C WebDriver client for Debian's chromium + chromedriver (no selenium or playwright needed)."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            return f"needs Debian's chromium and chromium-driver ({path} is missing)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebDriverError(RuntimeError):
    """chromedriver refused a command; the message is its error."""


class Browser:
    """One headless chromium session driven through chromedriver's HTTP API."""

    def __init__(self, base_url: str, *, width: int = 1280, height: int = 1000) -> None:
        self.base_url = base_url.rstrip("/")
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="dataabs-e2e-")
        self.driver = subprocess.Popen(  # noqa: S603 - fixed binary path, no shell
            [CHROMEDRIVER, f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_for_driver()
        options = {
            "binary": CHROMIUM,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
            ],
        }
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": options,
                    # Keeps the console (CSP violations included) for console_messages().
                    "goog:loggingPrefs": {"browser": "ALL"},
                }
            }
        }
        self.session = self._call("POST", "/session", caps)["sessionId"]

    def _wait_for_driver(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                self._call("GET", "/status")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise WebDriverError("chromedriver did not start")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - local chromedriver only
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as exc:
            raise WebDriverError(exc.read().decode(errors="replace")[:500]) from exc

    def _session(self, method: str, path: str, body: Any = None) -> Any:
        return self._call(method, f"/session/{self.session}{path}", body)

    def go(self, path: str) -> None:
        """Open a page of the server under test."""
        self._session("POST", "/url", {"url": self.base_url + path})

    def element(self, css: str) -> str:
        found = self._session("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(found.values()))

    def fill(self, css: str, text: str) -> None:
        self._session("POST", f"/element/{self.element(css)}/value", {"text": text})

    def click(self, css: str) -> None:
        self._session("POST", f"/element/{self.element(css)}/click", {})

    def run(self, script: str, *args: Any) -> Any:
        """Run JavaScript in the page and return its result."""
        return self._session("POST", "/execute/sync", {"script": script, "args": list(args)})

    def text(self, css: str = "body") -> str:
        return self._session("GET", f"/element/{self.element(css)}/text")

    def path(self) -> str:
        return self.run("return location.pathname + location.search")

    def wait_for(self, script: str, *, timeout: float = 10) -> bool:
        """Poll a JavaScript expression until it is truthy; returns True."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.run(f"return !!({script});")
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for: {script}")

    def console_messages(self) -> list[str]:
        """The browser console's messages since the last call (chromedriver's log endpoint)."""
        entries = self._session("POST", "/se/log", {"type": "browser"})
        return [entry["message"] for entry in entries]

    def screenshot(self, path: str) -> None:
        with open(path, "wb") as out:
            out.write(base64.b64decode(self._session("GET", "/screenshot")))

    def close(self) -> None:
        try:
            self._session("DELETE", "")
        except WebDriverError:
            pass
        finally:
            self.driver.terminate()
            self.driver.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)
