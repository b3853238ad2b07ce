#!/usr/bin/env python
"""Django's command-line utility for Exhale."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Load the settings first: production refuses to start without its secrets, and that is
        # said in one line, not as a traceback that ends somewhere else (AppRegistryNotReady).
        settings.INSTALLED_APPS  # noqa: B018
    except ImproperlyConfigured as exc:
        sys.exit(f"Exhale cannot start: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
