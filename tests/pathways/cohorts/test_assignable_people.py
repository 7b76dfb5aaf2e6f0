"""Assigning a coach or sponsor finds the people as the admin types: the assign field asks the
cohort's ``people`` address for the options of its list, a few at a time, never everyone."""

from __future__ import annotations

import re

import pytest

from organizations.models import Membership
from organizations.tenancy import tenant_context
from pathways.cohorts.queries import ASSIGNABLE_SHOWN
from pathways.models import CohortCoach
from tests.conftest import count_queries, make_member, make_pathway


def _url(org, cohort_id, kind="coach", text=None):
    url = f"/o/{org.slug}/cohorts/{cohort_id}/staff/{kind}/people/"
    return url if text is None else f"{url}?{kind}-email={text}"


def _options(response):
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]*)">([^<]*)</option>', response.content.decode())


def test_it_offers_active_holders_of_the_role_not_yet_assigned_by_name(
    client, org_a, org_b, admin_a
):
    fixture = make_pathway(org_a)
    zoe = make_member(org_a, "zoe@a.example", is_coach=True)
    make_member(org_a, "amy@a.example", is_coach=True, is_sponsor=True)
    make_member(org_a, "ben@a.example", is_sponsor=True)
    make_member(org_a, "gone@a.example", is_coach=True, is_active=False)
    make_member(org_a, "learner@a.example", is_learner=True)
    make_member(org_a, "cy&<b>@a.example", is_coach=True)
    make_member(org_b, "stranger@b.example", is_coach=True, is_sponsor=True)
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=fixture.cohort, membership=zoe)
    client.force_login(admin_a.user)
    coaches = _options(client.get(_url(org_a, fixture.cohort.pk)))
    assert coaches == [("amy@a.example", "Amy"), ("cy&amp;&lt;b&gt;@a.example", "Cy&amp;&lt;B&gt;")]
    sponsors = _options(client.get(_url(org_a, fixture.cohort.pk, "sponsor")))
    assert sponsors == [("amy@a.example", "Amy"), ("ben@a.example", "Ben")]
    # What is typed is looked for in names and e-mails, capitals ignored, its wildcards literal.
    assert _options(client.get(_url(org_a, fixture.cohort.pk, "coach", "AMY"))) == [
        ("amy@a.example", "Amy")
    ]
    assert _options(client.get(_url(org_a, fixture.cohort.pk, "coach", "%26%3C"))) == [
        ("cy&amp;&lt;b&gt;@a.example", "Cy&amp;&lt;B&gt;")
    ]
    assert _options(client.get(_url(org_a, fixture.cohort.pk, "coach", "%25"))) == []
    assert _options(client.get(_url(org_a, fixture.cohort.pk, "coach", "_"))) == []
    assert client.get(_url(org_a, fixture.cohort.pk, "mentor")).status_code == 404


def test_it_shows_a_few_at_most_in_one_query_however_many_coaches(client, org_a, admin_a):
    fixture = make_pathway(org_a)
    client.force_login(admin_a.user)
    counts = []
    for many in (1, ASSIGNABLE_SHOWN + 5):
        for i in range(len(counts) and many - 1):
            make_member(org_a, f"c{i:02d}@a.example", is_coach=True)
        if not counts:
            make_member(org_a, "first@a.example", is_coach=True)
        client.get(_url(org_a, fixture.cohort.pk))  # the session's once-a-minute note first
        with count_queries() as ctx:
            options = _options(client.get(_url(org_a, fixture.cohort.pk)))
        counts.append(len(ctx.app_queries))
        reads = [q for q in ctx.app_queries if "organizations_membership m" in q["sql"]]
        assert len(reads) == 1
    assert counts[0] == counts[1]
    assert len(options) == ASSIGNABLE_SHOWN
    assert [email for email, _name in options] == [
        f"c{i:02d}@a.example" for i in range(ASSIGNABLE_SHOWN)
    ]


@pytest.mark.parametrize("kind", ["coach", "sponsor"])
def test_another_organisations_admin_gets_404_and_others_may_not_ask(
    client, org_a, org_b, admin_a, kind
):
    fixture = make_pathway(org_a)
    make_member(org_a, "zoe@a.example", is_coach=True, is_sponsor=True)
    other_admin = make_member(org_b, "admin@b.example", is_admin=True)
    client.force_login(other_admin.user)
    # Their own organisation's address with this cohort's id: not found, no one listed.
    response = client.get(_url(org_b, fixture.cohort.pk, kind))
    assert response.status_code == 404
    assert "zoe@" not in response.content.decode()
    assert client.get(_url(org_a, fixture.cohort.pk, kind)).status_code == 404
    coach = make_member(org_a, "coach-only@a.example", is_coach=True)
    client.force_login(coach.user)
    assert client.get(_url(org_a, fixture.cohort.pk, kind)).status_code in (403, 404)
    with tenant_context(org_a):
        assert Membership.objects.filter(user__email="zoe@a.example").exists()


def test_the_cohort_page_lists_only_the_cohorts_staff_and_asks_for_the_rest(client, org_a, admin_a):
    fixture = make_pathway(org_a)
    zoe = make_member(org_a, "zoe@a.example", is_coach=True)
    for i in range(30):
        make_member(org_a, f"coach{i}@a.example", is_coach=True)
    with tenant_context(org_a):
        CohortCoach.objects.create(cohort=fixture.cohort, membership=zoe)
    client.force_login(admin_a.user)
    page = client.get(f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/").content.decode()
    assert "zoe@a.example" in page and "coach1@a.example" not in page
    assert f'hx-get="/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/staff/coach/people/"' in page
    assert '<datalist id="coach-people"></datalist>' in page
    assert "<select" not in page.split('id="add-learners"')[1]
