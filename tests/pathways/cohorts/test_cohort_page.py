"""The cohort page at scale: figures from the progress roll-up with their freshness, learners
searched and paged in the database (htmx swaps, plain links without JavaScript), the same
queries and a bounded page whatever the cohort's size, downloads with every row."""

from __future__ import annotations

import csv
import io
import re

import pytest

from measurement.services import do_rollup_progress
from organizations.models import Membership, User
from organizations.tenancy import tenant_context
from pathways.cohorts.queries import LEARNERS_PER_PAGE
from pathways.models import Enrollment, PathwayVersion, StepCompletion
from tests.conftest import count_queries, enroll, make_member, make_pathway


@pytest.fixture
def admin_a(org_a):
    return make_member(org_a, "boss@acme.example", is_admin=True)


def _learners(org, fixture, start, stop, done=1):
    """Learners ``l{start}`` … ``l{stop - 1}`` enrolled in the fixture's cohort, each having
    done ``done`` steps (bulk inserts: hundreds of learners in a moment)."""
    emails = [f"l{i:04d}@{org.slug}.example" for i in range(start, stop)]
    User.objects.bulk_create(
        [User(email=e, full_name=f"Learner {e[1:5]}", password="!") for e in emails]
    )
    users = User.objects.filter(email__in=emails)
    with tenant_context(org):
        Membership.objects.bulk_create(
            [Membership(organization=org, user=u, is_learner=True) for u in users]
        )
        members = list(Membership.objects.filter(user__email__in=emails))
        Enrollment.objects.bulk_create(
            [
                Enrollment(
                    organization=org, cohort=fixture.cohort, learner=m, version=fixture.version
                )
                for m in members
            ]
        )
        StepCompletion.objects.bulk_create(
            [
                StepCompletion(
                    organization=org, enrollment=e, learner_id=e.learner_id, step_key=s.key
                )
                for e in Enrollment.objects.filter(learner__in=members)
                for s in fixture.steps[:done]
            ]
        )
        do_rollup_progress(org)


def _url(org, fixture, query=""):
    return f"/o/{org.slug}/cohorts/{fixture.cohort.pk}/{query}"


def test_it_reads_progress_from_the_rollup_and_says_how_fresh_it_is(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a, n_steps=4)
    _learners(org_a, fixture, 0, 3, done=2)
    client.force_login(admin_a.user)
    page = client.get(_url(org_a, fixture)).content.decode()
    assert "Progress as of" in page and "6 of 12 required steps" in page
    # A fact the roll-up has not counted yet and a learner enrolled since: the page says so
    # rather than working every enrolment out again.
    late = make_member(org_a, "late@acme.example", is_learner=True)
    enroll(org_a, fixture, late)
    page = client.get(_url(org_a, fixture)).content.decode()
    assert "6 of 12 required steps" in page
    assert "1 learner added since then is counted next time." in page
    assert "not counted yet" in page
    with tenant_context(org_a):
        do_rollup_progress(org_a)
    page = client.get(_url(org_a, fixture)).content.decode()
    assert "6 of 16 required steps" in page and "added since then" not in page


def test_it_pages_and_searches_learners_in_the_database(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a)
    _learners(org_a, fixture, 0, LEARNERS_PER_PAGE + 10)
    client.force_login(admin_a.user)
    first = client.get(_url(org_a, fixture)).content.decode()
    assert first.count("/withdraw/") == LEARNERS_PER_PAGE
    assert "l0000@" in first and f"l{LEARNERS_PER_PAGE:04d}@" not in first
    assert 'rel="next" href="?show=all&amp;page=2"' in first  # a real link, no JavaScript
    second = client.get(_url(org_a, fixture, "?show=all&page=2")).content.decode()
    assert second.count("/withdraw/") == 10 and f"l{LEARNERS_PER_PAGE:04d}@" in second
    found = client.get(_url(org_a, fixture, "?q=L0007")).content.decode()
    assert found.count("/withdraw/") == 1 and "l0007@" in found
    assert "1 learner matches “L0007”" in found
    # htmx swaps the learners' section only.
    partial = client.get(_url(org_a, fixture, "?q=l0007"), HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<section id="cohort-learners"') and "<html" not in partial
    assert "l0007@" in partial
    nobody = client.get(_url(org_a, fixture, "?q=nobody")).content.decode()
    assert "Nobody matches this search" in nobody


def test_the_overdue_and_not_started_views_come_from_the_rollup(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a, n_steps=2)
    _learners(org_a, fixture, 0, 2, done=0)
    _learners(org_a, fixture, 2, 4, done=2)
    client.force_login(admin_a.user)
    not_started = client.get(_url(org_a, fixture, "?show=not_started")).content.decode()
    assert "l0000@" in not_started and "l0001@" in not_started and "l0002@" not in not_started
    assert "Not started (2)" in not_started


def test_the_download_has_every_learner_of_the_view(client, org_a, org_b, admin_a):
    fixture = make_pathway(org_a)
    _learners(org_a, fixture, 0, LEARNERS_PER_PAGE + 10)
    client.force_login(admin_a.user)
    response = client.get(_url(org_a, fixture, "?show=all&format=csv"))
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(response.streaming_content).decode("utf-8-sig")
                if response.streaming
                else response.content.decode("utf-8-sig")
            )
        )
    )
    assert rows[0][:2] == ["Learner", "E-mail"] and len(rows) == LEARNERS_PER_PAGE + 11
    assert rows[1][4:7] == ["1", "4", "25"]  # steps done, steps total, percent (roll-up)
    searched = client.get(_url(org_a, fixture, "?q=l0003&format=csv"))
    body = b"".join(searched.streaming_content) if searched.streaming else searched.content
    assert len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) == 2


