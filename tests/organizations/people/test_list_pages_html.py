"""The people page and the audit log written in Python (organizations/people/list_pages.py)
against the templates they replaced, kept beside this file (``replaced/``) as they were, each
table's rows as the template loop they once were: the same bytes for the full pages and their
htmx partials, empty, filtered, on a later page, past the counted bounds, with an invalid
filter, with people not invited and accounts asked to join, and with names, values and words
that need escaping (``<b>&"'``)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.http import QueryDict
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from organizations.audit import record_change
from organizations.models import AuditEntry, Invitation, Membership, Team, User
from organizations.paging import NextPage
from organizations.people import counts as people_counts
from organizations.people import list_pages, queries
from organizations.people.forms import AuditFilterForm, PeopleFilterForm
from organizations.relative_dates import relative_time
from organizations.tenancy import tenant_context
from tests.conftest import make_member

REPLACED = Path(__file__).parent / "replaced"
PEOPLE = Template((REPLACED / "people_content.html").read_text())
AUDIT = Template((REPLACED / "audit_content.html").read_text())
TRICKY = "<b>&\"'"
_OPENING = '<main id="main" class="container" tabindex="-1">\n    \n    '
_TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+')


def _tokens(text: str) -> str:
    return _TOKEN.sub(r"\1TOKEN", text)


def _content(response: Any) -> str:
    """The page's content block (what the template wrote inside ``<main>``)."""
    page = response.content.decode()
    start = page.index(_OPENING) + len(_OPENING)
    return _tokens(page[start : page.rindex("\n  </main>")])


def _partial(old: str, section_id: str) -> str:
    """The results partial within the content the old template wrote."""
    start = old.index(f'\n<section id="{section_id}"')
    return old[start : old.index("</section>\n", start) + len("</section>\n")]


