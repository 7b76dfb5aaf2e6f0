"""360 feedback through the API: admins get counts, learners their own frozen reports only."""

from __future__ import annotations

import pytest

from organizations.api_keys.services import do_create_key
from organizations.tenancy import tenant_context
from tests.conftest import count_queries
from tests.feedback.helpers import (
    answer_all,
    build_scene,
    close_and_compute,
    launch,
    nominate_and_approve,
)


@pytest.fixture
def scenes(org_a, org_b):
    return build_scene(org_a), build_scene(org_b, prefix="b-")


def test_admins_and_keys_read_cycle_counts_in_constant_queries(client, scenes):
    a, b = scenes
    cycle = launch(a)
    nominate_and_approve(a, cycle, peers=3)
    url = f"/api/v1/orgs/{a.org.slug}/feedback/cycles/"
    client.force_login(a.admin.user)
    with count_queries() as one:
        body = client.get(url).json()
    (row,) = body["results"]
    assert (row["id"], row["invited"], row["responded"], row["learners"]) == (cycle.pk, 4, 0, 1)
    launch(a, title="second")
    launch(a, title="third")
    with count_queries() as three:
        assert len(client.get(url).json()["results"]) == 3
    assert len(one.app_queries) == len(three.app_queries)
    assert client.get(f"{url}{cycle.pk}/").json()["title"] == "baseline 360"
    client.force_login(a.learner.user)
    assert client.get(url).status_code == 403
    client.logout()
    with tenant_context(a.org):
        key = do_create_key(a.admin, "BI", "read").plaintext
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    # Another organisation's admin: not found, under either slug.
    client.force_login(b.admin.user)
    assert client.get(url).status_code == 404
    other = f"/api/v1/orgs/{b.org.slug}/feedback/cycles/{cycle.pk}/"
    assert client.get(other).status_code == 404


def test_learners_read_only_their_own_reports(client, scenes):
    a, b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3)
    answer_all(a, participant, lambda r, i: 4)
    (report,) = close_and_compute(a, cycle)
    url = f"/api/v1/orgs/{a.org.slug}/me/feedback/reports/"
    client.force_login(a.learner.user)
    (body,) = client.get(url).json()["results"]
    assert body["id"] == report.pk
    assert body["competencies"][0]["others_mean"] == pytest.approx(4.0)
    assert {g["group"] for g in body["groups"] if g["shown"]} == {"self", "manager", "peer"}
    for member in (a.manager, a.admin):
        client.force_login(member.user)
        assert client.get(f"{url}{report.pk}/").status_code in (403, 404)
    client.logout()
    with tenant_context(a.org):
        key = do_create_key(a.admin, "BI", "read").plaintext
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 403
    client.force_login(b.learner.user)
    other = f"/api/v1/orgs/{b.org.slug}/me/feedback/reports/{report.pk}/"
    assert client.get(other).status_code == 404
