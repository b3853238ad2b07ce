"""Apply the retention policy now (the daily beat task does the same), or, with --dry-run, say
what it would do. Prints counts only, never who.

    manage.py apply_retention --dry-run
    manage.py apply_retention
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from records.services.retention import retention_apply, retention_counts

LABELS = {
    "sessions": "expired sessions",
    "email_confirmations": "expired email confirmations",
    "invitations_unused": "invitations never accepted (expired or revoked)",
    "api_tokens": "expired or revoked API tokens",
    "notification_deliveries": "finished notice deliveries",
    "notifications": "old notices",
    "records_due_for_review": "patient records past their retention period, awaiting review",
    "review_notices": "notices to admins about records awaiting review",
}


class Command(BaseCommand):
    help = "Delete short-lived data past its time and count records due for review."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count only; change nothing")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, **options) -> None:
        if options["dry_run"]:
            counts = retention_counts()
            verb = "would delete"
        else:
            counts = retention_apply(batch_size=options["batch_size"])
            verb = "deleted"
        for key, count in counts.items():
            action = "" if key in ("records_due_for_review", "review_notices") else f"{verb} "
            self.stdout.write(f"{action}{LABELS.get(key, key)}: {count}")
