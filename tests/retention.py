"""Run `manage.py verify_retention` as monitoring would, and read its JSON report."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

from django.core.management import CommandError, call_command


def verify_retention(
    *, at: datetime | None = None, args: tuple[str, ...] = ("--skip", "tempdir")
) -> dict[str, Any]:
    """The report, with "exit" set to the command's exit code (0 clean, 1 findings)."""
    out = io.StringIO()
    argv = [*args, *(["--at", at.isoformat()] if at else [])]
    try:
        call_command("verify_retention", *argv, stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    report: dict[str, Any] = json.loads(out.getvalue())
    report["exit"] = code
    return report


def kinds(report: dict[str, Any]) -> set[str]:
    return {finding["kind"] for finding in report["findings"]}
