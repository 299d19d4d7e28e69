"""The lab report as PDF: the HTML printed by headless Chromium, when it is installed.

Chromium is optional (``apt-get install -y chromium``): without it, or when printing fails or takes longer than the
timeout, `write_pdf` returns the reason and the HTML report stands alone.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from n2n_lib.io import atomic_write

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_S = 120.0


class PdfSkipped(Exception):
    """Why no PDF was written (no browser, a failed or slow print)."""


def find_chromium() -> str | None:
    """The path of the first Chromium-like browser on PATH, or None."""
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def _print(browser: str, html: Path, out: Path, timeout: float) -> None:
    with tempfile.TemporaryDirectory(prefix="n2n-report-chromium-") as profile:  # never the user's own profile
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PdfSkipped(f"{Path(browser).name} took more than {timeout:.0f} s") from exc
        except OSError as exc:  # not executable, vanished since `which`
            raise PdfSkipped(f"{browser} could not be started ({exc.strerror or exc})") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise PdfSkipped(f"{Path(browser).name} exited with status {done.returncode}: {last}")
    head = out.read_bytes()[:4] if out.is_file() else b""
    if head != b"%PDF":
        raise PdfSkipped(f"{Path(browser).name} wrote no PDF")


def write_pdf(html: Path, out: Path, timeout: float = TIMEOUT_S, browser: str | None = None) -> Path:
    """Print `html` to `out` (atomically) with headless Chromium; returns `out`.

    Raises PdfSkipped, with the reason, when no browser is found or printing fails; `out` is then left untouched.
    """
    browser = browser or find_chromium()
    if browser is None:
        raise PdfSkipped(f"no Chromium on PATH (looked for {', '.join(BROWSERS)}; apt-get install -y chromium)")
    return atomic_write(out, lambda tmp: _print(browser, html, tmp, timeout))
