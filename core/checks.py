"""System checks: the encryption keys are usable (runs with `manage.py check`, at start-up), and
(with `--deploy`) the Content-Security-Policy is strict."""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security)
def encryption_keys_check(app_configs, **kwargs):
    from core import crypto

    try:
        crypto.decrypt(crypto.encrypt("check"))
    except (ImproperlyConfigured, crypto.DecryptionError) as exc:
        return [checks.Error(str(exc), id="core.E001", hint="See FIELD_ENCRYPTION_KEYS.")]
    return []


UNSAFE_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "*")


@checks.register(checks.Tags.security, deploy=True)
def content_security_policy_check(app_configs, **kwargs):
    """`check --deploy`: django-csp sends the policy, and nothing in it allows inline or any origin.

    Django's own deployment checks say nothing about a Content-Security-Policy; CI runs this one
    with `--fail-level WARNING`, so loosening the policy fails the build."""
    from django.conf import settings

    problems = []
    if "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE:
        problems.append(
            checks.Warning(
                "csp.middleware.CSPMiddleware is not in MIDDLEWARE: no Content-Security-Policy.",
                id="core.W002",
            )
        )
    directives = (getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}).get("DIRECTIVES", {})
    for name in ("default-src", "frame-ancestors", "object-src"):
        if not directives.get(name):
            problems.append(
                checks.Warning(
                    f"The Content-Security-Policy has no {name}.",
                    id="core.W003",
                    hint="See CONTENT_SECURITY_POLICY in config/settings.py.",
                )
            )
    for name, sources in directives.items():
        loose = [s for s in sources or () if isinstance(s, str) and s in UNSAFE_SOURCES]
        if loose:
            problems.append(
                checks.Warning(
                    f"The Content-Security-Policy's {name} allows {' '.join(loose)}.",
                    id="core.W004",
                    hint="Use the request's nonce (request.csp_nonce) on the inline block.",
                )
            )
    return problems
