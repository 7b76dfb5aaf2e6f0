"""Projects API: the member's visible projects and one project's data, the anonymity rule
applied, another organisation's member gets 404."""

from __future__ import annotations

from organizations.tenancy import tenant_context
from pathways.models import CohortCoach
from projects import services
from projects.models import RatingRequest
from tests.conftest import count_queries, make_member
from tests.projects.helpers import make_world, running


def test_it_lists_only_visible_projects_and_gives_the_page_as_data(client, org_a, org_b):
    world = make_world(org_a)
    other = make_world(org_a, prefix="o-")
    project = running(world)
    running(other, title="Not yours")
    client.force_login(world.sponsor.user)
    base = f"/api/v1/orgs/{org_a.slug}/projects/"
    body = client.get(base).json()
    assert [p["title"] for p in body["results"]] == [project.title]
    detail = client.get(f"{base}{project.pk}/").json()
    assert [m["state"] for m in detail["milestones"]] == ["upcoming", "upcoming"]
    assert detail["satisfaction"]["shown"] is False and detail["satisfaction"]["overall"] is None
    assert client.get(f"{base}{project.pk + 1}/").status_code == 404  # the other sponsor's


def test_a_coach_gets_the_aggregate_but_no_comments(client, org_a, org_b):
    world = make_world(org_a)
    coach = make_member(org_a, "coach@a.example", is_coach=True)
    project = running(world)
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=world.cohort, membership=coach)
        for i in range(5):
            person = project.stakeholders.create(name=f"S{i}", email=f"s{i}@x.example")
            request = RatingRequest.objects.create(project=project, stakeholder=person)
            services.do_submit_rating(
                request.pk, outcome_quality=5, collaboration=4, communication=3, comment="hi"
            )
    client.force_login(coach.user)
    detail = client.get(f"/api/v1/orgs/{org_a.slug}/projects/{project.pk}/").json()
    assert detail["satisfaction"]["overall"] == 4.0 and detail["satisfaction"]["comments"] == []
    client.force_login(world.learner.user)
    detail = client.get(f"/api/v1/orgs/{org_a.slug}/projects/{project.pk}/").json()
    assert detail["satisfaction"]["comments"] == ["hi"] * 5


def test_another_organisations_member_gets_404_and_the_list_is_constant(client, org_a, org_b):
    world = make_world(org_a)
    project = running(world)
    intruder = make_member(org_b, "x@b.example", is_admin=True, is_sponsor=True)
    client.force_login(intruder.user)
    assert client.get(f"/api/v1/orgs/{org_b.slug}/projects/{project.pk}/").status_code == 404
    assert client.get(f"/api/v1/orgs/{org_b.slug}/projects/").json()["results"] == []
    assert client.get(f"/api/v1/orgs/{org_a.slug}/projects/").status_code == 404
    client.force_login(world.admin.user)
    url = f"/api/v1/orgs/{org_a.slug}/projects/"
    with count_queries() as ctx:
        client.get(url)
    small = len(ctx.app_queries)
    for i in range(4):
        running(make_world(org_a, prefix=f"p{i}-"))
    with count_queries() as ctx:
        assert len(client.get(url).json()["results"]) == 5
    assert len(ctx.app_queries) == small
