from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_renders(client):
    assert client.get(reverse("account_login")).status_code == HTTPStatus.OK


def test_patient_home_renders(client, patient):
    client.force_login(patient)
    response = client.get(reverse("accounts:patient_home"))
    assert response.status_code == HTTPStatus.OK
    assert b"Get help now" in response.content