@pytest.mark.parametrize(
    "query", ["", "?show=overdue", "?show=not_started", "?q=learner", "?show=all&page=2"]
)
def test_the_page_runs_the_same_queries_and_stays_small_for_5_and_120_learners(
    client, org_a, org_b, admin_a, query
):
    fixture = make_pathway(org_a)
    client.force_login(admin_a.user)
    counts, sizes = [], []
    for start, stop in ((0, 5), (5, 120)):
        _learners(org_a, fixture, start, stop)
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            with count_queries() as ctx:
                response = client.get(_url(org_a, fixture, query), **headers)
            assert response.status_code == 200
            counts.append(len(ctx.app_queries))
            sizes.append(len(response.content))
    assert counts[:2] == counts[2:]
    # One page of learners at most, whatever the cohort's size.
    assert max(sizes) < 120_000


def test_another_organisations_admin_gets_404_for_every_view_of_the_page(client, org_a, org_b):
    fixture = make_pathway(org_a)
    _learners(org_a, fixture, 0, 3)
    intruder = make_member(org_b, "intruder@globex.example", is_admin=True)
    make_pathway(org_b, name="Globex path")
    client.force_login(intruder.user)
    for query in ("", "?q=l0001", "?show=overdue&page=2", "?format=csv"):
        assert client.get(f"/o/{org_b.slug}/cohorts/{fixture.cohort.pk}/{query}").status_code == 404
        assert (
            client.get(
                f"/o/{org_a.slug}/cohorts/{fixture.cohort.pk}/{query}", HTTP_HX_REQUEST="true"
            ).status_code
            == 404
        )


def test_the_views_count_every_enrolment_they_list_withdrawn_and_deactivated_people_included(
    client, org_a, org_b, admin_a
):
    """The unsearched "all" and "withdrawn" views take their count from the page's overview, a
    search counts in the overview's statement (as many queries): it is the number of rows they
    list."""
    fixture = make_pathway(org_a)
    _learners(org_a, fixture, 0, 5)
    with tenant_context(org_a):
        Enrollment.objects.filter(learner__user__email__startswith="l0001@").update(
            status=Enrollment.Status.WITHDRAWN
        )
        Membership.objects.filter(user__email__startswith="l0002@").update(is_active=False)
    _learners(org_b, make_pathway(org_b, name="Globex path"), 0, 3)
    client.force_login(admin_a.user)
    with count_queries() as plain:
        every = client.get(_url(org_a, fixture)).content.decode()
    assert "5 learners in this view" in every and every.count("l000") >= 5
    assert '<span class="stat__value">3</span> <span class="stat__label">learners' in every
    with count_queries() as searched:
        found = client.get(_url(org_a, fixture, "?q=l000")).content.decode()
    assert "5 learners match" in found
    assert len(plain.app_queries) == len(searched.app_queries)
    withdrawn = client.get(_url(org_a, fixture, "?show=withdrawn")).content.decode()
    assert "1 learner in this view" in withdrawn and "l0001@" in withdrawn
    assert "l0000@" not in withdrawn


