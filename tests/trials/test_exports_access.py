"""Who may export, and the audit of every export: the page (admins only, a reason required, the
download the answer to the form's POST) and manage.py export_trial (a named admin)."""

from __future__ import annotations

import csv
import io
import zipfile
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.models import AuditEvent
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from trials.exports import files
from trials.exports.datasets import DATASETS
from trials.exports.services import export_record

from .export_helpers import CANARIES, a_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return a_world()


def _url(world) -> str:
    return reverse("trials:exports", kwargs={"slug": world.trial.slug})


def _exports():
    return AuditEvent.objects.filter(action="trial.exported")


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_page_offers_each_file_and_asks_why(client, world):
    client.force_login(world.manager)
    response = client.get(_url(world))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Why are you exporting the data?" in html
    for key in DATASETS:
        assert f'value="{key}.csv"' in html
        assert f'value="{key}.json"' in html
    assert 'value="all.zip"' in html
    assert not _exports().exists()


@pytest.mark.parametrize(
    "make", [lambda: ClinicianFactory(password=None), lambda: PeerFactory(password=None)]
)
def test_staff_who_are_not_admins_cannot_export(client, world, make):
    client.force_login(make())
    assert client.get(_url(world)).status_code == HTTPStatus.FORBIDDEN
    response = client.post(_url(world), {"purpose": "final_analysis", "file": "checkins.csv"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not _exports().exists()


def test_patients_and_visitors_cannot_export(client, world):
    response = client.post(_url(world), {"purpose": "final_analysis", "file": "checkins.csv"})
    assert response.status_code == HTTPStatus.FOUND  # to the login page
    client.force_login(world.patients["A"])
    response = client.post(_url(world), {"purpose": "final_analysis", "file": "checkins.csv"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not _exports().exists()


def test_an_unknown_trial_is_404(client, world):
    client.force_login(world.manager)
    assert client.get(reverse("trials:exports", kwargs={"slug": "nope"})).status_code == 404


def test_a_download_without_a_reason_is_refused_and_nothing_is_sent(client, world):
    client.force_login(world.manager)
    response = client.post(_url(world), {"file": "checkins.csv"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose why you are exporting the data." in response.content.decode()
    assert not response.streaming
    # Nor a GET with the fields in the address.
    response = client.get(_url(world), {"purpose": "final_analysis", "file": "checkins.csv"})
    assert not response.streaming
    assert not _exports().exists()


def test_a_reason_outside_the_list_is_refused(client, world):
    client.force_login(world.manager)
    response = client.post(_url(world), {"purpose": "curiosity", "file": "checkins.csv"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not _exports().exists()


def test_a_download_is_audited_with_who_and_why_before_it_streams(client, world):
    client.force_login(world.manager)
    response = client.post(_url(world), {"purpose": "dmc_report", "file": "checkins.csv"})
    assert response.status_code == HTTPStatus.OK
    assert response.streaming
    # Written before a byte was read.
    event = _exports().get()
    assert event.actor_id == world.manager.pk
    assert event.target_id == str(world.trial.pk)
    assert event.detail == {
        "dataset": "checkins",
        "format": "csv",
        "purpose": "dmc_report",
        "via": "page",
    }
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(_body(response).decode())))
    assert len(rows) == 5


@pytest.mark.parametrize(
    ("file", "content_type", "starts"),
    [
        ("outcomes.json", "application/json", b"["),
        ("outcomes.dictionary", "text/csv", b"Variable / Field Name"),
        ("dictionary", "text/csv", b"Variable / Field Name"),
        ("readme", "text/markdown", b"# Export of the trial"),
    ],
)
def test_each_kind_of_file(client, world, file, content_type, starts):
    client.force_login(world.manager)
    response = client.post(_url(world), {"purpose": "statistician_check", "file": file})
    assert response["Content-Type"].startswith(content_type)
    assert _body(response).startswith(starts)
    assert _exports().count() == 1


def test_everything_as_one_zip(client, world):
    client.force_login(world.manager)
    response = client.post(_url(world), {"purpose": "final_analysis", "file": "all.zip"})
    archive = zipfile.ZipFile(io.BytesIO(_body(response)))
    names = archive.namelist()
    assert "checkins.csv" in names
    assert "outcomes.json" in names
    assert names[-2:] == [files.DICTIONARY_NAME, files.README_NAME]
    readme = archive.read(files.README_NAME).decode()
    assert "| `checkins.csv` | 5 |" in readme
    everything = b"".join(archive.read(name) for name in names).decode()
    for canary in CANARIES:
        assert canary not in everything
    assert _exports().get().detail["dataset"] == "all"


def test_the_service_refuses_anyone_but_an_admin(world):
    with pytest.raises(PermissionDenied):
        export_record(
            trial=world.trial,
            by=ClinicianFactory(password=None),
            what="all",
            fmt="csv",
            purpose="final_analysis",
        )
    assert not _exports().exists()


def test_the_command_writes_every_file_and_audits_the_named_admin(world, tmp_path):
    out = io.StringIO()
    call_command(
        "export_trial",
        "--trial",
        world.trial.slug,
        "--out",
        str(tmp_path / "export"),
        "--purpose",
        "final_analysis",
        "--format",
        "csv",
        "--by",
        world.manager.email,
        stdout=out,
    )
    written = sorted(path.name for path in (tmp_path / "export").iterdir())
    assert written == sorted(
        [f"{key}.csv" for key in DATASETS] + [files.DICTIONARY_NAME, files.README_NAME]
    )
    assert "checkins.csv: 5 rows" in out.getvalue()
    event = _exports().get()
    assert event.actor_id == world.manager.pk
    assert event.detail == {
        "dataset": "all",
        "format": "csv",
        "purpose": "final_analysis",
        "via": "command",
    }


@pytest.mark.parametrize(
    "make",
    [
        lambda: ClinicianFactory(password=None),
        lambda: PatientFactory(password=None),
    ],
)
def test_the_command_refuses_anyone_but_an_admin(world, tmp_path, make):
    user = make()
    with pytest.raises(CommandError, match="Only trial managers"):
        call_command(
            "export_trial",
            "--trial",
            world.trial.slug,
            "--out",
            str(tmp_path / "x"),
            "--purpose",
            "final_analysis",
            "--by",
            user.email,
        )
    assert not (tmp_path / "x").exists()
    assert not _exports().exists()


def test_the_command_needs_a_known_admin_and_a_known_reason(world, tmp_path):
    with pytest.raises(CommandError, match="No active account"):
        call_command(
            "export_trial",
            "--trial",
            world.trial.slug,
            "--out",
            str(tmp_path),
            "--purpose",
            "final_analysis",
            "--by",
            "nobody@example.org",
        )
    with pytest.raises(CommandError):
        call_command(
            "export_trial",
            "--trial",
            world.trial.slug,
            "--out",
            str(tmp_path),
            "--purpose",
            "curiosity",
            "--by",
            AdminFactory(password=None).email,
        )
    assert not _exports().exists()
