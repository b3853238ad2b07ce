"""API fuzzing: schemathesis generates requests from the OpenAPI schema (the one /api/schema/
serves) and sends them in-process to the real WSGI application (every middleware, the real
authentication), authenticated as each role, on the demo data (`seed_demo`: patients with
check-ins, group memberships, safety plans, flags and trial participation; a peer specialist,
two clinicians and an admin, staff with a second factor).

Every response, for every operation and role: no 5xx, a documented status (so every 4xx is in
the schema), the documented content type, and a body that matches the documented schema.

Generated path parameters are replaced, three times in four, by the id of a real object, so that
requests get past the 404s into the code behind them. Generation is positive (valid by the
schema) and negative (invalid) in equal measure. Each case runs in a savepoint that is rolled
back, and the rate-limit counters are reset first (the limits themselves stay on; 429 is a
documented answer), so every case starts from the same state; the seed is fixed (hypothesis
`derandomize`), so a failure reproduces.

Cases per operation: each role is first sent PROBE cases; a role that is refused every one
(401/403) has nothing more to reach, and the roles that got in share the rest of EXAMPLES (at
least PROBE more each), so every operation gets at least EXAMPLES cases in all (an operation
with no inputs at all is one request, sent once per role). EXHALE_FUZZ_EXAMPLES changes EXAMPLES
(a longer run by hand; a quick one while developing).
"""

from __future__ import annotations

import json
import math
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.http import Http404
from django.test import Client, override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import services as account_services
from accounts.models import STAFF_ROLES, Invitation, Role, User
from core.models import Notification
from onboarding.models import Consent, ContentVersion
from peersupport import services as peer_services
from peersupport.models import Conversation, Membership, PeerGroup, Post, Reaction, Report
from safety.models import Flag
from tests.factories import InvitationFactory
from trials.models import FollowUp

pytestmark = pytest.mark.django_db

PROBE = 4
EXAMPLES = int(os.environ.get("EXHALE_FUZZ_EXAMPLES", "100"))
BASE_URL = "http://localhost"  # the host schemathesis sets the cookies for
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
REFUSED = {401, 403}
# The demo user each role acts as (accounts/demo.py and the other apps' demo.py).
ROLES = {
    "anonymous": None,
    "patient": "bea@exhale.demo",  # in the trial and a group; check-ins, a flag
    "patient-with-peer": "alex@exhale.demo",  # a peer specialist, threads, a safety plan
    "peer": "peer@exhale.demo",
    "clinician": "clinician@exhale.demo",
    "admin": "admin@exhale.demo",
}


