"""The onboarding admin, through its real URLs as an admin with a second factor: new versions of
the texts (prefilled, checked, never an edit), approval and publishing through the services,
the preview and reading ease, read-only records that show patients by id only; and the
onboarding card on the admin's home page (uptake per step, texts not approved)."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from core.models import AuditEvent
from onboarding import services
from onboarding.defaults import standard_text
from onboarding.models import AssistSession, Baseline, Consent, ContentVersion, Journey, StepRecord
from onboarding.sections import admin_home_section
from onboarding.selectors import content_current
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory
from tests.onboarding.helpers import a_new_patient, a_version_published, at_step, through_consent

pytestmark = pytest.mark.django_db

ADD = "admin:onboarding_contentversion_add"
CHANGELIST = "admin:onboarding_contentversion_changelist"
EASY = ContentVersion.Key.PRIVACY_EASY


@pytest.fixture
def admin_user():
    return AdminFactory(password=None)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _change(version: ContentVersion) -> str:
    return reverse("admin:onboarding_contentversion_change", args=[version.pk])


def _approve(version: ContentVersion) -> str:
    return reverse("admin:onboarding_contentversion_approve", args=[version.pk])


def _publish(version: ContentVersion) -> str:
    return reverse("admin:onboarding_contentversion_publish", args=[version.pk])


def _draft(
    key: str = EASY, body: str = "# [team] Your care team\nThey read what you write."
) -> ContentVersion:
    return services.content_version_create(key=key, title="A new draft", body=body, by=None)


# --- The list and the change page ----------------------------------------------------------------


def test_the_texts_are_listed_by_key_and_version_with_their_state(admin_client):
    services.content_approve(version=_draft(), approver=ClinicianFactory(), by=AdminFactory())

    page = admin_client.get(reverse(CHANGELIST)).text

    assert "Published, not approved" in page
    assert "Approved, not published" in page
    assert page.count("Published, not approved") == len(ContentVersion.Key.values)


def test_a_version_shows_its_reading_ease_and_a_preview(admin_client):
    version = content_current(key=EASY)

    response = admin_client.get(_change(version))

    page = response.text
    assert response.status_code == HTTPStatus.OK
    assert "Flesch reading ease" in page
    assert "must score at least 70" in page
    assert 'class="easy-read__section"' in page
    assert 'id="icon-team"' in page  # the icons the preview draws
    assert 'name="_save"' not in page  # read-only
    assert version.get_absolute_url() in page  # "View on site": the patients' page of it


def test_a_draft_has_no_patients_page_to_view_yet(admin_client):
    draft = _draft()

    page = admin_client.get(_change(draft)).text

    assert reverse("onboarding:content_version", args=[draft.key, draft.version]) not in page


def test_the_preview_escapes_what_was_typed(admin_client):
    version = _draft(
        ContentVersion.Key.PRIVACY_FULL, body="# Heading\n<script>alert(1)</script> words"
    )

    page = admin_client.get(_change(version)).text

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; words" in page


def test_a_published_version_cannot_be_changed_or_deleted(admin_client):
    version = content_current(key=ContentVersion.Key.WELCOME)
    title = version.title

    edit = admin_client.post(
        _change(version), {"title": "Changed", "body": "# Hello\nNew words.", "_save": "Save"}
    )
    delete = admin_client.post(
        reverse("admin:onboarding_contentversion_delete", args=[version.pk]), {"post": "yes"}
    )

    assert edit.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    version.refresh_from_db()
    assert version.title == title


# --- A new version -------------------------------------------------------------------------------


def test_adding_starts_from_the_words_in_force_of_the_key(admin_client):
    title, _body = standard_text("privacy_easy")

    page = admin_client.get(reverse(ADD), {"key": EASY}).text

    assert f'value="{title}"' in page
    assert "# [team]" in page  # the body's markup, in the text box
    assert 'option value="privacy_easy" selected' in page


def test_adding_makes_a_new_draft_version_through_the_service(admin_client, admin_user):
    _title, body = standard_text("privacy_easy")

    response = admin_client.post(
        reverse(ADD),
        {
            "key": EASY,
            "title": "Your data, in easy words",
            "body": body,
            "change_note": "A clearer title.",
            "_save": "Save",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    version = ContentVersion.objects.get(key=EASY, version=2)
    assert version.title == "Your data, in easy words"
    assert version.created_by == admin_user
    assert version.change_note == "A clearer title."
    assert not version.is_published
    assert not version.is_approved
    event = AuditEvent.objects.get(action="content.version_created")
    assert event.actor_id == admin_user.pk
    assert content_current(key=EASY).version == 1  # patients still read version 1


def test_problems_in_the_words_are_shown_on_the_form_and_nothing_is_saved(admin_client):
    response = admin_client.post(
        reverse(ADD),
        {
            "key": ContentVersion.Key.WELCOME,
            "title": "Welcome",
            "body": "# [rocket] Up we go\n-\nA line.",
            "_save": "Save",
        },
    )

    page = response.text
    assert response.status_code == HTTPStatus.OK
    assert "errorlist" in page
    assert "uses an icon called" in page
    assert "list item with no words" in page
    assert ContentVersion.objects.filter(key=ContentVersion.Key.WELCOME).count() == 1


def test_a_hard_easy_read_text_is_refused_with_its_reading_ease(admin_client):
    hard = (
        "# [lock] Information governance\n"
        "Pseudonymisation of identifiable information facilitates epidemiological "
        "investigation notwithstanding organisational considerations.\n"
    )

    response = admin_client.post(
        reverse(ADD), {"key": EASY, "title": "Hard", "body": hard, "_save": "Save"}
    )

    assert response.status_code == HTTPStatus.OK
    assert "for reading ease; it must score at least 70" in response.text
    assert ContentVersion.objects.filter(key=EASY).count() == 1


# --- Approving and publishing --------------------------------------------------------------------


def test_approving_names_the_chosen_clinician_and_is_audited(admin_client, admin_user):
    draft = _draft()
    clinician = ClinicianFactory(full_name="Dr Ada Quinn")
    assert "Dr Ada Quinn (Clinician)" in admin_client.get(_change(draft)).text

    response = admin_client.post(_approve(draft), {"approver": clinician.pk})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == _change(draft)
    draft.refresh_from_db()
    assert draft.approved_by == clinician
    assert draft.approved_at is not None
    event = AuditEvent.objects.get(action="content.approved")
    assert event.actor_id == admin_user.pk
    assert event.detail["approver"] == clinician.pk


@pytest.mark.parametrize("who", ["patient", "inactive clinician", "nobody"])
def test_only_an_active_clinician_or_admin_can_be_named_as_approver(admin_client, who):
    draft = _draft()
    approver = {
        "patient": lambda: PatientFactory(password=None).pk,
        "inactive clinician": lambda: ClinicianFactory(password=None, is_active=False).pk,
        "nobody": lambda: "",
    }[who]()

    response = admin_client.post(_approve(draft), {"approver": approver}, follow=True)

    assert "Choose an active clinician or admin" in response.text
    draft.refresh_from_db()
    assert not draft.is_approved
    assert not AuditEvent.objects.filter(action="content.approved").exists()


def test_a_published_standard_text_is_approved_in_place_once(admin_client):
    """Approving changes no word: the standard texts in force are approved as they are, once."""
    version = content_current(key=ContentVersion.Key.WELCOME)
    body = version.body
    page = admin_client.get(_change(version)).text
    assert 'name="approve"' in page
    assert "changes none of them" in page
    clinician = ClinicianFactory()

    admin_client.post(_approve(version), {"approver": clinician.pk})
    again = admin_client.post(_approve(version), {"approver": clinician.pk}, follow=True)

    assert "already approved" in again.text
    version.refresh_from_db()
    assert version.approved_by == clinician
    assert version.body == body
    assert content_current(key=ContentVersion.Key.WELCOME) == version


def test_publishing_needs_approval_first_then_patients_see_it(admin_client, admin_user):
    draft = _draft()

    refused = admin_client.post(_publish(draft), follow=True)
    assert "Approve this version before publishing it" in refused.text
    draft.refresh_from_db()
    assert not draft.is_published

    admin_client.post(_approve(draft), {"approver": admin_user.pk})
    assert 'name="publish"' in admin_client.get(_change(draft)).text
    response = admin_client.post(_publish(draft))

    assert response.status_code == HTTPStatus.FOUND
    assert content_current(key=EASY) == draft
    assert AuditEvent.objects.filter(action="content.published", actor_id=admin_user.pk).exists()


def test_approve_and_publish_accept_only_posts(admin_client):
    draft = _draft()

    assert admin_client.get(_approve(draft)).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert admin_client.get(_publish(draft)).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_the_list_actions_approve_with_the_chosen_approver_and_publish(admin_client):
    drafts = [_draft(), _draft(ContentVersion.Key.WELCOME, body="# [team] Hello\nWe are here.")]
    clinician = ClinicianFactory()
    ids = [draft.pk for draft in drafts]

    no_approver = admin_client.post(
        reverse(CHANGELIST),
        {"action": "approve_selected", "_selected_action": ids, "approver": ""},
        follow=True,
    )
    assert "Choose who approved the words" in no_approver.text
    admin_client.post(
        reverse(CHANGELIST),
        {"action": "approve_selected", "_selected_action": ids, "approver": clinician.pk},
    )
    admin_client.post(reverse(CHANGELIST), {"action": "publish_selected", "_selected_action": ids})

    for draft in drafts:
        draft.refresh_from_db()
        assert draft.approved_by == clinician
        assert draft.is_published
        assert content_current(key=draft.key) == draft


def test_a_clinician_cannot_reach_the_text_admin(client):
    draft = _draft()
    client.force_login(ClinicianFactory())

    response = client.post(_approve(draft), {"approver": ClinicianFactory().pk})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("admin:login"))
    draft.refresh_from_db()
    assert not draft.is_approved


def test_an_admin_without_a_second_factor_does_not_reach_the_text_admin(client):
    client.force_login(AdminFactory(mfa=False))

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_activate_totp")


# --- Records, read-only --------------------------------------------------------------------------


@pytest.fixture
def records():
    """A patient who agreed, answered "About you" in an assisted session, and withdrew."""
    clinician = ClinicianFactory(password=None)
    patient = a_new_patient(clinician=clinician, full_name="Quentin Unusualname")
    through_consent(patient)
    session = services.assist_start(staff=clinician, patient=patient)
    services.baseline_save(
        patient=patient,
        by=clinician,
        assist=session,
        age_started=16,
        per_day=20,
        time_to_first="30",
        quit_attempts="1",
        motivation="soon",
        vapes=False,
        medicines=["antidepressant"],
        support_wanted=["group"],
        mood=5,
    )
    services.consent_withdraw(
        patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, reason="too_much"
    )
    return {
        "consent": Consent.objects.get(patient=patient),
        "journey": Journey.objects.get(patient=patient),
        "steprecord": StepRecord.objects.filter(journey__patient=patient).first(),
        "baseline": Baseline.objects.get(patient=patient),
        "assistsession": session,
    }


@pytest.mark.parametrize("model", ["consent", "journey", "steprecord", "baseline", "assistsession"])
def test_records_are_read_only_and_show_patients_by_id(admin_client, records, model):
    record = records[model]
    changelist = reverse(f"admin:onboarding_{model}_changelist")
    change = reverse(f"admin:onboarding_{model}_change", args=[record.pk])

    listed = admin_client.get(changelist)
    page = admin_client.get(change)

    assert listed.status_code == page.status_code == HTTPStatus.OK
    for content in (listed.text, page.text):
        assert "Unusualname" not in content
        assert "quentin" not in content.lower()
    assert 'name="_save"' not in page.text
    assert admin_client.get(reverse(f"admin:onboarding_{model}_add")).status_code == (
        HTTPStatus.FORBIDDEN
    )
    assert admin_client.post(change, {"_save": "Save"}).status_code == HTTPStatus.FORBIDDEN
    delete = reverse(f"admin:onboarding_{model}_delete", args=[record.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert type(record).objects.filter(pk=record.pk).exists()


def test_a_consent_shows_ids_kind_version_times_and_reason_only(admin_client, records):
    consent = records["consent"]

    page = admin_client.get(reverse("admin:onboarding_consent_change", args=[consent.pk])).text

    assert str(consent.patient_id) in page
    assert "It is too much right now" in page
    assert consent.text.body.splitlines()[1] not in page  # the words live with the text


def test_opening_a_baseline_in_the_admin_is_audited(admin_client, admin_user, records):
    baseline = records["baseline"]

    admin_client.get(reverse("admin:onboarding_baseline_changelist"))
    assert not AuditEvent.objects.filter(action="patient.viewed").exists()
    admin_client.get(reverse("admin:onboarding_baseline_change", args=[baseline.pk]))

    event = AuditEvent.objects.get(action="patient.viewed")
    assert event.actor_id == admin_user.pk
    assert event.subject_id == baseline.patient_id
    assert event.detail == {"purpose": "admin onboarding baseline"}


def test_assist_sessions_have_no_add_page_even_for_admins(admin_client):
    assert not AssistSession.objects.exists()
    response = admin_client.get(reverse("admin:onboarding_assistsession_add"))
    assert response.status_code == HTTPStatus.FORBIDDEN


# --- The admin's home page -----------------------------------------------------------------------


def _row(page: str, title: str) -> list[str]:
    """The numbers in the uptake table's row of a step."""
    row = re.search(rf"<th scope=\"row\"[^>]*>{title}</th>(.*?)</tr>", page, re.S).group(1)
    return re.findall(r">(\d+)</td>", row)


