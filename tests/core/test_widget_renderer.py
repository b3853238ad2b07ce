"""Form widgets drawn by Jinja2 (core.forms.WidgetRenderer): the same markup as Django's own
template renderer for every kind of widget the product's forms use, and Django's templates for
the widgets only they have (the admin's)."""

from __future__ import annotations

import html
import re

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.forms.renderers import DjangoTemplates
from django.template.backends.jinja2 import Template as Jinja2Template

from cessation.forms import CheckInForm, CravingForm
from core.forms import WidgetRenderer


def _same(markup: str) -> str:
    # One apostrophe, two spellings (&#x27; from Django, &#39; from Jinja2), and runs of white
    # space a browser draws as one: the same HTML.
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html.unescape(markup))).strip()


class EveryWidget(forms.Form):
    text = forms.CharField(label="Name", max_length=20, help_text="As you like to be called.")
    number = forms.IntegerField(min_value=0)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    choice = forms.ChoiceField(choices=[("a", "A & B"), ("b", "<b>")])
    radio = forms.ChoiceField(choices=[("x", "It's x"), ("y", "Y")], widget=forms.RadioSelect)
    ticks = forms.MultipleChoiceField(
        choices=[("p", "Patch"), ("g", "Gum")], widget=forms.CheckboxSelectMultiple
    )
    agree = forms.BooleanField()
    secret = forms.CharField(widget=forms.HiddenInput)


def test_the_product_renders_widgets_with_jinja2():
    assert settings.FORM_RENDERER == "core.forms.WidgetRenderer"
    template = WidgetRenderer().get_template("django/forms/widgets/radio.html")
    assert isinstance(template, Jinja2Template)


def test_every_widget_is_drawn_as_djangos_templates_draw_it_empty_bound_and_invalid():
    cases = [
        {},
        {"text": "Robin", "radio": "x", "ticks": ["g"], "agree": "on", "choice": "b"},
        {"number": "-1", "ticks": ["nope"], "day": "not a day"},
    ]
    for form_class in (EveryWidget, CheckInForm, CravingForm):
        for data in [None, *cases]:
            django_form = form_class(data, renderer=DjangoTemplates())
            jinja2_form = form_class(data, renderer=WidgetRenderer())
            if data is not None:
                django_form.is_valid(), jinja2_form.is_valid()
            for name in django_form.fields:
                assert _same(str(jinja2_form[name])) == _same(str(django_form[name])), name
            assert _same(jinja2_form.as_div()) == _same(django_form.as_div())


def test_a_scale_is_eleven_labelled_radio_buttons_that_escape_their_labels():
    form = EveryWidget(renderer=WidgetRenderer())
    radio = str(form["radio"])
    assert '<label for="id_radio_0"><input type="radio" name="radio" value="x"' in radio
    assert "It&#39;s x</label>" in radio  # escaped
    assert str(CheckInForm(renderer=WidgetRenderer())["craving"]).count('type="radio"') == 11
    assert "&lt;b&gt;" in str(form["choice"])


def test_a_widget_only_djangos_templates_have_is_still_drawn():
    template = WidgetRenderer().get_template(RelatedFieldWidgetWrapper.template_name)
    assert not isinstance(template, Jinja2Template)