def test_the_add_by_filter_page_lists_every_team_and_keeps_the_choice(
    client, org_a, org_b, admin_a
):
    """The team list is rendered without a template per option; the same select as Django's."""
    from organizations.models import Team

    fixture = make_pathway(org_a)
    with tenant_context(org_a):
        teams = [Team.objects.create(name=f"Team <{i:03d}> & co") for i in range(300)]
    with tenant_context(org_b):
        Team.objects.create(name="Globex secret team")
    client.force_login(admin_a.user)
    # The cohort page links to the filters; the page that adds learners by filter lists the teams.
    cohort_page = client.get(_url(org_a, fixture)).content.decode()
    assert "Team &lt;" not in cohort_page and "<select" not in cohort_page
    assert f'href="{_url(org_a, fixture, "learners/add-matching/")}"' in cohort_page
    page = client.get(_url(org_a, fixture, "learners/add-matching/")).content.decode()
    assert page.count("&lt;") >= 300 and "Team &lt;299&gt; &amp; co" in page
    assert "Globex secret team" not in page
    assert f'<option value="{teams[0].pk}">Team &lt;000&gt; &amp; co</option>' in page
    preview = client.get(
        _url(org_a, fixture, f"learners/add-matching/?team={teams[7].pk}")
    ).content.decode()
    assert f'<option value="{teams[7].pk}" selected>' in preview


def test_the_rows_show_each_kind_of_learner_escaped_and_searches_take_wildcards_literally(
    client, org_a, org_b, admin_a
):
    """The rows written in Python: a withdrawn learner keeps the steps they had done and has
    no withdraw form, an uncounted one says so, names are escaped everywhere they appear, and a
    search for ``%`` or ``_`` finds those characters, not everyone."""
    from organizations.models import Team

    fixture = make_pathway(org_a, n_steps=4)
    _learners(org_a, fixture, 0, 2, done=2)
    with tenant_context(org_a):
        team = Team.objects.create(name="Ops <&> Co")
        User.objects.filter(email="l0000@acme-t.example").update(full_name="Ann <b>100%</b>")
        Membership.objects.filter(user__email="l0000@acme-t.example").update(team=team)
        Enrollment.objects.filter(learner__user__email="l0001@acme-t.example").update(
            status=Enrollment.Status.WITHDRAWN
        )
        moved_to = PathwayVersion.objects.create(
            pathway=fixture.version.pathway, number=2, status=PathwayVersion.Status.PUBLISHED
        )
        Enrollment.objects.filter(learner__user__email="l0000@acme-t.example").update(
            version=moved_to
        )
    late = make_member(org_a, "late_one@acme.example", is_learner=True)
    enroll(org_a, fixture, late)
    _learners(org_b, make_pathway(org_b, name="Globex path"), 0, 2)
    client.force_login(admin_a.user)
    page = client.get(_url(org_a, fixture)).content.decode()
    assert "Ann &lt;b&gt;100%&lt;/b&gt;" in page and "<b>100%" not in page
    # Only the learner following another version than the cohort's has its badge.
    assert page.count('<span class="badge badge--draft">v') == 1
    assert (
        '<span class="muted">l0000@acme-t.example</span> <span class="badge badge--draft">v2'
        in page
    )
    assert "<td>Ops &lt;&amp;&gt; Co</td>" in page
    assert 'aria-label="Progress of Ann &lt;b&gt;100%&lt;/b&gt;"' in page
    assert '<span class="visually-hidden"> Ann &lt;b&gt;100%&lt;/b&gt;</span>' in page
    withdrawn = page.split("l0001@acme-t.example")[1].split("</tr>")[0]
    assert '<span class="badge badge--retired">Withdrawn</span>' in withdrawn
    assert "2 of 4 steps" in withdrawn and "/withdraw/" not in withdrawn
    uncounted = page.split("late_one@acme.example")[1].split("</tr>")[0]
    assert '<span class="muted">not counted yet</span>' in uncounted and "/withdraw/" in uncounted
    assert page.count("/withdraw/") == 2
    assert "globex" not in page.lower()
    percent = client.get(_url(org_a, fixture, "?q=100%25")).content.decode()
    assert "1 learner matches “100%”" in percent and "Ann &lt;b&gt;" in percent
    underscore = client.get(_url(org_a, fixture, "?q=late_")).content.decode()
    assert "1 learner matches “late_”" in underscore
    assert "0 learners match" in client.get(_url(org_a, fixture, "?q=_x%25")).content.decode()
    withdrawn_view = client.get(_url(org_a, fixture, "?show=withdrawn&q=L000")).content.decode()
    assert "1 learner matches" in withdrawn_view and "l0001@" in withdrawn_view


