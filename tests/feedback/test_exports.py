"""Downloads of the 360 tables: the cycle list and the cohort picture (admins), a learner's
answers so far, the learner's report and pulses (the learner; their coach once shared). The
page's rows, formulas neutralised, anonymous groups below the threshold left out, the page's
readers only, and a constant number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from measurement.feedback import services
from measurement.feedback.models import Item, RaterRequest, Report
from organizations.tenancy import tenant_context
from pathways.models import CohortCoach
from tests.conftest import make_member
from tests.downloads import assert_constant_queries, column, download
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


def _404(client, url, **params):
    for fmt in ("csv", "xlsx"):
        assert client.get(url, {**params, "format": fmt}).status_code == 404, url


def test_the_cycle_list_downloads(scenes, login):
    a, b = scenes
    launch(a, title="=Baseline 2026")
    launch(b, title="Globex baseline")
    client = login(a.admin)
    url = reverse("feedback_cycles", args=[a.org.slug])
    assert "format=csv" in client.get(url).content.decode()
    rows, as_xlsx = download(client, url)
    assert rows[0][:4] == ["Cycle", "Kind", "Status", "Cohort"]
    assert column(rows, "Cycle") == ["'=Baseline 2026"]
    assert column(rows, "Learners") == ["1"]

    def more_cycles() -> None:
        for i in range(3):
            launch(a, title=f"Pulse check {i}")

    assert_constant_queries(client, url, more_cycles)
    _404(login(a.learner), url)
    _404(login(b.admin), url)


def test_the_cohort_picture_downloads_without_cells_below_five_learners(scenes, login):
    a, b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3)
    answer_all(a, participant, lambda r, i: 4)
    url = reverse("feedback_cycle", args=[a.org.slug, cycle.pk])
    client = login(a.admin)
    _404(client, url, table="summary")  # the picture appears when the cycle closes
    close_and_compute(a, cycle)
    assert "table=summary&amp;format=csv" in client.get(url).content.decode()
    rows, _ = download(client, url, table="summary")
    assert rows[0] == ["Competency", "Learners of", "Others' mean (1-5)", "Learners (n)", "Note"]
    assert len(rows) > 1
    for row in rows[1:]:  # one learner: every cell hidden, nothing to subtract from
        assert row[2:4] == ["", ""] and row[4] == "hidden: fewer than 5 learners"
    progress, _ = download(client, url)  # the default stays the progress counts
    assert progress[0][0] == "Learner"
    _404(login(b.admin), url, table="summary")


def test_a_learner_downloads_the_answers_so_far(scenes, login):
    a, b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3)
    answer_all(a, participant, lambda r, i: 4)
    url = reverse("feedback_participant", args=[a.org.slug, participant.pk])
    rows, _ = download(login(a.learner), url)
    assert rows[0] == ["Group", "Nominated", "Answered", "Minimum"]
    assert rows[1:][[r[0] for r in rows[1:]].index("Peers")] == ["Peers", "3", "3", "3"]
    assert "outside.example" not in str(rows)  # how many, never who
    assert download(login(a.manager), url)[0] == rows  # the manager who approves the list
    _404(login(b.admin), url)
    _404(login(make_member(a.org, "peer@a.example", is_learner=True)), url)


def _report(scene, peers, direct_reports=0, direct_reports_answering=0):
    cycle = launch(scene)
    participant = nominate_and_approve(scene, cycle, peers=peers, direct_reports=direct_reports)
    answer_all(scene, participant, lambda r, i: 3 + i.position % 2, groups=("self", "peer"))
    with tenant_context(scene.org):
        items = list(Item.objects.filter(cycle=cycle))
        for request in RaterRequest.objects.filter(
            participant=participant, relationship="direct_report"
        ).order_by("id")[:direct_reports_answering]:
            services.do_save_answers(
                request, {i.pk: 5 for i in items}, {}, submit=True, today=timezone.localdate()
            )
    (report,) = close_and_compute(scene, cycle)
    return report


def test_a_learner_downloads_their_report_without_hidden_groups(scenes, login):
    a, b = scenes
    # Two of three direct reports answered: below the threshold of 3, so left out.
    report = _report(a, peers=3, direct_reports=3, direct_reports_answering=2)
    groups = {g["label"]: g for g in report.data["groups"]}
    assert groups["Direct reports"]["responded"] == 2 and not groups["Direct reports"]["shown"]
    url = reverse("feedback_report", args=[a.org.slug, report.pk])
    client = login(a.learner)
    assert "format=xlsx" in client.get(url).content.decode()
    rows, as_xlsx = download(client, url)
    assert rows[0][:4] == ["Competency", "Self", "Others (mean of shown groups)", "Others (n)"]
    assert len(rows) == 1 + 3
    by_group = column(rows, "By group")
    assert all(g.startswith("Peers ") and "(n=3)" in g for g in by_group)
    assert "Direct reports" not in str(rows) and "direct_report" not in str(rows)
    assert isinstance(as_xlsx[1][2], float)


def test_the_report_download_follows_who_may_read_the_report(scenes, login):
    a, b = scenes
    report = _report(a, peers=3)
    url = reverse("feedback_report", args=[a.org.slug, report.pk])
    coach = make_member(a.org, "coach@a.example", is_coach=True)
    with tenant_context(a.org):
        CohortCoach.objects.create(cohort=a.fixture.cohort, membership=coach)
    for member in (a.admin, a.manager, coach, b.admin, b.learner):
        _404(login(member), url)
    with tenant_context(a.org):
        services.do_share_report(Report.objects.get(pk=report.pk), a.learner, True)
    rows, _ = download(login(coach), url)  # shared: the coach reads it, and downloads it
    assert len(rows) == 1 + 3
    _404(login(coach), url, table="pulses")  # pulses stay the learner's
    pulses, _ = download(login(a.learner), url, table="pulses")
    assert pulses[0] == ["Statement", "Pulse", "Sent", "Mean (1-5)", "Raters (n)"]
