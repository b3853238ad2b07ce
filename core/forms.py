"""Form helpers every app's views use."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


def apply_form_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when it names one the form
    has, otherwise at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class WidgetRenderer(BaseRenderer):
    """Draws form widgets with Jinja2's copies of Django's own widget templates (the same markup,
    kept by Django beside the Django-template ones) and falls back to Django's template engine
    for a template only that has: the admin's widgets, a package's own. The check-in's eleven-
    point scales and tick boxes cost about half of its view in Django's template language
    (docs/performance.md, "Pages"). FORM_RENDERER in config/settings.py."""

    def __init__(self) -> None:
        self._jinja2 = Jinja2()
        self._django = DjangoTemplates()

    def get_template(self, template_name: str):
        try:
            return self._jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