@pytest.mark.parametrize(
    "query", ["", "?page=2", "?page=3", "?show=withdrawn", "?show=not_started", "?q=l00"]
)
def test_a_view_of_many_learners_is_walked_by_name_with_the_same_rows(
    client, org_a, org_b, admin_a, monkeypatch, query
):
    """A view of many learners is read by walking its people by name, in a statement of its
    own (its page's size and offset written in it): the same rows, the same queries."""
    from pathways.cohorts import queries

    fixture = make_pathway(org_a)
    _learners(org_a, fixture, 0, 120)
    _learners(org_b, make_pathway(org_b, name="Globex path"), 0, 3)
    with tenant_context(org_a):
        Enrollment.objects.filter(learner__user__email__startswith="l001").update(
            status=Enrollment.Status.WITHDRAWN
        )
    client.force_login(admin_a.user)
    pages, counts, statements = [], [], []
    for walk_from, share in ((queries.WALK_FROM, queries.WALK_SHARE), (1, 1)):
        monkeypatch.setattr(queries, "WALK_FROM", walk_from)
        monkeypatch.setattr(queries, "WALK_SHARE", share)
        with count_queries() as ctx:
            html = client.get(_url(org_a, fixture, query), HTTP_HX_REQUEST="true").content
        pages.append(re.sub(r'(name="csrfmiddlewaretoken" value=)"\w+"', r"\1", html.decode()))
        counts.append(len(ctx.app_queries))
        statements.append(ctx.app_queries[-1]["sql"])
    assert pages[0] == pages[1] and counts[0] == counts[1]
    assert ('<th scope="row">' in pages[0]) == (query != "?show=not_started")  # all have done one
    walked = query in ("", "?page=2", "?q=l00")  # the page ends within the view
    assert ("e.cohort_id = (SELECT" in statements[1]) == walked
    assert "e.cohort_id = (SELECT" not in statements[0]


@pytest.mark.parametrize(
    ("number", "count", "walked"),
    [(1, 10, False), (1, 5000, True), (3, 5000, True), (150, 5000, False)],
)
def test_each_page_statement_has_a_parameter_for_each_placeholder(number, count, walked):
    """Both forms of the page's statement come from one template: each placeholder has its
    parameter (the roll-up period is the last, given apart), the walking form writes its page
    in and reads the cohort by a sub-select."""
    from pathways.cohorts import queries

    where, where_params = " AND e.status = %s", [Enrollment.Status.WITHDRAWN]
    sql, params = queries._page_statement(1, 2, where, where_params, number, count)
    assert sql.count("%s") == len(params) + 1
    assert "{" not in sql and "}" not in sql
    offset = (number - 1) * queries.LEARNERS_PER_PAGE
    assert ("e.cohort_id = (SELECT %s) AND e.status = %s" in sql) == walked
    assert (f"LIMIT {queries.LEARNERS_PER_PAGE} OFFSET {offset}\n" in sql) == walked
    assert ("LIMIT %s OFFSET %s" in sql) != walked
    page = [2, Enrollment.Status.WITHDRAWN] if walked else [queries.LEARNERS_PER_PAGE, offset]
    assert params[-3:] == [*page, 1]  # then the organisation of the roll-up's join


def test_the_page_writes_one_csrf_token_that_its_forms_post_with(org_a, org_b, admin_a):
    """The page's forms, its htmx headers and the site header's sign-out share one masked
    token (the page's), and a form posted with it passes the CSRF check."""
    from django.test import Client
    from django.urls import reverse

    fixture = make_pathway(org_a, n_steps=2)
    _learners(org_a, fixture, 0, 2)
    make_member(org_a, "new@acme.example", is_learner=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_a.user)
    page = client.get(_url(org_a, fixture)).content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    tokens += re.findall(r'"X-CSRFToken": "([^"]+)"', page)
    assert len(tokens) >= 6 and len(set(tokens)) == 1
    add = reverse("cohort_add_learner", args=[org_a.slug, fixture.cohort.pk])
    refused = client.post(add, {"email": "new@acme.example"})
    assert refused.status_code == 403
    posted = client.post(add, {"email": "new@acme.example", "csrfmiddlewaretoken": tokens[0]})
    assert posted.status_code == 302
    with tenant_context(org_a):
        assert Enrollment.objects.filter(learner__user__email="new@acme.example").exists()
