"""Authentication (ASVS V2): every staff role needs a second factor for every page and API call,
TOTP codes and recovery codes work once, failed logins are limited per address and per account
on the deployment's cache, a password reset does not skip the second factor, and no response
says whether an email address has an account.

Logging in itself (password, TOTP, codes by email) is tested in tests/accounts/test_login.py."""

from __future__ import annotations

import os
import pickle
import re
import time
from http import HTTPStatus

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.urls.converters import get_converters

from accounts.middleware import ALLOWED_PREFIXES
from accounts.models import Role
from accounts.receivers import totp_code_lifetime
from tests.accounts.helpers import (
    logged_in_user_id,
    mfa_authenticate,
    password_login,
    reset_password_by_email,
)
from tests.factories import (
    PASSWORD,
    AdminFactory,
    ClinicianFactory,
    PatientFactory,
    PeerFactory,
    totp_code,
)

pytestmark = pytest.mark.django_db

STAFF_FACTORIES = {
    Role.CLINICIAN: ClinicianFactory,
    Role.PEER: PeerFactory,
    Role.ADMIN: AdminFactory,
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real logins hash passwords; what is tested does not depend on the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- A second factor for every staff page and API call --------------------------------------------

# A value for each URL converter: the first of these its pattern accepts.
SAMPLES = ("1", "sample", "2026-01-05", "00000000-0000-0000-0000-000000000001")
# The only pages a staff member without a second factor may open (accounts/middleware.py): what
# they need to enrol, and what anybody may open. A new page under one of these prefixes fails
# test_no_staff_page_hides_under_an_open_prefix until it is reviewed and added here.
OPEN_TO_STAFF_WITHOUT_MFA = {
    "health",
    "safety:crisis",
    "safety:crisis_support",
    "onboarding:privacy",
    "onboarding:privacy_full",
    "onboarding:content_version",
    "accounts:invitation_accept",
    "api:crisis_resource_list",
}


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            name = ":".join(part for part in (namespace, pattern.name or "") if part)
            yield prefix + str(pattern.pattern), name


def _sample(converter_name: str) -> str:
    pattern = get_converters()[converter_name].regex
    return next(value for value in SAMPLES if re.fullmatch(pattern, value))


def _sample_path(route: str) -> str:
    """A concrete path for a URL pattern: route converters and regex groups filled in."""
    path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: _sample(m.group(1) or "str"), route)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "sample", path)
    return "/" + path.replace("^", "").replace("$", "")


def _every_url() -> list[tuple[str, str]]:
    return sorted(
        {(_sample_path(route), name) for route, name in _walk(get_resolver().url_patterns)}
    )


def _gated_urls() -> list[str]:
    return [path for path, _ in _every_url() if not path.startswith(ALLOWED_PREFIXES)]


def _assert_gated(response, path: str) -> None:
    if path.startswith("/api/"):
        assert response.status_code == HTTPStatus.FORBIDDEN, path
        assert response.json()["code"] == "mfa_required", path
    else:
        assert response.status_code == HTTPStatus.FOUND, path
        assert response.url == reverse("mfa_activate_totp"), path


def test_the_url_walk_finds_every_part_of_the_site():
    """The control for the two tests below: they see pages, the API and the admin."""
    paths = _gated_urls()

    assert len(paths) > 300
    assert {"/", "/clinician/", "/api/v1/patients/", "/admin/", "/api/schema/"} <= set(paths)


