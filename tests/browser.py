"""Debian's chromium driven by Playwright, as the browser tests use it (see STACK-NOTES: Playwright's
own browser download does not work here, so it must be pointed at /usr/bin/chromium)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"  # screenshots, kept for a look
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_launch(playwright: Any) -> Any:
    assert shutil.which(CHROMIUM), "Debian's chromium is missing: run `make system-packages`"
    ARTIFACTS.mkdir(exist_ok=True)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
