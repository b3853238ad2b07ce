"""Print the current TOTP code of a demo account (DJANGO_DEBUG only), for newcomers without an
authenticator app. Real accounts' secrets are never printed."""

from __future__ import annotations

import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_SUFFIX = "@exhale.demo"


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo account (only with DJANGO_DEBUG on)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        if not settings.DEBUG or not email.lower().endswith(DEMO_SUFFIX):
            raise CommandError(f"Only for demo accounts ({DEMO_SUFFIX}) with DJANGO_DEBUG on.")
        user = get_user_model().objects.filter(email=email.lower()).first()
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is None:
            raise CommandError("No such demo account with TOTP; run seed_demo first.")
        period = 30
        counter = int(time.time()) // period
        code = format_hotp_value(hotp_value(decrypt(totp.data["secret"]), counter))
        remaining = period - int(time.time()) % period
        self.stdout.write(f"{code}  (valid for {remaining} more seconds)")