def test_staff_without_a_second_factor_reach_no_staff_page_or_api():
    """Every URL pattern, each by one staff role in turn, read and written alike (the gate does
    not depend on which staff role: accounts.permissions.needs_second_factor). The permission
    matrix (tests/security/test_permission_matrix.py) also calls every URL with every method as
    an admin without a second factor."""
    browsers = []
    for factory in STAFF_FACTORIES.values():
        browsers.append(Client())
        browsers[-1].force_login(factory(mfa=False))

    for number, path in enumerate(_gated_urls()):
        browser = browsers[number % len(browsers)]
        read = (number // len(browsers)) % 2 == 0
        _assert_gated(browser.get(path) if read else browser.post(path, {}), path)


def test_no_staff_page_hides_under_an_open_prefix():
    open_names = {name for path, name in _every_url() if path.startswith(ALLOWED_PREFIXES)}

    unreviewed = {
        name
        for name in open_names
        if name not in OPEN_TO_STAFF_WITHOUT_MFA and not name.startswith(("account_", "mfa_"))
    }

    assert unreviewed == set()
    assert all(path.startswith("/accounts/") for path, name in _every_url() if name[:4] == "mfa_")


def test_staff_with_a_second_factor_do_reach_their_pages(client, clinician):
    """The control: the gate is the missing factor, not the role."""
    client.force_login(clinician)

    assert client.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.OK
    assert client.get(reverse("api:patient_list")).status_code == HTTPStatus.OK


# --- One use per code, on the cache every web process shares -------------------------------------


def test_the_tests_run_on_the_deployments_cache():
    """With REDIS_URL set (CI's PostgreSQL run, production) the replay marks and rate-limit
    counters below live in Redis, shared by every web process; without it, in the file cache
    that the processes of a single-machine install share."""
    backend = caches["default"]
    if os.environ.get("REDIS_URL"):
        assert isinstance(backend, RedisCache)
    else:
        assert settings.CACHES["default"]["BACKEND"].endswith("FileBasedCache")


def _seconds_left(key: str) -> float:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        return backend._cache.get_client(full_key).ttl(full_key)
    with open(backend._key_to_file(key), "rb") as cached:
        # Django's own cache file, written by this test: its expiry time comes first.
        return pickle.load(cached) - time.time()  # noqa: S301


def test_a_totp_code_seen_by_someone_else_cannot_be_used_again(clinician):
    code = totp_code(clinician)
    owner, onlooker = Client(), Client()
    password_login(owner, clinician)
    mfa_authenticate(owner, code)
    assert logged_in_user_id(owner) == clinician.pk

    password_login(onlooker, clinician)
    response = mfa_authenticate(onlooker, code)

    assert response.context["form"].errors["code"] == ["Incorrect code."]
    assert logged_in_user_id(onlooker) is None


def test_a_used_totp_code_stays_refused_for_as_long_as_it_is_valid(client, clinician):
    """A code is accepted for 90 s (its period and one either side); allauth alone marks it used
    for 30 s. accounts.receivers keeps the mark for the whole 90 s."""
    code = totp_code(clinician, offset_periods=1)  # next period's code: valid for 90 s from now
    password_login(client, clinician)
    mfa_authenticate(client, code)
    assert logged_in_user_id(client) == clinician.pk

    left = _seconds_left(
        TOTP(clinician.authenticator_set.get(type="totp"))._get_used_cache_key(code)
    )

    assert totp_code_lifetime() == 90
    assert left > totp_code_lifetime() - 5


def test_each_recovery_code_works_once_whoever_uses_it(clinician):
    codes = RecoveryCodes.activate(clinician).generate_codes()
    owner, onlooker = Client(), Client()
    password_login(owner, clinician)
    mfa_authenticate(owner, codes[3])
    assert logged_in_user_id(owner) == clinician.pk

    password_login(onlooker, clinician)
    refused = mfa_authenticate(onlooker, codes[3])

    assert refused.context["form"].errors["code"] == ["Incorrect code."]
    assert logged_in_user_id(onlooker) is None
    unused = RecoveryCodes(clinician.authenticator_set.get(type="recovery_codes"))
    assert codes[3] not in unused.get_unused_codes()
    assert len(unused.get_unused_codes()) == len(codes) - 1


# --- Failed logins limited per address and per account -------------------------------------------


def _login_from(client, email: str, password: str, address: str):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=address
    )


