"""Write one person's data (UK GDPR Article 15) into a ZIP, audited as an export by the named
admin, for the named purpose, before anything is written.

    manage.py subject_access_export --user 42 --out /secure/sar-42.zip \\
        --by dpo@example.org --purpose subject_request
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from records.services.subject_access import (
    PURPOSE_CODES,
    subject_access_record,
    subject_access_write,
)


class Command(BaseCommand):
    help = "Export one person's data as a ZIP of JSON files with a README (subject access)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, type=int, help="the person's account id")
        parser.add_argument("--out", required=True, help="the ZIP file to write")
        parser.add_argument(
            "--by", required=True, help="email of the admin exporting (audited as the actor)"
        )
        parser.add_argument(
            "--purpose", choices=sorted(PURPOSE_CODES), default="subject_request", help="why"
        )

    def handle(self, *args, **options) -> None:
        person = User.objects.filter(pk=options["user"]).first()
        if person is None:
            raise CommandError("No account with that id.")
        by = User.objects.filter(email__iexact=options["by"], is_active=True).first()
        if by is None:
            raise CommandError("No active account with that email.")
        out = Path(options["out"])
        if out.exists():
            raise CommandError("The output file exists already; choose another name.")
        try:
            subject_access_record(person=person, by=by, purpose=options["purpose"], via="command")
        except PermissionDenied as error:
            raise CommandError("Only admins produce a subject-access export.") from error
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("xb") as handle:
            counts = subject_access_write(person=person, out=handle)
        out.chmod(0o600)
        self.stdout.write(f"{sum(counts.values())} entries in {len(counts)} files written to {out}")
