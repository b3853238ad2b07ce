"""The screening log: people approached who do not take part, counted with a reason and no
identifiers; bad input refused with a clear message and nothing saved."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PeerFactory
from tests.onboarding.helpers import a_clinician
from tests.trials.helpers import a_recruiting_trial
from trials.models import ScreeningEntry

pytestmark = pytest.mark.django_db


def _post(client, **data):
    data.setdefault("screened_on", timezone.localdate().isoformat())
    return client.post(reverse("trials:screening"), data)


def test_a_clinician_logs_people_approached_and_sees_the_counts(client):
    trial = a_recruiting_trial()
    clinician = a_clinician()
    client.force_login(clinician)
    assert _post(client, outcome="declined", reason="not_ready").status_code == HTTPStatus.FOUND
    assert _post(client, outcome="declined", reason="not_ready").status_code == HTTPStatus.FOUND
    assert _post(client, outcome="ineligible", reason="capacity").status_code == HTTPStatus.FOUND
    assert _post(client, outcome="not_reached").status_code == HTTPStatus.FOUND
    assert ScreeningEntry.objects.filter(trial=trial, recorded_by=clinician).count() == 4

    page = client.get(reverse("trials:screening")).content.decode()
    assert "Declined: 2" in page
    assert "Not ready to quit: 2" in page
    assert "Could not be reached: 1" in page


def test_a_clinician_lists_only_their_own_entries_but_counts_everyones(client):
    a_recruiting_trial()
    other, me = a_clinician(), a_clinician()
    client.force_login(other)
    _post(client, outcome="ineligible", reason="no_english")
    client.force_login(me)
    page = client.get(reverse("trials:screening")).content.decode()
    assert "Not eligible: 1" in page
    assert "Needs an interpreter we cannot provide</td>" not in page


def test_the_log_has_no_place_for_a_name(client):
    a_recruiting_trial()
    client.force_login(a_clinician())
    page = client.get(reverse("trials:screening")).content.decode()
    assert 'name="name"' not in page
    assert 'name="full_name"' not in page
    assert {f.name for f in ScreeningEntry._meta.fields} >= {"outcome", "reason"}
    assert not {"name", "full_name", "email"} & {f.name for f in ScreeningEntry._meta.fields}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"outcome": "declined"}, "Choose a reason."),
        ({"outcome": "ineligible", "reason": ""}, "Choose a reason."),
        ({"outcome": "declined", "reason": "capacity"}, "does not fit the outcome"),
        ({"outcome": "not_reached", "reason": "too_busy"}, "Leave the reason empty"),
        (
            {
                "outcome": "declined",
                "reason": "too_busy",
                "screened_on": (timezone.localdate() + timedelta(days=1)).isoformat(),
            },
            "cannot be in the future",
        ),
        ({"reason": "too_busy"}, "Choose what happened."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(client, data, message):
    a_recruiting_trial()
    client.force_login(a_clinician())
    response = _post(client, **data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert not ScreeningEntry.objects.exists()


def test_peers_and_patients_cannot_use_the_log(client):
    a_recruiting_trial()
    client.force_login(PeerFactory(password=None))
    assert client.get(reverse("trials:screening")).status_code == HTTPStatus.FORBIDDEN


def test_without_a_recruiting_trial_nothing_is_logged(client):
    client.force_login(a_clinician())
    page = client.get(reverse("trials:screening"))
    assert "No study is recruiting" in page.content.decode()
    assert _post(client, outcome="not_reached").status_code == HTTPStatus.FOUND
    assert not ScreeningEntry.objects.exists()
