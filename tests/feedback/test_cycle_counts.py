"""The list of 360 cycles reads each cycle's counts from ``CycleCounts``, kept by PostgreSQL
triggers: they must equal the counts of the facts after every kind of change, whatever code
makes it (services, bulk updates, deletes), and the list's queries must not grow with cycles,
learners or raters."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from measurement.feedback import queries
from measurement.feedback.models import Cycle, CycleCounts, Participant, RaterRequest
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, enroll, make_member
from tests.feedback.helpers import answer_all, build_scene, launch, nominate_and_approve

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the counts are kept by PostgreSQL triggers"
)


@pytest.fixture
def scenes(org_a, org_b):
    return build_scene(org_a), build_scene(org_b, prefix="b-")


def _facts(cycle: Cycle) -> tuple[int, int, int]:
    """The counts straight from the facts."""
    counted = RaterRequest.objects.filter(participant__cycle=cycle, pulse__isnull=True).exclude(
        relationship="self"
    )
    return (
        Participant.objects.filter(cycle=cycle).count(),
        counted.exclude(status=RaterRequest.Status.NOMINATED).count(),
        counted.filter(status=RaterRequest.Status.SUBMITTED).count(),
    )


def _kept(cycle: Cycle) -> tuple[int, int, int]:
    c = CycleCounts.objects.get(cycle=cycle)
    return c.learners, c.invited, c.responded


def test_the_kept_counts_follow_every_change_to_the_facts(scenes):
    a, b = scenes
    more = [make_member(a.org, f"l{i}@acme.example", is_learner=True) for i in range(3)]
    for m in more:
        enroll(a.org, a.fixture, m)
    cycle = launch(a)
    other = launch(b)
    with tenant_context(a.org):
        assert _kept(cycle) == _facts(cycle) == (4, 0, 0)
    participant = nominate_and_approve(a, cycle, peers=3, direct_reports=3, others=3)
    with tenant_context(a.org):
        assert _kept(cycle) == _facts(cycle)
        assert _kept(cycle)[1] >= 9
    answer_all(a, participant, lambda r, i: 4, groups=("peer",))
    with tenant_context(a.org):
        assert _kept(cycle) == _facts(cycle)
        assert _kept(cycle)[2] == 3
        # A bulk update, a decline, a delete: the same.
        RaterRequest.objects.filter(participant=participant, relationship="other").update(
            status=RaterRequest.Status.DECLINED
        )
        assert _kept(cycle) == _facts(cycle)
        RaterRequest.objects.filter(participant=participant, relationship="direct_report").delete()
        assert _kept(cycle) == _facts(cycle)
        # Self-assessments and pulses are not counted.
        RaterRequest.objects.filter(participant=participant, relationship="self").update(
            status=RaterRequest.Status.SUBMITTED
        )
        assert _kept(cycle) == _facts(cycle)
        Participant.objects.filter(cycle=cycle, learner=more[0]).delete()
        assert _kept(cycle) == _facts(cycle)
        assert _kept(cycle)[0] == 3
    with tenant_context(b.org):
        assert _kept(other) == _facts(other) == (1, 0, 0)  # untouched by the other's changes
        assert CycleCounts.objects.filter(cycle=cycle).count() == 0  # not visible here
    with tenant_context(a.org):
        Cycle.objects.filter(pk=cycle.pk).delete()  # its rows go too
        assert not CycleCounts.objects.filter(cycle_id=cycle.pk).exists()
    connection.check_constraints()  # nothing left pointing at the deleted cycle


def test_the_cycle_list_shows_the_counts_pages_and_keeps_its_queries(scenes, client):
    a, b = scenes
    cycle = launch(a, title="Spring baseline")
    participant = nominate_and_approve(a, cycle, peers=3)
    answer_all(a, participant, lambda r, i: 4, groups=("peer",))
    launch(b, title="Globex baseline")
    client.force_login(a.admin.user)
    url = reverse("feedback_cycles", args=[a.org.slug])

    def measure() -> tuple[int, str]:
        with count_queries() as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.app_queries), response.content.decode()

    small, html = measure()
    with tenant_context(a.org):
        invited = _facts(cycle)[1]
    assert "Spring baseline" in html and "Globex" not in html
    assert f"3 / {invited}" in html
    for i in range(queries.CYCLES_PER_PAGE + 2):
        launch(a, title=f"Check {i:02d}")
    for i in range(4):
        enroll(a.org, a.fixture, make_member(a.org, f"n{i}@acme.example", is_learner=True))
    large, html = measure()
    assert large == small
    assert "Check 26" in html and "Spring baseline" not in html  # newest first, 25 a page
    second = client.get(url, {"page": 2}).content.decode()
    assert "Spring baseline" in second and "3 / " in second
    with tenant_context(a.org):
        rows = {r.title: r for r in queries.cycle_list()}
        assert (rows["Spring baseline"].responded, rows["Spring baseline"].invited) == (
            3,
            invited,
        )


# The loop of templates/feedback/cycle_list.html before its rows were written in Python.
_CYCLE_LOOP = """{% for c in cycles %}<tr>
    <th scope="row"><a href="{% url 'feedback_cycle' org.slug c.id %}">{{ c.title }}</a><br><span class="muted">{{ c.kind_label }} · {{ c.cohort }}</span></th>
    <td><span class="badge badge--{% if c.status == 'closed' %}done{% else %}info{% endif %}">{{ c.status_label }}</span></td>
    <td class="num">{{ c.learners }}</td>
    <td class="num">{{ c.responded }} / {{ c.invited }}</td>
    <td>{{ c.responses_close_on|date:"j M Y" }}</td>
  </tr>{% endfor %}"""


def test_the_cycle_rows_are_what_the_template_loop_wrote_from_one_statement(scenes, client):
    from django.template import Context, Template

    from measurement.feedback.views import _cycle_rows

    a, _b = scenes
    cycle = launch(a, title="Spring <baseline> & co")
    participant = nominate_and_approve(a, cycle, peers=3)
    answer_all(a, participant, lambda r, i: 4, groups=("peer",))
    closed = launch(a, title="Closed one")
    with tenant_context(a.org):
        Cycle.objects.filter(pk=closed.pk).update(status=Cycle.Status.CLOSED)
        with count_queries() as ctx:
            page, cycles = queries.cycle_page("2")  # past the end: the last (only) page
        assert page.number == 1 and [c.title for c in cycles] == [
            "Closed one",
            "Spring <baseline> & co",
        ]
        assert len(ctx.app_queries) == 2  # the page asked for, then the last one
        with count_queries() as ctx:
            page, cycles = queries.cycle_page(1)
        assert len(ctx.app_queries) == 1
        old = Template(_CYCLE_LOOP).render(Context({"cycles": cycles, "org": a.org}))
        assert "badge--done" in old and "&lt;baseline&gt; &amp; co" in old
        assert _cycle_rows(cycles, a.org.slug) == old
    client.force_login(a.admin.user)
    assert old in client.get(reverse("feedback_cycles", args=[a.org.slug])).content.decode()