def _get(params: dict[str, Any]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query[key] = str(value)
    return query


def _old_people(org: Any, params: dict[str, Any]) -> str:
    """What the people template wrote, its context made as its view made it."""
    get = _get(params)
    with tenant_context(org), timezone.override(org.time_zone):
        overview = queries.people_overview(get.get("team"))
        form = PeopleFilterForm(get or None, choices=overview.choices)
        filters = (
            queries.PeopleFilters(**form.cleaned_data)
            if form.is_valid()
            else queries.PeopleFilters()
        )
        listing = queries.people_list_page(filters, get.get("page"))
        query = get.copy()
        query.pop("page", None)
        not_invited = overview.not_invited
        context = {
            "org": org,
            "request": SimpleNamespace(resolver_match=SimpleNamespace(url_name="people_list")),
            "csrf_token": "TOKEN",
            "form": form,
            "page": listing.page,
            "people": listing.people,
            "people_url": reverse("people_list", args=[org.slug]),
            "total": listing.total,
            "total_more": listing.more,
            "query": query.urlencode(),
            "filtered": form.is_valid() and any(form.cleaned_data.values()),
            "not_invited": min(not_invited, queries.NOT_INVITED_COUNTED),
            "not_invited_more": not_invited > queries.NOT_INVITED_COUNTED,
            "pending_joins": overview.pending_joins,
            "pending_joins_shown": queries.PENDING_JOINS_SHOWN,
        }
        return PEOPLE.render(Context(context))


def _old_audit(org: Any, params: dict[str, Any]) -> str:
    """What the audit template wrote, its context made as its view made it."""
    get = _get(params)
    with tenant_context(org), timezone.override(org.time_zone):
        form = AuditFilterForm(get or None, choices=queries.audit_choices())
        form.is_valid()
        filters = queries.AuditFilters(**getattr(form, "cleaned_data", {}))
        page, lines = queries.audit_page(filters, get.get("page"))
        names = queries.reference_names(s for line in lines for s in (line.before, line.after))
        now = timezone.now()
        entries = [
            {
                "created_at": line.created_at,
                "ago": relative_time(line.created_at, now),
                "actor": line.actor,
                "action": line.action,
                "object_type": line.object_type,
                "object_repr": line.object_repr,
                "diff": queries.audit_diff(line.before, line.after, names),
            }
            for line in lines
        ]
        query = get.copy()
        query.pop("page", None)
        context = {
            "org": org,
            "form": form,
            "page": page,
            "entries": entries,
            "query": query.urlencode(),
        }
        return AUDIT.render(Context(context))


@pytest.fixture
def people(org_a, org_b):
    """An organisation whose people need every kind of cell: names, titles, teams and
    managers that need escaping, every status, and an account asked to join."""
    org_a.time_zone = "Europe/London"
    org_a.save(update_fields=["time_zone"])
    with tenant_context(org_a):
        team = Team.objects.create(name=TRICKY)
    admin = make_member(org_a, "boss@acme.example", is_admin=True)
    admin.user.full_name = TRICKY
    admin.user.save(update_fields=["full_name"])
    manager = make_member(org_a, "lead@acme.example", team=team, is_coach=True)
    members = [
        make_member(org_a, f"p{i:02d}@acme.example", team=team if i % 2 else None, is_learner=True)
        for i in range(56)
    ]
    with tenant_context(org_a):
        Membership.objects.filter(pk=members[0].pk).update(
            manager=manager, job_title=TRICKY, function="R&D"
        )
        Membership.objects.filter(pk=members[1].pk).update(function="Sales")
        Membership.objects.filter(pk=members[2].pk).update(is_active=False)
        User.objects.filter(pk__in=[m.user_id for m in members[3:6]]).update(password="!x")
        Invitation.objects.create(membership=members[3], email=members[3].user.email)
        joiner = User.objects.create_user(email="join&me@globex.example", password="x")
        for i in range(queries.PENDING_JOINS_SHOWN + 1):
            Invitation.objects.create(
                user=joiner,
                email=f"j{i}{TRICKY}@example.com",
                terms={"roles": ["learner", "coach"]},
                sent_at=dt.datetime(2026, 3, 29, 0, 30 + i, tzinfo=dt.UTC),
            )
    make_member(org_b, "other@globex.example", is_learner=True)
    return SimpleNamespace(org=org_a, admin=admin, team=team)


_PEOPLE_SHAPES: list[dict[str, Any]] = [
    {},
    {"page": 2},
    {"page": 99},
    {"q": TRICKY},
    {"q": "p0"},
    {"q": "nobody at all"},
    {"status": "not_invited"},
    {"status": "deactivated", "role": "learner"},
    {"function": "R&D"},
    {"team": "abc"},
    {"status": "bogus", "q": "p1"},
]


@pytest.mark.parametrize("params", _PEOPLE_SHAPES)
def test_the_people_page_is_what_its_template_wrote(client, people, params):
    client.force_login(people.admin.user)
    url = f"/o/{people.org.slug}/people/"
    response = client.get(url, params)
    old = _old_people(people.org, params)
    assert _content(response) == old
    partial = client.get(url, params, headers={"HX-Request": "true"})
    assert partial.content.decode() == _partial(old, "people-results")


def test_the_people_page_past_its_counted_bounds_and_a_team(client, people, monkeypatch):
    """More than the counted people match, more than the counted are not invited; a team
    chosen."""
    monkeypatch.setattr(queries, "PEOPLE_COUNTED", 3)
    monkeypatch.setattr(queries, "NOT_INVITED_COUNTED", 1)
    client.force_login(people.admin.user)
    for params in ({}, {"team": people.team.pk, "page": 2}):
        response = client.get(f"/o/{people.org.slug}/people/", params)
        assert _content(response) == _old_people(people.org, params)
        # Everyone is counted exactly where the count is kept at write time (PostgreSQL).
        more = bool(params) or not people_counts.stored()
        assert ("More than 3 people" in response.content.decode()) is more


def test_one_person_not_invited_and_no_people(client, people):
    with tenant_context(people.org):
        User.objects.filter(email__in=["p05@acme.example"]).update(password="set")
    client.force_login(people.admin.user)
    response = client.get(f"/o/{people.org.slug}/people/")
    assert "1 person has not been invited yet" in response.content.decode()
    assert _content(response) == _old_people(people.org, {})
    # No people at all (an organisation's admin is one, so only the partial shows it).
    context = {
        "org": people.org,
        "people": [],
        "page": NextPage([], 1, 50, False),
        "total": 0,
        "total_more": False,
        "filtered": False,
        "query": "",
    }
    empty = _partial(PEOPLE.render(Context({**context, "form": {}})), "people-results")
    assert empty.count("No people yet") == 1
    written = list_pages.people_results_html(
        org_slug=people.org.slug,
        people=[],
        page=context["page"],
        total=0,
        total_more=False,
        filtered=False,
        query="",
    )
    assert written == empty


@pytest.fixture
def log(people):
    """Sixty entries, by a person whose name needs escaping and by the system, with every
    kind of change: added, removed, changed, references named, values that need escaping,
    yes and no, lists and nested values, none at all."""
    org = people.org
    actor = people.admin.user
    start = dt.datetime(2026, 3, 28, 23, 59, 58, tzinfo=dt.UTC)  # around the clocks' change
    snapshots = [
        ({"name": "Old"}, {"name": TRICKY}),
        (None, {"team": people.team.pk, "is_active": True, "position": 3}),
        ({"team": people.team.pk, "tags": ["a", "b"]}, None),
        ({"team": 987654321}, {"team": None, "data": {"k": [1, TRICKY]}}),
        ({"id": 1, "same": 2}, {"id": 1, "same": 2}),
        ("plain", TRICKY),
        (None, None),
    ]
    with tenant_context(org):
        for i in range(60):
            before, after = snapshots[i % len(snapshots)]
            entry = record_change(
                actor if i % 5 else None,
                "created" if i % 3 == 0 else "updated",
                object_type="Team" if i % 2 else "Cost Line",
                object_id=i,
                object_repr=TRICKY if i % 4 == 0 else f"ElectiveGroup object ({i})",
                before=before,
                after=after,
            )
            AuditEntry.objects.filter(pk=entry.pk).update(
                created_at=start + dt.timedelta(minutes=37 * i)
            )
    return people


_AUDIT_SHAPES: list[dict[str, Any]] = [
    {},
    {"page": 2},
    {"page": 3},
    {"action": "created"},
    {"object_type": "Cost Line", "page": 2},
    {"date_from": "2026-03-30", "date_to": "2026-03-29"},
    {"date_from": "2099-01-01"},
    {"actor": 987654321},
]


@pytest.mark.parametrize("params", _AUDIT_SHAPES)
def test_the_audit_log_is_what_its_template_wrote(client, log, params):
    client.force_login(log.admin.user)
    url = f"/o/{log.org.slug}/audit/"
    response = client.get(url, params)
    old = _old_audit(log.org, params)
    assert _content(response) == old
    partial = client.get(url, params, headers={"HX-Request": "true"})
    assert partial.content.decode() == _partial(old, "audit-results")


def test_the_cells_are_escaped_as_django_escapes_them():
    from django.utils.html import escape

    texts = ["", TRICKY, "a\x00b", "plain", "é → ü"]
    assert list_pages.escape_each(texts) == [escape(t) for t in texts]
    assert list_pages.escape_each(["x", "y"]) == ["x", "y"]
    assert list_pages.escape_each([]) == []


@pytest.mark.parametrize("zone_name", ["Europe/London", "Australia/Lord_Howe", "UTC"])
def test_the_kept_relative_moments_are_what_relative_time_says(zone_name):
    """``list_pages.relative_moment`` keeps what ``relative_time`` says by what it depends on:
    the same words for every span either way, across a change of the clocks."""
    import zoneinfo

    zone = zoneinfo.ZoneInfo(zone_name)
    list_pages._agos.clear()
    for now in (
        dt.datetime(2026, 3, 29, 0, 40, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 25, 12, 0, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 4, 5, 15, 29, 59, tzinfo=dt.UTC),
    ):
        today = now.astimezone(zone).date()
        for seconds in [*range(-200_000, 200_000, 997), -29, -30, 29, 30, 89, 90, -5399, 86399]:
            value = now + dt.timedelta(seconds=seconds)
            kept = list_pages.relative_moment(value, now, today, zone, "en-gb")
            assert kept == relative_time(value, now, zone), (now, seconds)


def test_the_kept_filters_are_the_ones_drawn(client, log):
    """A second request with the same values and choices is served the filters kept from the
    first: the same bytes as the templates wrote, errors included; a new team is drawn."""
    client.force_login(log.admin.user)
    people_url = f"/o/{log.org.slug}/people/"
    audit_url = f"/o/{log.org.slug}/audit/"
    wrong_days = {"date_from": "2026-03-30", "date_to": "2026-03-29"}
    for _ in range(2):
        assert _content(client.get(people_url)) == _old_people(log.org, {})
        assert _content(client.get(people_url, {"team": "abc"})) == _old_people(
            log.org, {"team": "abc"}
        )
        assert _content(client.get(audit_url, wrong_days)) == _old_audit(log.org, wrong_days)
    with tenant_context(log.org):
        Team.objects.create(name="A new team")
    page = client.get(people_url)
    assert "A new team" in page.content.decode()
    assert _content(page) == _old_people(log.org, {})
