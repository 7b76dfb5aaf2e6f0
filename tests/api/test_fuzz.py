"""Schemathesis fuzzes the whole API on a live server with the demo data.

As each demo role (session cookie) and with the demo read-write API key, it generates a bounded
number of cases per operation from ``/api/v1/schema/`` (valid and invalid input) and requires no
server error and no response that breaks the schema (status code, content type, body).
The number of cases is printed (``pytest -s`` or the captured output of a failure).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from organizations.api_keys.demo import demo_key_plaintext
from organizations.models import User

# Cases per operation for an identity that may use it: valid input, then invalid input. Each
# identity first gets one valid case per operation; when its role is refused (403) that refusal
# was checked and the operation gets no more cases for it. This keeps the test near a minute on
# one CI core as endpoints are added.
# The API key gets the most: it is what integrations use, and it writes as an admin.
EXAMPLES = {"api key": (4, 3)}
DEFAULT_EXAMPLES = (3, 2)
CSRF = "fuzzcsrftoken0123456789abcdefghi"  # 32 characters: a valid CSRF secret
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _identities(slug: str) -> dict[str, dict[str, Any]]:
    identities: dict[str, dict[str, Any]] = {}
    for role in ("admin", "learner", "coach", "sponsor"):
        client = Client()
        client.force_login(User.objects.get(email=f"{role}@{slug}.test"))
        identities[role] = {
            "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF},
            "headers": {"X-CSRFToken": CSRF},
        }
    key = demo_key_plaintext(slug, "read_write")
    identities["api key"] = {"cookies": {}, "headers": {"Authorization": f"Bearer {key}"}}
    return identities


def _run(operation: Any, mode: GenerationMode, n: int, call: Callable[[Any], None]) -> None:
    """Up to ``n`` cases of ``operation`` (the same ones on every run), each passed to ``call``."""

    @settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(mode, path_parameters={"org_slug": "acme"}))
    def run(case: Any) -> None:
        call(case)

    run()


@pytest.mark.django_db(transaction=True)
def test_fuzzing_the_api_finds_no_server_error_and_no_schema_mismatch(live_server, capsys):
    started = time.monotonic()
    call_command("seed_demo", learners=3, stdout=open("/dev/null", "w"))  # noqa: SIM115
    seeded = time.monotonic() - started
    raw = requests.get(f"{live_server.url}/api/v1/schema/?format=json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(raw)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    cases = 0
    failures: list[str] = []
    session = requests.Session()
    for name, identity in _identities("acme").items():
        for operation in operations:
            statuses: list[int] = []

            def call(case: Any, name: str = name, identity: dict[str, Any] = identity) -> None:
                nonlocal cases
                cases += 1
                try:
                    response = case.call(
                        base_url=live_server.url,
                        session=session,
                        headers=identity["headers"],
                        cookies=identity["cookies"],
                    )
                    statuses.append(response.status_code)
                    case.validate_response(response, checks=CHECKS)
                except Exception as exc:  # noqa: BLE001 - collect every failure
                    summary = " | ".join(str(exc).strip().splitlines()[:6])
                    failures.append(f"{name}: {case.method} {case.formatted_path}: {summary}")

            _run(operation, GenerationMode.POSITIVE, 1, call)
            if statuses == [403]:
                continue  # this role may not use the operation; the refusal was checked
            positive, negative = EXAMPLES.get(name, DEFAULT_EXAMPLES)
            _run(operation, GenerationMode.POSITIVE, positive, call)
            _run(operation, GenerationMode.NEGATIVE, negative, call)

    with capsys.disabled():
        print(
            f"\nschemathesis: {cases} cases over {len(operations)} operations as "
            f"{len(_identities('acme'))} identities in {time.monotonic() - started - seeded:.0f} s "
            f"(demo data {seeded:.0f} s); {len(failures)} failures"
        )
    assert failures == [], "\n".join(sorted(set(failures))[:30])
