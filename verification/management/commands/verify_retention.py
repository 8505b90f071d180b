"""`manage.py verify_retention`: list anything held past its TTL; exit 1 when there is something.

Scans the object store, the database, the broker's queue and a temporary directory (see
verification/retention_scan.py). JSON on stdout, for people and for monitoring alike.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from verification.retention_scan import retention_scan

PLACES = ("bucket", "database", "broker", "tempdir")


class Command(BaseCommand):
    help = "Find raw documents and personal fields held past their TTL (bucket, database, broker, temp)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="judge as of this ISO 8601 time instead of now (time travel)")
        parser.add_argument(
            "--grace", type=int, default=0, help="seconds past expiry tolerated (a purge runs every 5 min)"
        )
        parser.add_argument("--queue", action="append", help="broker queue(s) to inspect (default: ours)")
        parser.add_argument("--tempdir", help="temporary directory to scan (default: the system's)")
        parser.add_argument(
            "--strict-tempdir",
            action="store_true",
            help="the directory is the service's own: any file in it is a finding",
        )
        parser.add_argument("--skip", action="append", choices=PLACES, default=[], help="place not to scan")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["at"]:
            parsed: datetime | None = parse_datetime(options["at"])
            if parsed is None:
                raise CommandError("--at must be an ISO 8601 date-time")
            now = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        report = retention_scan(
            now=now,
            grace=timedelta(seconds=options["grace"]),
            queues=options["queue"],
            tempdir=options["tempdir"],
            strict_tempdir=options["strict_tempdir"],
            skip=frozenset(options["skip"]),
        )
        self.stdout.write(json.dumps(report.as_dict(), indent=2))
        if not report.ok:
            raise CommandError(f"retention violated: {len(report.findings)} finding(s)", returncode=1)
