"""`manage.py configure_bucket_lifecycle [--dry-run]`: the S3 lifecycle rule behind the purge.

The purge deletes documents at their TTL; this rule is the backstop should it ever stop: the
bucket itself expires every object a day after the longest possible document life (30 days),
removes non-current versions (a versioned bucket keeps deleted objects as such) and abandoned
multipart uploads. Rules of other owners on the bucket are kept; ours is replaced by its ID.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from verification.retention import MAX_DOCUMENT_AGE_SECONDS
from verification.services.documents import document_storage

RULE_ID = "tasdeeq-documents-backstop"


def lifecycle_rule(*, days: int) -> dict[str, Any]:
    return {
        "ID": RULE_ID,
        "Filter": {"Prefix": ""},
        "Status": "Enabled",
        "Expiration": {"Days": days},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }


class Command(BaseCommand):
    help = "Put the lifecycle rule that expires documents in the bucket even if the purge stops."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=MAX_DOCUMENT_AGE_SECONDS // 86400 + 1,
            help="expire objects this many days after creation (default: 31)",
        )
        parser.add_argument("--dry-run", action="store_true", help="print the configuration only")

    def handle(self, *args: Any, days: int, dry_run: bool, **options: Any) -> None:
        bucket = getattr(document_storage(), "bucket", None)
        if bucket is None:
            raise CommandError("DOCUMENT_STORAGE is not s3: there is no bucket to configure.")
        if days < 1:
            raise CommandError("--days must be at least 1")
        client = bucket.meta.client
        try:
            current = client.get_bucket_lifecycle_configuration(Bucket=bucket.name).get("Rules", [])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchLifecycleConfiguration":
                raise
            current = []
        rules = [rule for rule in current if rule.get("ID") != RULE_ID] + [lifecycle_rule(days=days)]
        configuration = {"Rules": rules}
        if not dry_run:
            client.put_bucket_lifecycle_configuration(
                Bucket=bucket.name, LifecycleConfiguration=configuration
            )
        self.stdout.write(
            json.dumps({"bucket": bucket.name, "applied": not dry_run, **configuration}, indent=2)
        )