def test_failed_logins_are_limited_per_address_across_accounts(client):
    """5 failures in 5 minutes from one address: no account logs in from it, not even with the
    right password; the same account still logs in from elsewhere."""
    patients = [PatientFactory() for _ in range(6)]
    for guessed in patients[:5]:
        _login_from(client, guessed.email, "wrong-password-guess", "203.0.113.9")

    refused = _login_from(client, patients[5].email, PASSWORD, "203.0.113.9")

    assert "Too many failed login attempts" in refused.content.decode()
    assert logged_in_user_id(client) is None
    _login_from(client, patients[5].email, PASSWORD, "198.51.100.20")
    assert logged_in_user_id(client) == patients[5].pk


def test_failed_logins_are_limited_per_account_across_addresses(client, patient):
    for number in range(5):
        _login_from(client, patient.email, "wrong-password-guess", f"203.0.113.{number + 1}")

    refused = _login_from(client, patient.email, PASSWORD, "198.51.100.7")

    assert "Too many failed login attempts" in refused.content.decode()
    assert logged_in_user_id(client) is None


def test_the_counters_live_in_the_shared_cache(client, patient):
    """What a web process counted, every other process sees: the limit is kept in the cache
    (Redis in production), so emptying it is the only thing that lifts it."""
    for _ in range(5):
        _login_from(client, patient.email, "wrong-password-guess", "203.0.113.1")
    assert (
        "Too many" in _login_from(client, patient.email, PASSWORD, "203.0.113.1").content.decode()
    )

    caches["default"].clear()

    _login_from(client, patient.email, PASSWORD, "203.0.113.1")
    assert logged_in_user_id(client) == patient.pk


def test_wrong_second_factor_codes_are_limited_per_account(clinician):
    """Five wrong codes, whichever browsers they come from, and even the right code is refused."""
    right = totp_code(clinician)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for number in range(5):
        browser = Client(REMOTE_ADDR=f"203.0.113.{number + 1}")
        password_login(browser, clinician)
        mfa_authenticate(browser, wrong)

    browser = Client(REMOTE_ADDR="198.51.100.7")
    password_login(browser, clinician)
    response = mfa_authenticate(browser, right)

    assert response.context["form"].errors["code"] == [
        "Too many failed login attempts. Try again later."
    ]
    assert logged_in_user_id(browser) is None


# --- A password reset does not skip the second factor ---------------------------------------------


def test_a_password_reset_logs_nobody_in_and_staff_still_need_their_code(
    client, clinician, mailoutbox
):
    response = reset_password_by_email(client, clinician, mailoutbox, "a-brand-new-passphrase")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_reset_password_from_key_done")
    assert logged_in_user_id(client) is None
    assert client.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.FOUND

    login = password_login(client, clinician, password="a-brand-new-passphrase")

    assert login.url == reverse("mfa_authenticate")
    assert logged_in_user_id(client) is None
    mfa_authenticate(client, totp_code(clinician))
    assert logged_in_user_id(client) == clinician.pk


def test_a_password_reset_does_not_log_a_patient_in_either(client, patient, mailoutbox):
    reset_password_by_email(client, patient, mailoutbox, "a-brand-new-passphrase")

    assert logged_in_user_id(client) is None
    password_login(client, patient, password="a-brand-new-passphrase")
    assert logged_in_user_id(client) == patient.pk


def test_a_reset_link_works_once(client, patient, mailoutbox):
    reset_password_by_email(client, patient, mailoutbox, "a-brand-new-passphrase")
    link = next(
        line.strip() for line in mailoutbox[0].body.splitlines() if "/password/reset/key/" in line
    )

    again = Client().get(link, follow=True)

    assert again.status_code == HTTPStatus.OK
    assert again.context["token_fail"]


def test_the_account_holder_is_told_when_their_password_or_second_factor_changes(
    clinician, mailoutbox
):
    """Someone who took over an account cannot change how it signs in unnoticed."""
    browser = Client()
    password_login(browser, clinician)
    mfa_authenticate(browser, totp_code(clinician))
    browser.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    browser.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-passphrase-1",
            "password2": "a-new-passphrase-1",
        },
    )
    browser.post(reverse("mfa_deactivate_totp"))

    assert [message.to for message in mailoutbox] == [[clinician.email]] * 2
    assert "password" in mailoutbox[0].subject.lower()
    assert "authenticator" in mailoutbox[1].subject.lower()


