"""Cohorts and enrolments through the API."""

from __future__ import annotations

import datetime as dt

from organizations.api_keys.services import do_create_key
from organizations.tenancy import tenant_context
from pathways.models import Enrollment
from tests.conftest import count_queries, enroll, make_member, make_pathway


def test_it_lists_cohorts_and_pages_their_learners_in_constant_queries(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    fixture = make_pathway(org_a)
    make_pathway(org_b, name="Theirs")
    for i in range(2):
        enroll(org_a, fixture, make_member(org_a, f"l{i}@a.example", is_learner=True))
    client.force_login(admin.user)
    cohorts = client.get(f"/api/v1/orgs/{org_a.slug}/cohorts/").json()["results"]
    assert [(c["name"], c["learners"]) for c in cohorts] == [(fixture.cohort.name, 2)]
    url = f"/api/v1/orgs/{org_a.slug}/cohorts/{fixture.cohort.pk}/enrollments/"
    with count_queries() as few:
        body = client.get(url).json()
    assert {r["email"] for r in body["results"]} == {"l0@a.example", "l1@a.example"}
    assert body["results"][0]["steps_total"] == 4
    for i in range(2, 7):
        enroll(org_a, fixture, make_member(org_a, f"l{i}@a.example", is_learner=True))
    with count_queries() as more:
        assert len(client.get(url, {"page_size": 3}).json()["results"]) == 3
    assert len(few.app_queries) == len(more.app_queries)


def test_it_creates_cohorts_and_enrols_and_withdraws(client, org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    fixture = make_pathway(org_a)
    learner = make_member(org_a, "lea@a.example", is_learner=True)
    with tenant_context(org_a):
        auth = {
            "HTTP_AUTHORIZATION": f"Bearer {do_create_key(admin, 'HRIS', 'read_write').plaintext}"
        }
    base = f"/api/v1/orgs/{org_a.slug}/cohorts/"
    start = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    made = client.post(
        base,
        {"name": "Spring", "version": fixture.version.pk, "start_date": start},
        "application/json",
        **auth,
    )
    assert made.status_code == 201 and made.json()["status"] == "planned"
    cohort_id = made.json()["id"]
    again = client.post(
        base,
        {"name": "spring", "version": fixture.version.pk, "start_date": start},
        "application/json",
        **auth,
    )
    assert again.status_code == 400
    enrolled = client.post(
        f"{base}{cohort_id}/enrollments/", {"learner": learner.pk}, "application/json", **auth
    )
    assert enrolled.status_code == 201 and enrolled.json()["email"] == "lea@a.example"
    twice = client.post(
        f"{base}{cohort_id}/enrollments/", {"learner": learner.pk}, "application/json", **auth
    )
    assert twice.status_code == 400 and "already in this cohort" in twice.json()["detail"]
    eid = enrolled.json()["id"]
    gone = client.post(f"{base}{cohort_id}/enrollments/{eid}/withdraw/", **auth)
    assert gone.json()["status"] == "withdrawn"
    with tenant_context(org_a):
        assert Enrollment.objects.get(pk=eid).status == "withdrawn"


def test_cohorts_stay_within_the_organisation(client, org_a, org_b):
    admin_a = make_member(org_a, "admin@a.example", is_admin=True)
    theirs = make_pathway(org_b, name="Theirs")
    their_learner = make_member(org_b, "l@b.example", is_learner=True)
    mine = make_pathway(org_a)
    client.force_login(admin_a.user)
    base = f"/api/v1/orgs/{org_a.slug}/cohorts/"
    assert client.get(f"{base}{theirs.cohort.pk}/").status_code == 404
    assert client.get(f"{base}{theirs.cohort.pk}/enrollments/").status_code == 404
    foreign = client.post(
        f"{base}{mine.cohort.pk}/enrollments/", {"learner": their_learner.pk}, "application/json"
    )
    assert foreign.status_code == 400 and foreign.json()["errors"][0]["field"] == "learner"
    other_version = client.post(
        base,
        {"name": "X", "version": theirs.version.pk, "start_date": "2027-01-01"},
        "application/json",
    )
    assert other_version.json()["errors"][0]["field"] == "version"
    their_enrollment = enroll(org_b, theirs, their_learner)
    withdraw = f"{base}{mine.cohort.pk}/enrollments/{their_enrollment.pk}/withdraw/"
    assert client.post(withdraw).status_code == 404