def test_the_admin_home_shows_uptake_per_step(client):
    at_step(a_new_patient(), "quit_plan")  # the safety plan left for later
    at_step(a_new_patient(), "about_you")
    a_new_patient()
    client.force_login(AdminFactory())

    page = client.get(reverse("accounts:admin_home")).text

    assert "Patients at each step" in page
    assert _row(page, "Welcome") == ["2", "2", "0"]
    assert _row(page, "Your agreement") == ["2", "2", "0"]
    assert _row(page, "Safety plan") == ["1", "0", "1"]
    assert _row(page, "Quit plan") == ["0", "0", "0"]


def test_the_admin_home_lists_texts_nobody_approved_with_the_way_to_approve_them(client):
    client.force_login(AdminFactory())

    page = client.get(reverse("accounts:admin_home")).text

    assert "Patients are reading texts that nobody has approved" in page
    for key in ContentVersion.Key.values:
        # The version in force, to approve as it is.
        assert _change(content_current(key=key)) in page


def test_a_waiting_version_is_linked_and_approved_texts_drop_off_the_warning(client):
    for key in ContentVersion.Key.values:
        if key != ContentVersion.Key.WELCOME:
            a_version_published(key)
    waiting = _draft(ContentVersion.Key.WELCOME, body="# [team] Hello\nWe are here.")
    client.force_login(AdminFactory())

    page = client.get(reverse("accounts:admin_home")).text
    assert _change(waiting) in page
    assert "Approve and publish version 2" in page
    assert f"{reverse(ADD)}?key=privacy_easy" not in page

    services.content_approve(version=waiting, approver=ClinicianFactory(), by=AdminFactory())
    services.content_publish(version=waiting, by=AdminFactory())
    page = client.get(reverse("accounts:admin_home")).text
    assert "nobody has approved" not in page


def test_the_admin_home_card_costs_two_queries_whatever_the_numbers(rf, django_assert_num_queries):
    for _ in range(3):
        at_step(a_new_patient(), "tour")
    admin = AdminFactory(password=None, mfa=False)
    request = rf.get("/manage/")
    request.user = admin

    with django_assert_num_queries(2):
        admin_home_section(request, admin)
