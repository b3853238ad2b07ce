"""Create demo users and history so a newcomer can log in as every role in the first minute.

Idempotent: running it again changes nothing that exists and prints the same logins. Each app
adds its own demo data in a `demo.py` module with `seed(context, stdout)`; they run in
INSTALLED_APPS order (lowest layer first) and share `context` (accounts puts the users there).
Refuses to run with DJANGO_DEBUG off unless --force: demo passwords are public.
"""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Create demo accounts (every role) with a few weeks of plausible history."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DJANGO_DEBUG off (never on a real deployment).",
        )

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with public passwords; it only runs with "
                "DJANGO_DEBUG on (or --force on a throw-away database)."
            )
        context: dict = {"logins": []}
        with transaction.atomic():
            for config in apps.get_app_configs():
                module_name = f"{config.name}.demo"
                if find_spec(config.name) and find_spec(module_name):
                    import_module(module_name).seed(context, self.stdout)
        self._print_logins(context["logins"])

    def _print_logins(self, logins: list[dict]) -> None:
        self.stdout.write(self.style.SUCCESS("\nDemo logins (password for all: see below)"))
        for login in logins:
            self.stdout.write(f"  {login['role']:<24} {login['email']}")
            if login.get("totp_secret"):
                self.stdout.write(f"  {'':<24}   TOTP secret   {login['totp_secret']}")
                self.stdout.write(f"  {'':<24}   recovery code {login['recovery_code']}")
        if logins:
            self.stdout.write(f"\n  Password: {logins[0]['password']}")
            self.stdout.write(
                "  Staff need a TOTP code: add the secret to an authenticator app, or run\n"
                "  `.venv/bin/python manage.py totp_code <email>` for the current code."
            )
