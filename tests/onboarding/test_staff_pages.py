"""The care team's view of onboarding: the caseload column (where each patient stopped), the
peer specialist's list, the section on a patient's page, the overview, and reminders to carry on
(at most one a day, never for a finished journey, audited)."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Notification
from onboarding import services
from onboarding.models import Consent, Journey
from tests.factories import PatientFactory
from tests.onboarding.helpers import a_clinician, a_new_patient, a_peer, all_done, at_step

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    """What a reader sees: tags dropped, whitespace folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _caseload_cell(html: str, patient) -> str:
    """The onboarding cell of the patient's row in the caseload table."""
    detail = reverse("accounts:patient_detail", args=[patient.pk])
    row = next(row for row in html.split("<tr>") if f'href="{detail}"' in row)
    cell = re.search(r'<td data-label="Onboarding">(.*?)</td>', row, re.S)
    return _text(cell.group(1))


@pytest.fixture
def caseload():
    """A clinician's and a peer specialist's patients at every point of onboarding."""
    clinician, peer = a_clinician(), a_peer(mfa=True)

    def patient(name):
        return a_new_patient(clinician=clinician, peer=peer, full_name=name)

    patients = {
        "new": patient("Ann New"),
        "quit_plan": at_step(patient("Ben Halfway"), "quit_plan"),
        "finished": all_done(patient("Cat Done")),
        "later": at_step(patient("Dan Later"), "groups"),
        "before": PatientFactory(
            password=None, profile=clinician, profile__peer_specialist=peer, full_name="Eve Early"
        ),
    }
    services.step_skip(patient=patients["later"], step="groups", by=patients["later"])
    return clinician, peer, patients


def test_the_caseload_shows_where_each_patient_stopped(client, caseload):
    clinician, _peer, patients = caseload
    client.force_login(clinician)

    page = client.get(reverse("accounts:clinician_home"))

    assert page.status_code == HTTPStatus.OK
    assert '<th scope="col">Onboarding</th>' in page.text
    cells = {key: _caseload_cell(page.text, patient) for key, patient in patients.items()}
    assert cells == {
        "new": "0 of 8: stopped at Welcome",
        "quit_plan": "5 of 8: stopped at Quit plan",
        "finished": "Finished",
        "later": "8 of 8: left for later Safety plan",
        "before": "—",
    }
    overview = reverse("onboarding:staff_overview", args=[patients["quit_plan"].pk])
    assert f'href="{overview}"' in page.text


def test_the_peer_specialists_list_shows_it_too(client, caseload):
    _clinician, peer, _patients = caseload
    client.force_login(peer)

    page = _text(client.get(reverse("accounts:peer_home")).text)

    assert "Ben 5 of 8: stopped at Quit plan" in page
    assert "Ann 0 of 8: stopped at Welcome" in page
    assert "Cat Finished" in page


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("quit_plan", "5 of 8 steps done or left for later. Stopped at “Quit plan”"),
        ("finished", "Finished on {today}."),
        ("before", "Joined before onboarding was part of Exhale."),
    ],
)
def test_the_patients_page_has_an_onboarding_section(client, caseload, key, shown):
    clinician, _peer, patients = caseload
    patient = patients[key]
    client.force_login(clinician)

    page = client.get(reverse("accounts:patient_detail", args=[patient.pk]))

    assert page.status_code == HTTPStatus.OK
    text = _text(page.text)
    assert "Onboarding" in text
    assert shown.format(today=f"{timezone.localdate():%-d %b %Y}") in text
    assert reverse("onboarding:staff_overview", args=[patient.pk]) in page.text


def test_the_overview_shows_each_step_and_where_the_patient_stopped(client, caseload):
    clinician, _peer, patients = caseload
    client.force_login(clinician)

    page = client.get(reverse("onboarding:staff_overview", args=[patients["quit_plan"].pk]))

    assert page.status_code == HTTPStatus.OK
    text = _text(page.text)
    assert "5. Safety plan Left for later" in text
    assert "6. Quit plan Stopped here" in text
    assert "7. A tour of Exhale Not yet" in text
    assert "Send a reminder to carry on" in text
    assert "Start assisting" in text


def test_there_is_no_reminder_to_send_once_everything_is_done(client, caseload):
    clinician, _peer, patients = caseload
    client.force_login(clinician)

    page = client.get(reverse("onboarding:staff_overview", args=[patients["finished"].pk]))

    assert "Send a reminder to carry on" not in page.text


# --- Reminders -----------------------------------------------------------------------------------


def _remind(client, patient, **kwargs):
    return client.post(
        reverse("onboarding:staff_reminder", args=[patient.pk]), follow=True, **kwargs
    )


