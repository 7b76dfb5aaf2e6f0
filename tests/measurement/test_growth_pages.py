"""My growth, a coach's view of a coachee and a coach's patterns: what each reader sees, what
they never see, constant query counts, downloads and 404s."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from measurement.feedback import services as feedback
from measurement.feedback.models import Pulse, RaterRequest, Report
from measurement.growth import services as growth
from organizations.tenancy import tenant_context
from tests.conftest import count_queries, make_member
from tests.measurement.growth_helpers import (
    build_growth_scene,
    observe,
    peers,
    practise,
    run_cycle,
    set_goal,
    share_reports,
)


def rollup(scene):
    with tenant_context(scene.org):
        growth.do_rollup_growth()


@pytest.fixture
def scenes(org_a, org_b):
    return build_growth_scene(org_a, "a"), build_growth_scene(org_b, "b")


def improved(scene, learners=None):
    """Baseline peers and manager 2, follow-up 4: a reliable improvement on each competency."""
    baseline = run_cycle(scene, peers(2), learners=learners)
    run_cycle(scene, peers(4, self_value=5), kind="follow_up", baseline=baseline, learners=learners)


def chart_title(html, figure_id):
    """The title a chart states, from the figure the page embeds (line breaks as spaces)."""
    found = re.search(rf'<script id="{figure_id}" type="application/json">(.*?)</script>', html)
    assert found, figure_id
    return json.loads(found.group(1))["layout"]["title"]["text"].replace("<br>", " ")


def page(client, member, name, *args, **params):
    client.force_login(member.user)
    return client.get(reverse(name, args=[member.organization.slug, *args]), params)


def test_the_learner_reads_where_they_grow_in_plain_words(scenes, client):
    a, _b = scenes
    improved(a)
    observe(a, a.learner, a.competencies[0], 4)
    set_goal(a, a.learner, a.competencies[0], achieved=True)
    practise(a, a.learner, a.competencies[1], 0.97)
    rollup(a)
    response = page(client, a.learner, "learner_growth")
    assert response.status_code == 200
    html = response.content.decode()
    name = a.competencies[0].name
    assert (
        f"Your colleagues see a reliable improvement in {name}: +2.0 on a 1–5 scale, beyond "
        "what rater noise explains." in html
    )
    assert "Your colleagues see a reliable improvement in" in html.split("Per competency")[0]
    assert 'data-plotly-figure="growth-figure"' in html and 'id="growth-figure"' in html
    assert chart_title(html, "growth-figure").startswith("Reliable improvement in 2 of 2")
    assert "1 observed, mean level 4.0 of 5" in html
    assert "1 of 1 goal achieved" in html
    assert "estimate 97% from 9 answers" in html
    assert reverse("feedback_report", args=[a.org.slug, _report_id(a, "follow_up")]) in html


def _report_id(scene, kind):
    with tenant_context(scene.org):
        return Report.objects.get(learner=scene.learner, cycle__kind=kind).pk


def test_it_is_honest_with_a_baseline_only_and_with_nothing_at_all(scenes, client):
    a, _b = scenes
    empty = page(client, a.learner, "learner_growth").content.decode()
    assert "Your growth shows here as evidence arrives" in empty
    run_cycle(a, peers(3))
    rollup(a)
    html = page(client, a.learner, "learner_growth").content.decode()
    assert "No follow-up 360 yet, so no change to judge." in html
    assert "A follow-up 360 shows whether it moves beyond rater noise." in html
    assert "Baseline only" in html and "reliable improvement" not in html.lower().split("how is")[0]


def test_within_noise_says_so_and_what_would_count(scenes, client):
    a, _b = scenes
    baseline = run_cycle(a, peers(3))
    run_cycle(a, peers(3), kind="follow_up", baseline=baseline)
    rollup(a)
    html = page(client, a.learner, "learner_growth").content.decode()
    assert "within what rater noise explains" in html
    assert "2 competencies moved within what rater noise explains." in html
    assert chart_title(html, "growth-figure") == (
        "No reliable change yet: every change is within rater noise"
    )


def with_a_closed_pulse(scene):
    """Baseline 2 with a pulse (3) closed since, then a follow-up at 4; rolled up after the
    pulse closed."""
    baseline = run_cycle(scene, peers(2), pulse_every_weeks=4)
    with tenant_context(scene.org):
        start = timezone.localdate(baseline.closed_at) + dt.timedelta(weeks=4)
        feedback.do_send_due_pulses(start)
        pulse = Pulse.objects.get(participant__learner=scene.learner)
        for request in RaterRequest.objects.filter(pulse=pulse).select_related(
            "participant__cycle", "pulse"
        ):
            feedback.do_save_answers(
                request, dict.fromkeys(pulse.item_ids, 3), {}, submit=True, today=start
            )
    run_cycle(scene, peers(4, self_value=5), kind="follow_up", baseline=baseline)
    later = timezone.make_aware(dt.datetime.combine(pulse.closes_on, dt.time(12)))
    with tenant_context(scene.org):
        growth.do_rollup_growth(now=later + dt.timedelta(days=1))


def test_the_coach_sees_360_figures_only_from_shared_reports(scenes, client):
    a, _b = scenes
    observe(a, a.learner, a.competencies[0], 4)
    with_a_closed_pulse(a)
    assert "Pulse 1, on the" in page(client, a.learner, "learner_growth").content.decode()
    engagement = a.engagements[0].pk
    html = page(client, a.coach, "coachee_growth", engagement).content.decode()
    name = a.learner.user.display_name
    assert f"<title>Growth: {name} · " in html  # the coach's title names the coachee
    assert "1 observed, mean level 4.0 of 5" in html  # what the coach sees anyway
    assert "360 not shared" in html and "Not shared with you: 2 of " in html
    for hidden in ("+2.0", "2.00", "4.00", "RCI", "reliable improvement in"):
        assert hidden not in html, hidden
    assert "growth-figure" not in html
    csv_text = page(client, a.coach, "coachee_growth", engagement, format="csv").content.decode()
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert all(r[3] == "" and r[7] == "" and r[10] == "" for r in rows[1:])  # no 360 figures
    share_reports(a, a.learner)
    html = page(client, a.coach, "coachee_growth", engagement).content.decode()
    assert "Colleagues see a reliable improvement in" in html and "+2.0" in html
    assert "Pulse 1" not in html and "Latest pulse" not in html  # pulses stay with the learner


def test_admins_sponsors_and_other_coaches_get_404(scenes, client):
    a, b = scenes
    improved(a)
    share_reports(a, a.learner)
    rollup(a)
    engagement = a.engagements[0].pk
    other_coach = make_member(a.org, "other-coach@a.example", is_coach=True)
    for member in (a.admin, a.sponsor, other_coach):
        assert page(client, member, "coachee_growth", engagement).status_code == 404
    for member in (a.admin, a.sponsor, a.coach):
        assert page(client, member, "learner_growth").status_code == 404
    for member in (a.admin, a.sponsor):
        assert page(client, member, "coach_patterns").status_code == 404
    # Another organisation's coach, with their own slug and this engagement's id.
    assert page(client, b.coach, "coachee_growth", engagement).status_code == 404
    outsider = make_member(b.org, "all@b.example", is_learner=True, is_coach=True, is_admin=True)
    client.force_login(outsider.user)
    for url in (
        reverse("learner_growth", args=[a.org.slug]),
        reverse("coachee_growth", args=[a.org.slug, engagement]),
        reverse("coach_patterns", args=[a.org.slug]),
    ):
        assert client.get(url).status_code == 404, url


def test_the_pages_read_the_rollup_in_a_constant_number_of_queries(org_a, org_b, client):
    small = build_growth_scene(org_a, "s", n_competencies=1)
    big = build_growth_scene(org_b, "g", n_competencies=5)
    counts = []
    for scene in (small, big):
        improved(scene)
        for competency in scene.competencies:
            observe(scene, scene.learner, competency, 3)
            observe(scene, scene.learner, competency, 4)
            set_goal(scene, scene.learner, competency)
            practise(scene, scene.learner, competency, 0.6)
        share_reports(scene, scene.learner)
        rollup(scene)
        measured = []
        for member, name, args in (
            (scene.learner, "learner_growth", ()),
            (scene.coach, "coachee_growth", (scene.engagements[0].pk,)),
            (scene.coach, "coach_patterns", ()),
        ):
            client.force_login(member.user)
            url = reverse(name, args=[scene.org.slug, *args])
            with count_queries() as ctx:
                assert client.get(url).status_code == 200
            measured.append(len(ctx.app_queries))
        counts.append(measured)
    assert counts[0] == counts[1], counts


def test_downloads_give_the_page_figures_as_csv_and_xlsx(scenes, client):
    a, _b = scenes
    improved(a)
    rollup(a)
    response = page(client, a.learner, "learner_growth", format="csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == [
        "Competency",
        "Status",
        "Baseline date",
        "Baseline others' mean (1-5)",
    ]
    assert {r[0] for r in rows[1:]} == {c.name for c in a.competencies}
    assert all(r[1] == "Reliable improvement" and r[12] == "reliable improvement" for r in rows[1:])
    assert all(float(r[10]) == pytest.approx(2.0) for r in rows[1:])
    response = page(client, a.learner, "learner_growth", format="xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][0] == "Competency" and len(values) == 1 + len(a.competencies)


def test_patterns_show_a_cell_only_from_five_coachees_and_safe_sharing(org_a, org_b, client):
    a = build_growth_scene(org_a, "p", n_learners=6, n_competencies=1)
    build_growth_scene(org_b, "q")
    improved(a, learners=a.learners[:5])
    for learner in a.learners:
        observe(a, learner, a.competencies[0], 3)
    rollup(a)
    name = a.competencies[0].name

    def patterns():
        return page(client, a.coach, "coach_patterns").content.decode()

    # Five pairs, none shared: what the coach could subtract rests on five people.
    html = patterns()
    assert f"{name} moves most: 5 of 5 coachees with a follow-up 360" in html
    assert "6 on 6 coachees" in html
    # Two shared: the three others' change could be recovered, so the 360 cell hides.
    for learner in a.learners[:2]:
        share_reports(a, learner)
    html = patterns()
    assert "moves most" not in html and "too few of them shared" in html
    assert "6 on 6 coachees" in html  # observations the coach sees anyway still show
    # All five shared: nothing left to recover.
    for learner in a.learners[2:5]:
        share_reports(a, learner)
    assert f"{name} moves most: 5 of 5" in patterns()
    rows = list(
        csv.reader(
            io.StringIO(page(client, a.coach, "coach_patterns", format="csv").content.decode())
        )
    )
    assert rows[1][0] == name and rows[1][4] == "5"


def test_patterns_hide_a_cohort_under_five_coachees(scenes, client):
    a, _b = scenes
    improved(a)
    observe(a, a.learner, a.competencies[0], 3)
    share_reports(a, a.learner)
    rollup(a)
    html = page(client, a.coach, "coach_patterns").content.decode()
    assert "Fewer than 5 of your coachees are in this cohort" in html
    assert "moves most" not in html and a.competencies[0].name not in html
    rows = list(
        csv.reader(
            io.StringIO(page(client, a.coach, "coach_patterns", format="csv").content.decode())
        )
    )
    assert rows == [rows[0]]  # the headers, and no row to read anything from
