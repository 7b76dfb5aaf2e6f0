"""The security events tables written in Python (organizations/accounts/tables.py) and the
organisation's events read as SQL text: the same HTML as the template loop they replaced, the
same rows as the ORM read, in one statement, never another organisation's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone
from freezegun import freeze_time

from organizations.accounts import queries, tables
from organizations.accounts.queries import EventRow
from organizations.models import SecurityEvent, User
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, make_member

# The rows of templates/organizations/accounts/_events.html as its loop wrote them.
_TEMPLATE_ROWS = (
    "{% load relative_dates %}{% for e in events %}\n"
    "    <tr>\n"
    "      <td><time datetime=\"{{ e.created_at|date:'c' }}\">"
    '{{ e.created_at|date:"j M Y, H:i T" }}</time><br>'
    '<span class="muted">{{ e.created_at|relative_time:"text" }}</span></td>\n'
    "      {% if show_person %}<td>{{ e.person }}</td>{% endif %}\n"
    "      <td><strong>{{ e.label }}</strong>{% if e.organization %}<br>"
    '<span class="muted">{{ e.organization }}</span>{% endif %}</td>\n'
    '      <td>{{ e.ip_address|default:"—" }}<br>'
    '<span class="muted">{{ e.user_agent|truncatechars:60 }}</span></td>\n'
    "    </tr>\n"
    "  {% endfor %}"
)

NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
AGENTS = [
    "",
    "Firefox",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)",
    "<script>alert(\"x\")</script> & 'quoted' Browser/1.0 with a rather long tail to cut",
    "Cafe\u0301 browser e\u0301e\u0301 with combining accents, long enough to be cut short",
    "x" * 60,
    "y" * 61,
]


def _events() -> list[EventRow]:
    """Rows of every shape: names and places to escape, browsers to cut, no address, moments
    across a change of clocks (1:30 on 1 November 2026 happens twice in New York)."""
    moments = [
        NOW - dt.timedelta(seconds=10),
        NOW - dt.timedelta(minutes=7),
        NOW - dt.timedelta(hours=5, minutes=31),
        dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 8, 7, 5, 9, 123456, tzinfo=dt.UTC),
        NOW - dt.timedelta(days=400),
        NOW + dt.timedelta(minutes=3),
    ]
    return [
        EventRow(
            kind="signed_in",
            label=["Signed in", "Sign-in failed", "legacy_kind", "<b>&"][i % 4],
            person=["Leo Martins", "O'Brien & <Sons>", 'cora@"both".example'][i % 3],
            ip_address=["", "192.0.2.1", "2001:db8::7"][i % 3],
            user_agent=AGENTS[i % len(AGENTS)],
            created_at=moment,
            organization=["", "Acme & Co <Ltd>"][i % 2],
        )
        for i, moment in enumerate(moments)
    ]


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("show_person", [True, False])
def test_the_event_rows_are_what_the_template_wrote(zone, show_person):
    events = _events()
    with freeze_time(NOW), timezone.override(zone):
        expected = Template(_TEMPLATE_ROWS).render(
            Context({"events": events, "show_person": show_person})
        )
        ours = "".join(tables.event_table(events, show_person))
    assert ours == expected


def test_the_organisations_events_read_as_sql_are_the_orms(org_a, org_b, admin_a):
    """Its members' events outside any organisation or in this one, newest first (the newer
    id first at the same moment), named by full name or else e-mail, a page at a time."""
    leo = make_member(org_a, "leo@acme.example", is_learner=True)
    cora = make_member(org_a, "cora@both.example", is_coach=True)
    make_member(org_b, "cora@both.example", is_learner=True)
    eve = make_member(org_b, "eve@globex.example", is_learner=True)
    User.objects.filter(pk=leo.user_id).update(full_name="")
    start = timezone.now() - dt.timedelta(days=2)
    kinds = ["signed_in", "role_switched", "sign_in_failed", "legacy_kind"]
    events = []
    for i in range(230):
        events.append(
            SecurityEvent(
                kind=kinds[i % 4],
                user=[leo.user, cora.user, admin_a.user, eve.user][i % 4],
                organization=[None, org_a, org_b][i % 3],
                ip_address=[None, "192.0.2.1", "2001:db8::7"][i % 3],
                user_agent=AGENTS[i % len(AGENTS)],
                # Pairs at one moment: the newer id comes first.
                created_at=start + dt.timedelta(minutes=i // 2),
            )
        )
    events.append(SecurityEvent(kind="sign_in_failed", email="nobody@acme.example"))
    SecurityEvent.objects.bulk_create(events)
    with tenant_context(org_a):
        for number in ("1", "2", "3", "4", None, "x"):
            with count_queries() as ctx:
                page, rows = queries.organization_events_page(org_a, number)
            orm_page, orm_rows = queries._page(queries.organization_events(org_a), number)
            # One statement; past the end (page 4), one more for the first page.
            assert len(ctx.app_queries) == (2 if number == "4" else 1)
            assert rows == orm_rows
            assert (page.number, page.has_next) == (orm_page.number, orm_page.has_next)
            assert rows and page.number == (int(number) if number in ("2", "3") else 1)
        _page, first = queries.organization_events_page(org_a, "1")
    assert len(first) == queries.EVENTS_PER_PAGE
    assert {r.person for r in first} == {"leo@acme.example", "Cora", "Admin"}
    assert {r.organization for r in first} == {"", "Acme"}
    with tenant_context(org_b):
        _page, globex = queries.organization_events_page(org_b, "1")
    assert {r.person for r in globex} == {"Cora", "Eve"}
    assert {r.organization for r in globex} == {"", "Globex"}


def test_the_demo_gives_every_learner_a_sign_in_once(org_a, org_b):
    """``seed_security``: the named people's few events and each learner's last sign-in, so
    that the organisation's events page is full at any size (as in service); a second run adds
    nothing, and the history is never another organisation's."""
    from organizations.demo import DemoPeople, seed_security

    with tenant_context(org_a):
        admin = make_member(org_a, "admin@a.test", is_admin=True)
        coach = make_member(org_a, "coach@a.test", is_coach=True)
        sponsor = make_member(org_a, "sponsor@a.test", is_sponsor=True)
        learners = [
            make_member(org_a, f"l{i:03d}@a.test", is_learner=True)
            for i in range(queries.EVENTS_PER_PAGE + 5)
        ]
        people = DemoPeople(org_a, admin, learners[0], coach, sponsor, learners, {})
        seed_security(people)
        events = SecurityEvent.objects.count()
        history = SecurityEvent.objects.filter(detail={"demo": "history"})
        assert history.count() == len(learners) - 1
        assert len(set(history.values_list("created_at", flat=True))) == len(learners) - 1
        seed_security(people)
        assert SecurityEvent.objects.count() == events
        page, rows = queries.organization_events_page(org_a, None)
        assert len(rows) == queries.EVENTS_PER_PAGE and page.has_next
        later, more = queries.organization_events_page(org_a, "2")
        assert more and not later.has_next
        assert len(rows) + len(more) == events
    with tenant_context(org_b):
        assert queries.organization_events_page(org_b, None)[1] == []