def test_a_reminder_reaches_the_patient_with_a_way_back_to_their_onboarding(client):
    clinician = a_clinician()
    patient = at_step(a_new_patient(clinician=clinician), "quit_plan")
    client.force_login(clinician)

    response = _remind(client, patient)

    assert response.redirect_chain[-1][0] == reverse("onboarding:staff_overview", args=[patient.pk])
    assert "Reminder sent, by notice and email." in response.text
    notice = Notification.objects.get(recipient=patient)
    assert notice.kind == "onboarding.reminder"
    assert notice.url == reverse("onboarding:start") == "/welcome/"
    assert notice.title == "Carry on setting up Exhale"
    assert "Next: Quit plan (step 6 of 8)." in notice.body
    journey = Journey.objects.get(patient=patient)
    assert journey.reminder_sent_at is not None
    assert journey.reminders_sent == 1
    audit = AuditEvent.objects.get(action="onboarding.reminder_sent")
    assert (audit.actor_id, audit.subject_id) == (clinician.pk, patient.pk)
    assert audit.detail == {"step": "quit_plan"}
    assert "1 reminder sent, the last on" in response.text


def test_a_second_reminder_within_the_interval_is_refused(client, settings):
    settings.ONBOARDING_REMINDER_INTERVAL_HOURS = 12
    clinician = a_clinician()
    patient = a_new_patient(clinician=clinician)
    client.force_login(clinician)
    _remind(client, patient)

    response = _remind(client, patient)

    assert "A reminder was sent less than 12 hours ago. Please wait before sending another." in (
        response.text
    )
    assert Notification.objects.filter(recipient=patient).count() == 1
    assert Journey.objects.get(patient=patient).reminders_sent == 1
    assert AuditEvent.objects.filter(action="onboarding.reminder_sent").count() == 1

    Journey.objects.filter(patient=patient).update(
        reminder_sent_at=timezone.now() - timedelta(hours=12, minutes=1)
    )
    _remind(client, patient)

    assert Notification.objects.filter(recipient=patient).count() == 2
    assert Journey.objects.get(patient=patient).reminders_sent == 2


def test_a_peer_specialist_may_remind_their_patient(client):
    peer = a_peer(mfa=True)
    patient = a_new_patient(peer=peer)
    client.force_login(peer)

    response = _remind(client, patient)

    assert "Reminder sent" in response.text
    assert Notification.objects.get(recipient=patient).kind == "onboarding.reminder"


def test_no_reminder_for_a_finished_journey(client):
    clinician = a_clinician()
    patient = all_done(a_new_patient(clinician=clinician))
    client.force_login(clinician)

    response = _remind(client, patient)

    assert "This patient has finished onboarding." in response.text
    assert not Notification.objects.filter(recipient=patient).exists()
    assert Journey.objects.get(patient=patient).reminders_sent == 0
    assert not AuditEvent.objects.filter(action="onboarding.reminder_sent").exists()


def test_no_reminder_for_a_patient_who_withdrew(client):
    """Withdrawing stops reminders (the patient and their clinician are told so): no notice
    asking them to carry on to "Your agreement"."""
    clinician = a_clinician()
    patient = at_step(a_new_patient(clinician=clinician), "about_you")
    services.consent_withdraw(
        patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, reason="too_much"
    )
    client.force_login(clinician)
    overview = client.get(reverse("onboarding:staff_overview", args=[patient.pk]))
    assert "Send a reminder to carry on" not in overview.text

    response = _remind(client, patient)

    assert "This patient has withdrawn from the programme: reminders have stopped." in (
        response.text
    )
    assert not Notification.objects.filter(recipient=patient).exists()
    assert Journey.objects.get(patient=patient).reminders_sent == 0
    assert not AuditEvent.objects.filter(action="onboarding.reminder_sent").exists()


def test_no_reminder_for_a_patient_who_joined_before_onboarding(client):
    clinician = a_clinician()
    patient = PatientFactory(password=None, profile=clinician)
    client.force_login(clinician)

    response = _remind(client, patient)

    assert "This patient has no onboarding to finish." in response.text
    assert not Notification.objects.filter(recipient=patient).exists()


def test_a_reminder_for_steps_left_for_later_says_so(client):
    """The overview offers a reminder while a step is left for later (the safety plan, say),
    and the reminder says what it is for."""
    clinician = a_clinician()
    patient = at_step(a_new_patient(clinician=clinician), "groups")
    services.step_skip(patient=patient, step="groups", by=patient)
    client.force_login(clinician)
    overview = client.get(reverse("onboarding:staff_overview", args=[patient.pk]))
    assert "Send a reminder to carry on" in overview.text

    response = _remind(client, patient)

    assert "Reminder sent, by notice and email." in response.text
    notice = Notification.objects.get(recipient=patient, kind="onboarding.reminder")
    assert "You left some steps for later." in notice.body
    assert AuditEvent.objects.get(action="onboarding.reminder_sent").detail == {"step": ""}
