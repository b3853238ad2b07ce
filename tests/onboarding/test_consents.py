"""Consent: to the exact words read, never twice, replaced by agreeing to newer words, given and
withdrawn by the patient only; withdrawing from the account pages closes the programme again and
tells the clinician, agreeing again reopens it."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import PatientProfile
from core.exceptions import StateConflict
from core.models import AuditEvent, Notification
from onboarding import services
from onboarding.models import Consent, ContentVersion, StepRecord
from onboarding.selectors import content_current
from tests.factories import PatientFactory
from tests.onboarding.helpers import (
    a_clinician,
    a_new_patient,
    a_version_published,
    at_step,
    consent_version,
    through_consent,
)

pytestmark = pytest.mark.django_db

CONSENT_KEY = ContentVersion.Key.CONSENT_PROGRAMME


def _consent_step(patient) -> StepRecord:
    return StepRecord.objects.get(journey__patient=patient, step="consent")


def _status(patient) -> str:
    return PatientProfile.objects.get(user=patient).programme_status


# --- Giving consent -------------------------------------------------------------------------------


def test_consent_names_the_exact_version_agreed_to_and_when():
    patient = at_step(a_new_patient(), "consent")
    version_1 = content_current(key=CONSENT_KEY)
    before = timezone.now()

    consent = services.consent_give(
        patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, version=1
    )

    consent.refresh_from_db()
    assert consent.text == version_1
    assert consent.text.version == 1
    assert before <= consent.given_at <= timezone.now()
    assert consent.withdrawn_at is None
    assert _consent_step(patient).completed_at is not None
    audit = AuditEvent.objects.get(action="consent.given", subject=patient)
    assert audit.detail == {"kind": "programme", "version": 1}


def test_the_form_answered_on_words_since_replaced_shows_the_new_words_and_saves_nothing(client):
    patient = at_step(a_new_patient(), "consent")
    client.force_login(patient)
    page = client.get(reverse("onboarding:consent"))
    assert 'name="version" value="1"' in page.text
    a_version_published(
        title="Taking part, the words as changed",
        body="# [check] What you agree to\nYou agree to the changed words.",
    )

    response = client.post(reverse("onboarding:consent"), {"version": "1", "agree": "on"})

    assert response.status_code == HTTPStatus.CONFLICT
    assert "The words below changed while this page was open." in response.text
    assert "Taking part, the words as changed" in response.text
    assert "You agree to the changed words." in response.text
    assert 'name="version" value="2"' in response.text
    assert not Consent.objects.filter(patient=patient).exists()
    assert _consent_step(patient).completed_at is None

    response = client.post(reverse("onboarding:consent"), {"version": "2", "agree": "on"})

    assert response.url == reverse("onboarding:about_you")
    assert Consent.objects.get(patient=patient).text.version == 2


def test_the_same_form_sent_twice_gives_one_consent(client):
    patient = at_step(a_new_patient(), "consent")
    client.force_login(patient)
    form = {"version": str(consent_version()), "agree": "on"}

    first = client.post(reverse("onboarding:consent"), form)
    second = client.post(reverse("onboarding:consent"), form)

    assert first.status_code == second.status_code == HTTPStatus.FOUND
    consent = Consent.objects.get(patient=patient)
    assert consent.is_active
    assert AuditEvent.objects.filter(action="consent.given").count() == 1
    assert _consent_step(patient).times_completed == 1


def test_consent_without_ticking_the_box_is_not_given(client):
    patient = at_step(a_new_patient(), "consent")
    client.force_login(patient)

    response = client.post(reverse("onboarding:consent"), {"version": "1"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Tick the box to say you agree" in response.text
    assert not Consent.objects.filter(patient=patient).exists()


def test_agreeing_to_newer_words_closes_the_consent_to_the_old_ones():
    patient = a_new_patient()
    through_consent(patient)
    old = Consent.objects.get(patient=patient)
    a_version_published()

    new = services.consent_give(patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, version=2)

    old.refresh_from_db()
    assert old.withdrawn_at == new.given_at
    assert old.withdrawal_reason == Consent.WithdrawalReason.SUPERSEDED
    assert old.text.version == 1
    assert new.text.version == 2
    assert new.is_active
    assert Consent.objects.filter(patient=patient, withdrawn_at__isnull=True).get() == new
    assert _status(patient) == PatientProfile.ProgrammeStatus.ACTIVE


def test_only_the_patient_gives_or_withdraws_their_consent():
    clinician = a_clinician()
    patient = at_step(a_new_patient(clinician=clinician), "consent")
    someone_else = a_new_patient()

    for by in (clinician, someone_else):
        with pytest.raises(PermissionDenied):
            services.consent_give(
                patient=patient, by=by, kind=Consent.Kind.PROGRAMME, version=consent_version()
            )
    assert not Consent.objects.filter(patient=patient).exists()

    services.consent_give(
        patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, version=consent_version()
    )
    with pytest.raises(PermissionDenied):
        services.consent_withdraw(
            patient=patient, by=clinician, kind=Consent.Kind.PROGRAMME, reason="other"
        )
    assert Consent.objects.get(patient=patient).is_active
    assert _status(patient) == PatientProfile.ProgrammeStatus.ACTIVE


def test_the_consent_pages_are_the_patients_own(client):
    clinician = a_clinician()
    patient = a_new_patient(clinician=clinician)
    through_consent(patient)
    client.force_login(clinician)

    for name in ("consents", "consent_withdraw", "consent_again"):
        args = [] if name == "consents" else ["programme"]
        response = client.get(reverse(f"onboarding:{name}", args=args))
        assert response.status_code == HTTPStatus.FORBIDDEN, name
    response = client.post(
        reverse("onboarding:consent_withdraw", args=["programme"]), {"reason": "other"}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Consent.objects.get(patient=patient).is_active


# --- Withdrawing and agreeing again from the account pages ---------------------------------------


def test_withdrawing_closes_the_programme_tells_the_clinician_and_agreeing_again_reopens_it(
    client,
):
    clinician = a_clinician()
    patient = a_new_patient(clinician=clinician)
    through_consent(patient)
    client.force_login(patient)
    assert client.get(reverse("accounts:patient_home")).status_code == HTTPStatus.OK
    assert client.get(reverse("api:checkin_list")).status_code == HTTPStatus.OK

    page = client.get(reverse("onboarding:consent_withdraw", args=["programme"]))
    assert page.status_code == HTTPStatus.OK
    assert "It is too much right now" in page.text
    assert "Agreed again to a newer version" not in page.text  # not a reason a person gives
    response = client.post(
        reverse("onboarding:consent_withdraw", args=["programme"]), {"reason": "too_much"}
    )

    assert response.url == reverse("onboarding:consents")
    consent = Consent.objects.get(patient=patient)
    assert consent.withdrawn_at is not None
    assert consent.withdrawal_reason == "too_much"
    assert _status(patient) == PatientProfile.ProgrammeStatus.WITHDRAWN
    notice = Notification.objects.get(kind="onboarding.withdrawn")
    assert notice.recipient == clinician
    assert notice.url == reverse("accounts:patient_detail", args=[patient.pk])
    assert "It is too much right now" in notice.body
    assert not Notification.objects.filter(recipient=patient).exists()
    assert _consent_step(patient).completed_at is None
    # The programme is closed again, in this very session.
    response = client.get(reverse("accounts:patient_home"))
    assert response.url == reverse("onboarding:start")
    assert client.get(response.url).url == reverse("onboarding:consent")
    api = client.get(reverse("api:checkin_list"))
    assert api.status_code == HTTPStatus.FORBIDDEN
    assert api.json()["code"] == "consent_required"
    consents_page = client.get(reverse("onboarding:consents"))
    assert "You are not taking part at the moment." in consents_page.text

    page = client.get(reverse("onboarding:consent_again", args=["programme"]))
    assert page.status_code == HTTPStatus.OK
    response = client.post(
        reverse("onboarding:consent_again", args=["programme"]),
        {"version": str(consent_version()), "agree": "on"},
    )

    assert response.url == reverse("onboarding:consents")
    active = Consent.objects.get(patient=patient, withdrawn_at__isnull=True)
    assert active != consent
    assert Consent.objects.filter(patient=patient).count() == 2
    assert _status(patient) == PatientProfile.ProgrammeStatus.ACTIVE
    assert _consent_step(patient).completed_at is not None
    assert client.get(reverse("accounts:patient_home")).status_code == HTTPStatus.OK
    assert client.get(reverse("api:checkin_list")).status_code == HTTPStatus.OK


def test_withdrawing_twice_says_so_and_changes_nothing(client):
    patient = a_new_patient()
    through_consent(patient)
    client.force_login(patient)
    url = reverse("onboarding:consent_withdraw", args=["programme"])
    client.post(url, {"reason": "privacy"})
    consent = Consent.objects.get(patient=patient)

    response = client.post(url, {"reason": "other"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("onboarding:consents")
    assert "You have not agreed to this, or you already withdrew." in response.text
    again = Consent.objects.get(patient=patient)
    assert (again.withdrawn_at, again.withdrawal_reason) == (consent.withdrawn_at, "privacy")
    assert Notification.objects.filter(kind="onboarding.withdrawn").count() == 1
    assert AuditEvent.objects.filter(action="consent.withdrawn").count() == 1
    page = client.get(url, follow=True)
    assert "You have not agreed to this, or you already withdrew." in page.text


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("", "Choose a reason, or &#x27;rather not say&#x27;."),
        ("superseded", "Select a valid choice. superseded is not one of the available choices."),
        ("bored", "Select a valid choice. bored is not one of the available choices."),
    ],
)
def test_withdrawing_without_a_reason_from_the_list_is_refused(client, reason, error):
    patient = a_new_patient()
    through_consent(patient)
    client.force_login(patient)

    response = client.post(
        reverse("onboarding:consent_withdraw", args=["programme"]), {"reason": reason}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert error in response.text
    assert Consent.objects.get(patient=patient).is_active
    assert _status(patient) == PatientProfile.ProgrammeStatus.ACTIVE
    assert not Notification.objects.filter(kind="onboarding.withdrawn").exists()


def test_the_service_refuses_superseded_as_a_reason_a_person_gives():
    patient = a_new_patient()
    through_consent(patient)

    with pytest.raises(ValidationError) as refused:
        services.consent_withdraw(
            patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, reason="superseded"
        )

    assert "reason" in refused.value.message_dict
    assert Consent.objects.get(patient=patient).is_active


@pytest.mark.parametrize("name", ["consent_withdraw", "consent_again"])
def test_an_unknown_kind_of_consent_is_not_found(client, name):
    patient = a_new_patient()
    through_consent(patient)
    client.force_login(patient)

    assert client.get(reverse(f"onboarding:{name}", args=["newsletter"])).status_code == 404
    response = client.post(reverse(f"onboarding:{name}", args=["newsletter"]), {"reason": "other"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Consent.objects.get(patient=patient).is_active


def test_agreeing_again_on_words_since_replaced_is_a_conflict_with_the_new_words(client):
    patient = a_new_patient()
    through_consent(patient)
    client.force_login(patient)
    client.post(reverse("onboarding:consent_withdraw", args=["programme"]), {"reason": "other"})
    a_version_published(title="Taking part, version two")

    response = client.post(
        reverse("onboarding:consent_again", args=["programme"]), {"version": "1", "agree": "on"}
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert "Taking part, version two" in response.text
    assert not Consent.objects.filter(patient=patient, withdrawn_at__isnull=True).exists()
    assert _status(patient) == PatientProfile.ProgrammeStatus.WITHDRAWN


def test_a_patient_who_joined_before_onboarding_and_withdrew_still_reaches_a_page(client):
    """Whatever a withdrawal closes for someone without a journey, their pages must end
    somewhere: never a loop between their home and /welcome/ (which sends them home)."""
    patient = PatientFactory(password=None)
    client.force_login(patient)
    client.post(
        reverse("onboarding:consent_again", args=["programme"]), {"version": "1", "agree": "on"}
    )
    client.post(reverse("onboarding:consent_withdraw", args=["programme"]), {"reason": "other"})
    assert Consent.objects.get(patient=patient).withdrawn_at is not None

    for name in ("accounts:patient_home", "onboarding:start", "cessation:progress"):
        response = client.get(reverse(name), follow=True)  # a loop raises RedirectCycleError
        assert response.status_code == HTTPStatus.OK, name
        assert len(response.redirect_chain) <= 2, response.redirect_chain


def test_agreeing_before_the_agreement_step_is_reached_is_refused_and_saves_nothing():
    patient = a_new_patient()
    services.step_complete(patient=patient, step="welcome", by=patient)

    with pytest.raises(StateConflict):
        services.consent_give(
            patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, version=consent_version()
        )

    assert not Consent.objects.filter(patient=patient).exists()
    assert not AuditEvent.objects.filter(action="consent.given").exists()
    assert _status(patient) == PatientProfile.ProgrammeStatus.ACTIVE


def test_agreeing_from_the_account_pages_before_the_first_steps_goes_back_to_them(client):
    """A new patient still on the first steps is told they have not agreed yet (not that they
    stopped); agreeing on the account pages anyway takes them to the step they are on."""
    patient = a_new_patient()
    client.force_login(patient)
    page = client.get(reverse("onboarding:consents")).text
    assert "You have not agreed yet" in page
    assert "Take part again" not in page

    response = client.post(
        reverse("onboarding:consent_again", args=["programme"]),
        {"version": str(consent_version()), "agree": "on"},
        follow=True,
    )

    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain[-1][0] == reverse("onboarding:welcome")
    assert "Read the first steps of setting up before agreeing" in response.text
    assert not Consent.objects.filter(patient=patient).exists()


def test_a_patient_who_joined_before_agreements_is_not_told_they_stopped(client):
    patient = PatientFactory(password=None)
    client.force_login(patient)

    page = client.get(reverse("onboarding:consents")).text

    assert "since before Exhale asked for agreement" in page
    assert "You are not taking part at the moment" not in page


def test_agreeing_before_onboarding_began_does_not_leave_the_patient_stuck_at_the_step(client):
    """Agreed on the account pages before a clinician began their onboarding: "I agree" at the
    step finds that consent and moves on instead of coming back to the same page."""
    patient = PatientFactory(password=None)
    client.force_login(patient)
    client.post(
        reverse("onboarding:consent_again", args=["programme"]),
        {"version": consent_version(), "agree": "on"},
    )
    services.journey_start(patient=patient)
    client.post(reverse("onboarding:welcome"))
    client.post(reverse("onboarding:privacy_step"))

    response = client.post(
        reverse("onboarding:consent"), {"version": consent_version(), "agree": "on"}
    )

    assert response.url == reverse("onboarding:about_you")
    assert StepRecord.objects.get(journey__patient=patient, step="consent").completed_at
    assert Consent.objects.filter(patient=patient).count() == 1


def test_consent_to_a_study_is_refused_while_no_study_is_running(client):
    patient = a_new_patient()
    through_consent(patient)

    with pytest.raises(StateConflict):
        services.consent_give(
            patient=patient,
            by=patient,
            kind=Consent.Kind.TRIAL,
            version=consent_version(Consent.Kind.TRIAL),
        )
    client.force_login(patient)
    response = client.post(
        reverse("api:onboarding_consents"),
        {"kind": "trial", "version": consent_version(Consent.Kind.TRIAL)},
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.CONFLICT
    assert not Consent.objects.filter(kind=Consent.Kind.TRIAL).exists()


def test_consent_to_a_running_study_needs_the_programme_consent_first(monkeypatch):
    from onboarding.registry import Step, steps

    monkeypatch.setitem(
        steps._steps, "trial_consent", Step("trial_consent", "The study", 35, "onboarding:start")
    )
    patient = a_new_patient()
    trial = {"kind": Consent.Kind.TRIAL, "version": consent_version(Consent.Kind.TRIAL)}

    with pytest.raises(StateConflict):
        services.consent_give(patient=patient, by=patient, **trial)
    through_consent(patient)
    consent = services.consent_give(patient=patient, by=patient, **trial)

    assert consent.kind == Consent.Kind.TRIAL
    assert consent.is_active
