"""`manage.py purge_expired [--at ISO] [--records] [--orphans]`: run the retention jobs now.

The beat schedule runs the same jobs (config/settings/broker.py); this is for operators and tests.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from verification.services.retention import documents_purge_expired, orphans_sweep, records_purge_expired


class Command(BaseCommand):
    help = "Purge expired documents (and, if asked, orphaned objects and records past retention)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="act as of this ISO 8601 time instead of now")
        parser.add_argument("--orphans", action="store_true", help="also sweep objects without a row")
        parser.add_argument("--records", action="store_true", help="also delete records past retention")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["at"]:
            parsed = parse_datetime(options["at"])
            if parsed is None:
                raise CommandError("--at must be an ISO 8601 date-time")
            now = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        result: dict[str, int] = {"documents": documents_purge_expired(now=now)}
        if options["orphans"]:
            result["orphans"] = orphans_sweep(now=now)
        if options["records"]:
            result["records"] = records_purge_expired(now=now)
        self.stdout.write(json.dumps(result))
