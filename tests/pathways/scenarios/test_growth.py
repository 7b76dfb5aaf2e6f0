"""My growth: BKT p(known) per competency, named, with its base and the evidence behind it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from competencies.models import Competency
from organizations.tenancy import tenant_context
from pathways.models import (
    Module,
    ModuleCompetency,
    PracticeAnswer,
    PracticeTask,
    RetrievalOption,
    ReviewCard,
    ReviewLog,
    VersionCompetency,
)
from pathways.practice import services as practice
from pathways.scenarios import charts, queries, services
from tests.conftest import count_queries, enroll, make_member, make_pathway
from tests.pathways.scenarios.builders import make_competencies, make_items, make_scenario


def reference_bkt(answers: list[bool], p: float = 0.2) -> float:
    for correct in answers:
        posterior = (
            p * 0.9 / (p * 0.9 + (1 - p) * 0.2) if correct else p * 0.1 / (p * 0.1 + (1 - p) * 0.8)
        )
        p = posterior + (1 - posterior) * 0.1
    return p


def _right(item):
    return RetrievalOption.objects.get(item=item, is_correct=True).pk


def _wrong(item):
    return RetrievalOption.objects.get(item=item, is_correct=False).pk


def review(leo, card, option_id, at):
    """Answer a due review card through the review service, five seconds after it was shown."""
    ticket = practice.issue_ticket(leo, card.pk, now=at - dt.timedelta(seconds=5))
    practice.do_review(leo, card.pk, ticket=ticket, option_id=option_id, now=at, fuzz=False)


def build_known_data(org, leo, suffix=""):
    fx = make_scenario(org)
    (listening,) = make_competencies(org, ["Listening"])
    pathway = make_pathway(org, n_steps=1, name=f"Leading people{suffix}")
    enroll(org, pathway, leo)
    coached = make_items(org, fx.coaching, [-1.0, 0.0, 1.0], title=f"Coaching basics{suffix}")
    [untagged] = make_items(
        org, fx.delegation, [0.0], title=f"Delegating well{suffix}", item_competency=False
    )
    with tenant_context(org):
        for competency in (fx.coaching, fx.delegation, listening):
            VersionCompetency.objects.create(version=pathway.version, competency=competency)
        for token, item, option in [
            ("p1", coached[0], _right(coached[0])),
            ("p2", coached[1], _right(coached[1])),
            ("p3", coached[2], _wrong(coached[2])),
        ]:
            services.do_answer_practice(
                leo, fx.coaching.pk, item.pk, token + suffix, option_id=option
            )
        play = services.do_start_play(leo, fx.scenario.pk)
        services.do_choose(leo, play.pk, fx.ask.pk, sequence=1)
        services.do_choose(leo, play.pk, fx.plan.pk, sequence=2)
        start = timezone.now() - dt.timedelta(days=20)
        card = ReviewCard.objects.create(learner=leo, item=coached[0], due=start)
        review(leo, card, _right(coached[0]), start)
        review(leo, card, _wrong(coached[0]), start + dt.timedelta(days=10))
        other = ReviewCard.objects.create(learner=leo, item=untagged, due=start)
        review(leo, other, _right(untagged), start)
        module = Module.objects.create(title=f"Feedback that lands{suffix}", status="published")
        ModuleCompetency.objects.create(module=module, competency=fx.coaching)
        task = PracticeTask.objects.create(module=module, prompt="Plan a coaching question")
        PracticeAnswer.objects.create(
            learner=leo, task=task, text="I will ask Sam what blocks him."
        )
    return fx, listening


def test_it_estimates_mastery_per_competency_from_a_known_data_set(org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    fx, listening = build_known_data(org_a, leo)
    with tenant_context(org_a):
        report = queries.growth_report(leo)
    by_name = {c.name: c for c in report.competencies}
    coaching = by_name["Coaching and developing others"]
    delegation = by_name["Delegation"]
    # Coaching: 3 practice questions (right, right, wrong), 2 effective scenario choices, then
    # 2 reviews (right, missed).
    assert coaching.answers == 7
    assert coaching.p_known == pytest.approx(
        reference_bkt([True, True, False, True, True, True, False])
    )
    assert (coaching.reviews.count, coaching.reviews.right) == (2, 1)
    assert (coaching.questions.count, coaching.questions.right) == (3, 2)
    assert (coaching.decisions.count, coaching.decisions.right) == (2, 2)
    assert coaching.decisions.score_total == 3
    assert coaching.practice_answers.count == 1
    assert coaching.practice_items == 3
    assert [e.detail for e in coaching.reviews.latest] == [
        "missed, rated Again",
        "right, rated Good",
    ]
    # Delegation: both situations score it on one of their options, so both choices are
    # evidence of it (only "Agree a plan" earns points, +2); then the review of an item that
    # names no competency, in a module tagged Delegation.
    assert delegation.answers == 3
    assert delegation.p_known == pytest.approx(reference_bkt([True, True, True]))
    assert (delegation.decisions.count, delegation.decisions.score_total) == (2, 2)
    assert [e.detail for e in delegation.decisions.latest] == [
        "“Agree a plan Sam owns” (+2)",
        "“Ask Sam what is getting in the way” (0)",
    ]
    assert delegation.reviews.count == 1
    assert delegation.practice_items == 1
    assert by_name["Listening"].answers == 0 and by_name["Listening"].in_pathway
    assert [c.name for c in report.estimated] == sorted(
        [coaching.name, delegation.name], key=lambda n: -by_name[n].p_known
    )
    # Strong quiz evidence needs a high estimate *and* enough answers: never 3 lucky ones.
    assert report.strong == sum(1 for c in report.estimated if c.p_known >= 0.95 and c.answers >= 8)
    assert delegation.p_known >= 0.95 and not delegation.strong_evidence
    assert delegation.status == "Too few answers to tell"
    assert delegation.interval_label == "3 of 3 right; 95% interval 43–100%"


def test_it_names_the_model_and_shows_the_evidence_on_the_page(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    fx, _listening = build_known_data(org_a, leo)
    client.force_login(leo.user)
    page = client.get(f"/o/{org_a.slug}/growth/").content.decode()
    with tenant_context(org_a):
        coaching = next(
            c for c in queries.growth_report(leo).competencies if c.id == fx.coaching.pk
        )
    assert "Bayesian Knowledge Tracing" in page
    assert (
        f"Knowledge estimate {coaching.whole_percent}%, based on 7 answers "
        "(2 reviews, 3 practice questions, 2 scenario choices)"
    ) in page
    assert "2 answers, 1 right" in page
    assert "3 answered, 2 right" in page
    assert "2 choices, 2 the most effective option, +3 behaviour points in total" in page
    assert "I will ask Sam what blocks him." in page
    assert 'data-plotly-figure="growth-figure"' in page and 'id="growth-figure"' in page
    assert f"/practice/competency/{fx.coaching.pk}/" in page
    assert "No answers yet" in page  # Listening


def test_it_builds_a_horizontal_chart_with_a_finding_title(org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    build_known_data(org_a, leo)
    with tenant_context(org_a):
        report = queries.growth_report(leo)
    figure = charts.growth_figure(report)
    bar = figure["data"][0]
    strongest = report.estimated[0]
    assert bar["orientation"] == "h"
    assert list(bar["y"])[-1] == strongest.name  # strongest at the top
    assert list(bar["x"])[-1] == strongest.percent
    assert [row[0] for row in bar["customdata"]][-1] == strongest.answers
    assert strongest.name in figure["layout"]["title"]["text"]
    assert list(figure["layout"]["xaxis"]["range"]) == [0, 105]


def test_it_teaches_when_there_is_no_evidence_yet(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    client.force_login(leo.user)
    page = client.get(f"/o/{org_a.slug}/growth/").content.decode()
    assert "Your growth shows here as you practise" in page
    assert "data-plotly-figure" not in page


def test_it_shows_nothing_of_another_organisation(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    build_known_data(org_a, leo)
    other = make_member(org_b, "leo@a.example", is_learner=True)  # same person, other tenant
    client.force_login(other.user)
    page = client.get(f"/o/{org_b.slug}/growth/").content.decode()
    assert "Coaching and developing others" not in page
    assert "Your growth shows here as you practise" in page


def test_it_shows_growth_in_a_constant_number_of_queries(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    build_known_data(org_a, leo)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/growth/"
    with count_queries() as small:
        assert client.get(url).status_code == 200
    more = make_competencies(org_a, [f"Extra {i}" for i in range(4)])
    for i, competency in enumerate(more):
        items = make_items(org_a, competency, [0.0, 0.5], title=f"Extra module {i}")
        with tenant_context(org_a):
            for j, item in enumerate(items):
                services.do_answer_practice(
                    leo, competency.pk, item.pk, f"x{i}{j}", option_id=_right(item)
                )
                card = ReviewCard.objects.create(learner=leo, item=item)
                for k in range(5):
                    ReviewLog.objects.create(card=card, learner=leo, token=f"x{i}{j}{k}", rating=3)
    fx = make_scenario(org_a, title="Second scenario")
    with tenant_context(org_a):
        for _ in range(4):
            play = services.do_start_play(leo, fx.scenario.pk)
            services.do_choose(leo, play.pk, fx.tell.pk, sequence=1)
            services.do_choose(leo, play.pk, fx.take_back.pk, sequence=2)
    with count_queries() as large:
        page = client.get(url).content.decode()
    assert "Extra 3" in page
    assert len(large.app_queries) == len(small.app_queries)


def test_it_lists_exactly_the_answers_behind_each_estimate(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    fx, listening = build_known_data(org_a, leo)
    # A review of an item that names no competency, in a module tagged with two: evidence of
    # both, and one event for the item's difficulty.
    [shared] = make_items(
        org_a, listening, [0.0], title="Listening to coach", item_competency=False
    )
    # A second scenario whose last situation scores nothing: the choice there counts for
    # every competency the scenario scores.
    unscored = make_scenario(org_a, title="The quiet stand-up")
    start = timezone.now() - dt.timedelta(days=3)
    with tenant_context(org_a):
        ModuleCompetency.objects.create(module=shared.module, competency=fx.coaching)
        card = ReviewCard.objects.create(learner=leo, item=shared, due=start)
        review(leo, card, _wrong(shared), start)
        shared.refresh_from_db()
        unscored.plan.scores.all().delete()
        unscored.take_back.scores.all().delete()
        play = services.do_start_play(leo, unscored.scenario.pk)
        services.do_choose(leo, play.pk, unscored.tell.pk, sequence=1)
        services.do_choose(leo, play.pk, unscored.take_back.pk, sequence=2)
        report = queries.growth_report(leo)
    client.force_login(leo.user)
    page = client.get(f"/o/{org_a.slug}/growth/").content.decode()

    assert shared.difficulty_updates == 1
    by_name = {c.name: c for c in report.competencies}
    assert by_name["Listening"].reviews.count == 1 and by_name["Listening"].answers == 1
    assert by_name["Coaching and developing others"].reviews.count == 3
    assert by_name["Delegation"].decisions.count == 4
    for c in report.competencies:
        assert c.graded == c.answers, c.name
        if c.answers:
            noun = "answer" if c.answers == 1 else "answers"
            assert f"based on {c.answers} {noun} ({c.graded_breakdown})" in page


def test_it_leads_with_the_result_and_never_claims_mastery_from_quiz_answers(client, org_a, org_b):
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    fx, _listening = build_known_data(org_a, leo)
    make_competencies(org_a, ["Unpractised one", "Unpractised two"])  # same framework
    client.force_login(leo.user)
    page = client.get(f"/o/{org_a.slug}/growth/").content.decode()
    with tenant_context(org_a):
        report = queries.growth_report(leo)
        in_framework = Competency.objects.filter(framework_id=fx.coaching.framework_id).count()
    assert report.framework_competencies == in_framework
    # The count is out of the framework's competencies, not of the ones with answers.
    assert f"of {in_framework} competencies with strong quiz evidence" in page
    # The result first; the method behind "How is this worked out?".
    assert page.index("stat__value") < page.index("Bayesian Knowledge Tracing")
    assert 'href="#how"' in page and '<details class="card card--muted stack" id="how">' in page
    assert "Mastered" not in page and "mastered" not in page.replace("mastered_at", "")
    assert "Too few answers to tell" in page  # Delegation: 3 right answers, no strong claim
    assert "3 of 3 right; 95% interval 43–100%" in page
    assert "not a rating of how well you lead" in page