# --- No response says whether an address has an account -------------------------------------------

UNKNOWN = "nobody.here@example.org"


def _comparable(response, email: str) -> str:
    """The page without what differs between any two requests (CSRF token, CSP nonce) and
    without the address typed in."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", body)
    body = re.sub(r'nonce="[^"]+"', "NONCE", body)
    return body.replace(email, "EMAIL")


def _as_stranger(url: str, data: dict, email: str):
    """A first visit from a new browser, following redirects: what the requester sees."""
    browser = Client()
    response = browser.post(url, data, follow=True)
    return response, _comparable(response, email)


def _mails_to(mailoutbox, email: str) -> int:
    return sum(email in message.to for message in mailoutbox)


def test_a_failed_login_reads_the_same_for_a_known_and_an_unknown_address(patient):
    url = reverse("account_login")

    known, known_page = _as_stranger(
        url, {"login": patient.email, "password": "wrong-1"}, patient.email
    )
    unknown, unknown_page = _as_stranger(url, {"login": UNKNOWN, "password": "wrong-1"}, UNKNOWN)

    assert known.status_code == unknown.status_code == HTTPStatus.OK
    assert known.redirect_chain == unknown.redirect_chain
    assert known_page == unknown_page


class CountingHasher(MD5PasswordHasher):
    """A fast hasher that counts the passwords it hashes: the time a login takes is that of
    its hashing, so equal counts mean no timing difference worth measuring."""

    hashed = 0

    def encode(self, password, salt):
        type(self).hashed += 1
        return super().encode(password, salt)


def test_a_failed_login_hashes_as_much_for_an_unknown_address(patient, settings):
    """Django's and allauth's backends each hash a dummy password for an unknown address, as
    they check the real one for a known address: no timing tells them apart."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]

    def hashes_for(email: str) -> int:
        CountingHasher.hashed = 0
        Client().post(reverse("account_login"), {"login": email, "password": "wrong-password-1"})
        return CountingHasher.hashed

    assert hashes_for(patient.email) == hashes_for(UNKNOWN) >= 1


def test_a_password_reset_request_reads_the_same_and_mails_the_same(patient, mailoutbox):
    url = reverse("account_reset_password")

    known, known_page = _as_stranger(url, {"email": patient.email}, patient.email)
    unknown, unknown_page = _as_stranger(url, {"email": UNKNOWN}, UNKNOWN)

    assert known.redirect_chain == unknown.redirect_chain
    assert known.redirect_chain[-1][0] == reverse("account_reset_password_done")
    assert known_page == unknown_page
    # One email to the address typed in either way (a link, or "there is no account"): only
    # whoever reads that mailbox learns which.
    assert _mails_to(mailoutbox, patient.email) == _mails_to(mailoutbox, UNKNOWN) == 1


def test_a_login_code_request_reads_the_same_and_mails_the_same(patient, mailoutbox):
    url = reverse("account_request_login_code")

    known, known_page = _as_stranger(url, {"email": patient.email}, patient.email)
    unknown, unknown_page = _as_stranger(url, {"email": UNKNOWN}, UNKNOWN)

    assert known.redirect_chain == unknown.redirect_chain
    assert known.redirect_chain[-1][0] == reverse("account_confirm_login_code")
    assert known_page == unknown_page
    assert _mails_to(mailoutbox, patient.email) == _mails_to(mailoutbox, UNKNOWN) == 1


def test_sign_up_reads_the_same_for_a_known_and_an_unknown_address(patient):
    """There is no open sign-up (access is by invitation): the answer is the same closed page,
    and an invitation link carries its own address, so there is nothing to type in to probe."""
    url = reverse("account_signup")

    def data(email):
        return {
            "email": email,
            "password1": "a-long-pass-phrase-1",
            "password2": "a-long-pass-phrase-1",
        }

    known, known_page = _as_stranger(url, data(patient.email), patient.email)
    unknown, unknown_page = _as_stranger(url, data(UNKNOWN), UNKNOWN)

    assert known.status_code == unknown.status_code == HTTPStatus.OK
    assert known_page == unknown_page
