"""The texts patients read: every change a new version, refused with markup problems or (the
easy-read explainer) hard to read, approved by a named clinician or admin before publishing;
the privacy pages show who approved the words in force, and past versions stay readable for the
consents that point at them."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from core.exceptions import StateConflict
from core.models import AuditEvent
from onboarding import services
from onboarding.models import ContentVersion
from onboarding.selectors import content_current
from tests.onboarding.helpers import (
    a_clinician,
    a_new_patient,
    a_peer,
    a_version_published,
    an_admin,
    through_consent,
)

pytestmark = pytest.mark.django_db

EASY = ContentVersion.Key.PRIVACY_EASY
EASY_BODY = "# [lock] Your data\nWe keep your data safe.\n- Only your care team sees it."
# Every line is a sentence of long words: it scores far below 70 for reading ease.
ACADEMIC = (
    "# [lock] Information governance\n"
    "Organisational accountability necessitates comprehensive documentation of processing.\n"
    "Pseudonymisation methodologies substantially diminish identifiability considerations.\n"
    "Epidemiological investigations occasionally necessitate supplementary authorisation."
)


def _v1(key: str = EASY) -> ContentVersion:
    return ContentVersion.objects.get(key=key, version=1)


# --- Versions -------------------------------------------------------------------------------------


def test_a_change_is_a_new_draft_version_and_the_published_one_stays_as_it_was():
    admin = an_admin()
    published = _v1()

    draft = services.content_version_create(
        key=EASY, title="  Your data  ", body=EASY_BODY, by=admin, change_note="Shorter."
    )
    later = services.content_version_create(key=EASY, title="Again", body=EASY_BODY, by=admin)

    assert (draft.version, later.version) == (2, 3)
    assert draft.title == "Your data"
    assert draft.created_by == admin
    assert draft.published_at is None
    assert not draft.is_approved
    assert _v1().body == published.body
    assert _v1().version == 1
    assert content_current(key=EASY) == published
    audit = AuditEvent.objects.filter(action="content.version_created").first()
    assert audit.detail == {"key": EASY}


def test_a_text_with_markup_problems_is_refused_with_them():
    body = "# [sparkles] Your data\nWe keep it safe.\n- "

    with pytest.raises(ValidationError) as refused:
        services.content_version_create(key=EASY, title="Your data", body=body, by=an_admin())

    problems = refused.value.message_dict["body"]
    assert problems[0].startswith('Line 1 uses an icon called "sparkles", which does not exist.')
    assert problems[1] == "Line 3 is a list item with no words. Write the item after the -."
    assert ContentVersion.objects.filter(key=EASY).count() == 1


def test_an_easy_read_explainer_that_is_hard_to_read_is_refused():
    with pytest.raises(ValidationError) as refused:
        services.content_version_create(key=EASY, title="Data", body=ACADEMIC, by=an_admin())

    [problem] = refused.value.message_dict["body"]
    assert problem.startswith("This easy-read text scores")
    assert problem.endswith("it must score at least 70. Use shorter sentences and everyday words.")
    assert ContentVersion.objects.filter(key=EASY).count() == 1


def test_the_full_privacy_notice_is_not_held_to_the_easy_read_score():
    version = services.content_version_create(
        key=ContentVersion.Key.PRIVACY_FULL, title="Notice", body=ACADEMIC, by=an_admin()
    )

    assert version.version == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [({"key": "newsletter"}, "key"), ({"title": "   "}, "title")],
)
def test_an_unknown_text_or_a_missing_title_is_refused(change, field):
    fields = {"key": EASY, "title": "Your data", "body": EASY_BODY, **change}

    with pytest.raises(ValidationError) as refused:
        services.content_version_create(by=an_admin(), **fields)

    assert field in refused.value.message_dict


@pytest.mark.parametrize("role", ["clinician", "peer"])
def test_only_admins_write_new_versions(role):
    staff = a_clinician(mfa=False) if role == "clinician" else a_peer()

    with pytest.raises(PermissionDenied):
        services.content_version_create(key=EASY, title="Data", body=EASY_BODY, by=staff)

    assert ContentVersion.objects.filter(key=EASY).count() == 1


# --- Approving and publishing ---------------------------------------------------------------------


def _draft(admin) -> ContentVersion:
    return services.content_version_create(key=EASY, title="Data", body=EASY_BODY, by=admin)


@pytest.mark.parametrize("approver", ["clinician", "admin"])
def test_an_active_clinician_or_admin_approves(approver):
    admin = an_admin()
    draft = _draft(admin)
    who = a_clinician(mfa=False) if approver == "clinician" else admin

    services.content_approve(version=draft, approver=who, by=admin)

    draft.refresh_from_db()
    assert draft.approved_by == who
    assert draft.approved_at is not None
    assert AuditEvent.objects.get(action="content.approved").detail == {
        "key": EASY,
        "version": 2,
        "approver": who.pk,
    }


@pytest.mark.parametrize("approver", ["patient", "peer", "inactive clinician"])
def test_a_patient_a_peer_or_an_inactive_clinician_cannot_approve(approver):
    admin = an_admin()
    draft = _draft(admin)
    who = {
        "patient": lambda: a_new_patient(),
        "peer": lambda: a_peer(),
        "inactive clinician": lambda: a_clinician(mfa=False, is_active=False),
    }[approver]()

    with pytest.raises(ValidationError) as refused:
        services.content_approve(version=draft, approver=who, by=admin)

    assert "approved_by" in refused.value.message_dict
    draft.refresh_from_db()
    assert draft.approved_by is None
    assert draft.approved_at is None


def test_only_admins_record_an_approval():
    clinician = a_clinician(mfa=False)
    draft = _draft(an_admin())

    with pytest.raises(PermissionDenied):
        services.content_approve(version=draft, approver=clinician, by=clinician)

    draft.refresh_from_db()
    assert not draft.is_approved


def test_a_published_standard_text_is_approved_in_place_once():
    admin = an_admin()
    clinician = a_clinician(mfa=False)
    published = _v1()
    body = published.body

    services.content_approve(version=published, approver=clinician, by=admin)
    with pytest.raises(StateConflict):
        services.content_approve(version=published, approver=admin, by=admin)

    published.refresh_from_db()
    assert published.approved_by == clinician
    assert published.approved_at is not None
    assert published.body == body
    assert content_current(key=EASY) == published


def test_an_unapproved_version_cannot_be_published():
    admin = an_admin()
    draft = _draft(admin)

    with pytest.raises(StateConflict):
        services.content_publish(version=draft, by=admin)

    draft.refresh_from_db()
    assert draft.published_at is None
    assert content_current(key=EASY) == _v1()


def test_an_approved_version_once_published_is_the_one_in_force():
    admin = an_admin()
    draft = _draft(admin)
    services.content_approve(version=draft, approver=admin, by=admin)
    with pytest.raises(PermissionDenied):
        services.content_publish(version=draft, by=a_clinician(mfa=False))

    services.content_publish(version=draft, by=admin)

    assert content_current(key=EASY) == draft
    assert draft.published_at is not None


# --- The privacy pages ----------------------------------------------------------------------------


def test_the_privacy_page_is_public_and_says_the_standard_words_are_not_yet_approved(client):
    page = client.get(reverse("onboarding:privacy"))
    full = client.get(reverse("onboarding:privacy_full"))

    assert page.status_code == full.status_code == HTTPStatus.OK
    assert _v1().title in page.text
    assert "Version 1. Standard text supplied with Exhale, not yet approved by your service." in (
        page.text
    )
    assert _v1(ContentVersion.Key.PRIVACY_FULL).title in full.text


def test_the_privacy_page_names_who_approved_the_words_in_force_and_when(client):
    approver = a_clinician(mfa=False, full_name="Ada Byron")
    version = a_version_published(EASY, title="Your data, v2", body=EASY_BODY, approver=approver)
    client.force_login(a_new_patient())

    page = client.get(reverse("onboarding:privacy"))

    assert page.status_code == HTTPStatus.OK
    assert "Your data, v2" in page.text
    assert "We keep your data safe." in page.text
    on = f"{timezone.localdate(version.approved_at):%-d %B %Y}"
    assert f"Version 2. Approved by Ada Byron on {on}." in page.text
    assert "not yet approved" not in page.text


def test_a_past_version_stays_readable_and_says_it_is_not_in_force(client):
    a_version_published(EASY, title="Your data, v2", body=EASY_BODY)

    past = client.get(reverse("onboarding:content_version", args=[EASY, 1]))
    current = client.get(reverse("onboarding:content_version", args=[EASY, 2]))

    assert past.status_code == current.status_code == HTTPStatus.OK
    assert _v1().title in past.text
    assert "This is not the version in use now." in past.text
    assert reverse("onboarding:content_version", args=[EASY, 2]) in past.text
    assert "This is not the version in use now." not in current.text


@pytest.mark.parametrize(
    ("key", "version"), [(EASY, 2), (EASY, 99), ("newsletter", 1), ("welcome", 0)]
)
def test_an_unpublished_or_unknown_version_is_not_found(client, key, version):
    _draft(an_admin())  # version 2 of the easy read, not published

    response = client.get(f"/privacy/texts/{key}/v{version}/")

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_consents_page_links_to_the_exact_words_agreed_to(client):
    patient = a_new_patient()
    through_consent(patient)
    a_version_published()
    client.force_login(patient)

    page = client.get(reverse("onboarding:consents"))

    assert page.status_code == HTTPStatus.OK
    agreed = reverse("onboarding:content_version", args=["consent_programme", 1])
    assert f'href="{agreed}"' in page.text
    assert "(version 1 of the words)" in page.text
    assert "The words have changed since you agreed." in page.text
    assert reverse("onboarding:consent_again", args=["programme"]) in page.text


def test_an_older_draft_is_not_published_over_a_newer_version_in_use():
    admin = an_admin()
    older = _draft(admin)
    newer = _draft(admin)
    for version in (older, newer):
        services.content_approve(version=version, approver=admin, by=admin)
    services.content_publish(version=newer, by=admin)

    with pytest.raises(StateConflict):
        services.content_publish(version=older, by=admin)

    assert content_current(key=EASY) == newer
