"""Write a trial's whole export into a folder: every dataset (CSV, JSON or both), the data
dictionary and the README, streamed to the files with flat memory, and written to the audit log
as an export by the named admin (who) for the named purpose (why) before anything is written.

    manage.py export_trial --trial exhale-ft --out /secure/exports/2025-06 \\
        --purpose final_analysis --by trial.manager@example.org
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from trials.exports import files
from trials.exports.services import PURPOSE_CODES, export_record, purpose_label
from trials.models import Trial


class Command(BaseCommand):
    help = "Export a trial's pseudonymised datasets, data dictionary and README into a folder."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--trial", required=True, help="the trial's short name (slug)")
        parser.add_argument("--out", required=True, help="folder to write into (made if needed)")
        parser.add_argument(
            "--purpose", required=True, choices=sorted(PURPOSE_CODES), help="why (audited)"
        )
        parser.add_argument("--format", choices=("csv", "json", "both"), default="both")
        parser.add_argument(
            "--by", required=True, help="email of the admin exporting (audited as the actor)"
        )

    def handle(self, *args, **options) -> None:
        trial = Trial.objects.filter(slug=options["trial"]).first()
        if trial is None:
            raise CommandError(f"No trial with the short name {options['trial']!r}.")
        by = User.objects.filter(email__iexact=options["by"], is_active=True).first()
        if by is None:
            raise CommandError("No active account with that email.")
        try:
            export_record(
                trial=trial,
                by=by,
                what="all",
                fmt=options["format"],
                purpose=options["purpose"],
                via="command",
            )
        except PermissionDenied as error:
            raise CommandError("Only trial managers (admins) export trial data.") from error
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        out = Path(options["out"])
        counts = files.export_to_dir(
            trial,
            out,
            formats=files.formats_of(options["format"]),
            purpose_label=purpose_label(options["purpose"]),
        )
        for name, rows in counts.items():
            self.stdout.write(f"{name}: {rows} rows")
        self.stdout.write(
            f"{files.DICTIONARY_NAME} and {files.README_NAME} written; export in {out}"
        )