def _load_schema():
    """The schema /api/schema/ serves (tests/api/test_schema.py checks that view)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))


SCHEMA = _load_schema()
OPERATIONS = {
    f"{operation.method.upper()} {operation.path}": operation
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
}


@dataclass
class Tally:
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data and each role's credentials, made once for the module inside a transaction
    rolled back at its end; each test runs in a savepoint within it."""
    cache.clear()  # nothing cached by an earlier run (tests/conftest.py clears per test only)
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
            ):
                call_command("seed_demo", force=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
                _what_the_demo_lacks()
            yield {
                "credentials": {role: _credentials(email) for role, email in ROLES.items()},
                "real": _real_path_values(),
            }
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            cache.clear()


def _what_the_demo_lacks() -> None:
    """An open invitation and a report on a post, which the demo has none of."""
    patient = User.objects.get(email=ROLES["patient"])
    InvitationFactory(invited_by=User.objects.get(email=ROLES["clinician"]))
    for post in Post.objects.exclude(author=patient).order_by("pk"):
        try:
            peer_services.report_create(
                reporter=patient, post=post, reason=Report.Reason.values[0], note="Fuzz"
            )
        except (ValidationError, PermissionDenied, Http404):
            continue
        return
    raise AssertionError("no post the patient can report")


@pytest.fixture
def wsgi_app(settings):
    """The real WSGI application, in this thread and on this test's database connection: like
    Django's test client, it must not close the connection at the end of each request."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _real_path_values() -> dict[str, list[Any]]:
    """Ids of real objects by path-parameter name, to put in generated paths."""
    ids = {
        "patient_id": User.objects.filter(role=Role.PATIENT),
        "flag_id": Flag.objects.all(),
        "post_id": Post.objects.all(),
        "thread_id": Post.objects.filter(parent__isnull=True),
        "invitation_id": Invitation.objects.all(),
        "notification_id": Notification.objects.all(),
        "conversation_id": Conversation.objects.all(),
        "membership_id": Membership.objects.all(),
        "report_id": Report.objects.all(),
        "followup_id": FollowUp.objects.all(),
    }
    values: dict[str, list[Any]] = {
        name: sorted(queryset.values_list("pk", flat=True)) for name, queryset in ids.items()
    }
    values["slug"] = sorted(PeerGroup.objects.values_list("slug", flat=True))
    values["kind"] = sorted({*Reaction.Kind.values, *Consent.Kind.values})
    values["key"] = sorted(set(ContentVersion.objects.values_list("key", flat=True)))
    assert all(values.values()), [name for name, found in values.items() if not found]
    return values


def _credentials(email: str | None) -> dict[str, dict[str, str]]:
    """Headers and cookies for a role: staff use a personal API token (they have a second
    factor), patients a session (they cannot have tokens) and the CSRF token a browser sends."""
    throttle_keys = ["throttle_anon_127.0.0.1"]
    if email is None:
        return {"headers": {}, "cookies": {}, "throttle_keys": throttle_keys}
    user = User.objects.get(email=email)
    throttle_keys.append(f"throttle_user_{user.pk}")
    if user.role in STAFF_ROLES:
        _, key = account_services.api_token_create(user=user, name="fuzz")
        headers = {"Authorization": f"Token {key}"}
        return {"headers": headers, "cookies": {}, "throttle_keys": throttle_keys}
    client = Client()
    client.force_login(user)
    csrf = secrets.token_hex(16)
    return {
        "headers": {"X-CSRFToken": csrf},
        "cookies": {
            settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
            settings.CSRF_COOKIE_NAME: csrf,
        },
        "throttle_keys": throttle_keys,
    }


def _strategy(operation, real: dict[str, list[Any]]):
    """Positive and negative cases; three in four with real ids in the path."""
    generated = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    names = [parameter.name for parameter in operation.path_parameters]
    if not names:
        return generated
    real_ids = st.fixed_dictionaries({name: st.sampled_from(real[name]) for name in names})
    return st.tuples(generated, st.sampled_from([True, True, True, False]), real_ids).map(
        _with_real_ids
    )


def _with_real_ids(drawn):
    case, use_real, values = drawn
    if use_real:
        case.path_parameters = {**(case.path_parameters or {}), **values}
    return case


def _has_inputs(operation) -> bool:
    return bool(
        operation.path_parameters
        or operation.query
        or operation.headers
        or operation.cookies
        or operation.body
    )


def _fuzz(operation, strategy, *, examples: int, app, credentials, tally: Tally) -> None:
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=strategy)
    def one(case):
        # The rate limits (DRF's throttles) start afresh; nothing else is forgotten.
        cache.delete_many(credentials["throttle_keys"])
        with transaction.atomic():
            response = case.call(
                base_url=BASE_URL,
                app=app,
                headers=credentials["headers"],
                cookies=credentials["cookies"],
                # Where a request comes from (werkzeug's test client leaves it out); the
                # anonymous rate limit counts by it.
                environ_overrides={"REMOTE_ADDR": "127.0.0.1"},
            )
            transaction.set_rollback(True)
        tally.cases += 1
        tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS, headers=credentials["headers"])

    try:
        one()
    except (Exception, BaseExceptionGroup) as error:  # every role runs; failures reported together
        tally.failures.append(str(error)[:4000])


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_generated_requests_get_documented_answers_for_every_role(name, demo, wsgi_app):
    operation = OPERATIONS[name]
    strategy = _strategy(operation, demo["real"])
    tallies = {role: Tally() for role in ROLES}

    for role, tally in tallies.items():
        _fuzz(
            operation,
            strategy,
            examples=PROBE,
            app=wsgi_app,
            credentials=demo["credentials"][role],
            tally=tally,
        )
    users = [role for role, tally in tallies.items() if set(tally.statuses) - REFUSED]
    for role in users:
        tally = tallies[role]
        # Derandomized: the first PROBE cases come again, then new ones.
        refused = PROBE * (len(ROLES) - len(users))
        examples = PROBE + max(PROBE, math.ceil((EXAMPLES - refused) / len(users)))
        tally.cases = 0
        tally.statuses = {}
        _fuzz(
            operation,
            strategy,
            examples=examples,
            app=wsgi_app,
            credentials=demo["credentials"][role],
            tally=tally,
        )

    if os.environ.get("EXHALE_FUZZ_REPORT"):
        print(
            f"\n{name}: "
            + ", ".join(
                f"{r} {t.cases} {dict(sorted(t.statuses.items()))}" for r, t in tallies.items()
            )
        )
    failures = [f"as {role}: {failure}" for role, t in tallies.items() for failure in t.failures]
    assert not failures, "\n\n".join(failures)
    assert users, f"no role got past 401/403 in {PROBE} cases: {tallies}"
    if _has_inputs(operation):  # otherwise every case is the same request, sent once
        assert sum(tally.cases for tally in tallies.values()) >= EXAMPLES
    for role, tally in tallies.items():
        assert tally.cases >= PROBE or not _has_inputs(operation), (role, tally)
