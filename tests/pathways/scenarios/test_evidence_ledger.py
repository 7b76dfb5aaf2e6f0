"""The mastery evidence ledger behind "My growth": the page counts the updates each estimate
received, whatever an admin retags afterwards, in a fixed number of queries, per organisation."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from organizations.tenancy import tenant_context
from pathways.models import (
    ChoiceScore,
    MasteryEvidence,
    ModuleCompetency,
    RetrievalItem,
    RetrievalOption,
    ReviewCard,
    Scenario,
)
from pathways.practice import services as practice
from pathways.scenarios import queries, services
from tests.conftest import count_queries, make_member
from tests.pathways.scenarios.builders import make_competencies, make_items, make_scenario

START = timezone.now() - dt.timedelta(days=30)


def _right(item):
    return RetrievalOption.objects.get(item=item, is_correct=True).pk


def review(leo, item, at, right=True):
    """Answer ``item`` as a due review at ``at`` through the review service (inside tenant)."""
    card, _created = ReviewCard.objects.get_or_create(learner=leo, item=item, defaults={"due": at})
    card.refresh_from_db()
    at = max(at, card.due)
    option = RetrievalOption.objects.get(item=item, is_correct=right).pk
    ticket = practice.issue_ticket(leo, card.pk, now=at - dt.timedelta(seconds=5))
    practice.do_review(leo, card.pk, ticket=ticket, option_id=option, now=at, fuzz=False)


def by_name(report):
    return {c.name: c for c in report.competencies}


def assert_counts_equal_updates(report):
    for c in report.competencies:
        assert c.graded == c.answers, (c.name, c.graded_breakdown, c.answers)


def test_it_keeps_counting_reviews_where_they_moved_the_estimate_after_a_retag(
    client, org_a, org_b
):
    coaching, delegation, listening = make_competencies(
        org_a, ["Coaching", "Delegation", "Listening"]
    )
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    [own] = make_items(org_a, coaching, [0.0], title="Coaching basics")
    [untagged] = make_items(
        org_a, delegation, [0.0], title="Delegating well", item_competency=False
    )
    with tenant_context(org_a):
        review(leo, own, START)
        review(leo, untagged, START)
        services.do_answer_practice(leo, coaching.pk, own.pk, "q1", option_id=_right(own))
        # The admin retags: the question moves to Listening, its module to Coaching too.
        RetrievalItem.objects.filter(pk=own.pk).update(competency=listening)
        ModuleCompetency.objects.create(module=untagged.module, competency=coaching)
        report = queries.growth_report(leo)
    client.force_login(leo.user)
    page = client.get(f"/o/{org_a.slug}/growth/").content.decode()

    growth = by_name(report)
    assert_counts_equal_updates(report)
    assert (growth["Coaching"].answers, growth["Coaching"].reviews.count) == (2, 1)
    assert growth["Coaching"].questions.count == 1
    assert (growth["Delegation"].answers, growth["Delegation"].reviews.count) == (1, 1)
    # Read from today's tags Listening would show a review with no estimate behind it.
    assert "Listening" not in growth
    assert "based on 2 answers (1 review, 1 practice question, 0 scenario choices)" in page
    assert "based on 1 answer (1 review, 0 practice questions, 0 scenario choices)" in page

    # A review after the retag counts under the new tags: Listening for the item's own
    # competency, Delegation and Coaching for the item of the module now tagged with both.
    with tenant_context(org_a):
        review(leo, own, START + dt.timedelta(days=1), right=False)
        review(leo, untagged, START + dt.timedelta(days=1))
        report = queries.growth_report(leo)
    growth = by_name(report)
    assert_counts_equal_updates(report)
    assert [growth[n].reviews.count for n in ("Coaching", "Delegation", "Listening")] == [2, 2, 1]
    assert growth["Listening"].reviews.right == 0
    assert growth["Listening"].reviews.latest[0].detail == "missed, rated Again"
    assert growth["Listening"].reviews.latest[0].move_label == "p(known) 20% → 13%"


def test_it_keeps_counting_scenario_choices_where_they_moved_the_estimate_after_a_retag(
    client, org_a, org_b
):
    fx = make_scenario(org_a)
    [listening] = make_competencies(org_a, ["Listening"])
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    with tenant_context(org_a):
        play = services.do_start_play(leo, fx.scenario.pk)
        services.do_choose(leo, play.pk, fx.ask.pk, sequence=1)
        services.do_choose(leo, play.pk, fx.plan.pk, sequence=2)
        # The admin rescores the scenario: what scored Delegation now scores Listening.
        ChoiceScore.objects.filter(competency=fx.delegation).update(competency=listening)
        report = queries.growth_report(leo)
    client.force_login(leo.user)
    page = client.get(f"/o/{org_a.slug}/growth/").content.decode()

    growth = by_name(report)
    assert_counts_equal_updates(report)
    assert growth["Delegation"].decisions.count == 2 == growth["Delegation"].answers
    assert growth["Delegation"].decisions.right == 2
    assert growth["Coaching and developing others"].decisions.count == 2
    assert growth["Coaching and developing others"].decisions.score_total == 3
    assert "Listening" not in growth  # no choice of this learner moved it
    assert "based on 2 answers (0 reviews, 0 practice questions, 2 scenario choices)" in page
    assert [e.title for e in growth["Delegation"].decisions.latest] == [fx.scenario.title] * 2


def test_it_keeps_the_evidence_of_a_deleted_scenario_and_says_so(org_a, org_b):
    fx = make_scenario(org_a)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    with tenant_context(org_a):
        play = services.do_start_play(leo, fx.scenario.pk)
        services.do_choose(leo, play.pk, fx.tell.pk, sequence=1)
        Scenario.objects.filter(pk=fx.scenario.pk).delete()  # plays and decisions go with it
        report = queries.growth_report(leo)
    delegation = by_name(report)["Delegation"]
    assert (delegation.answers, delegation.decisions.count, delegation.decisions.right) == (1, 1, 0)
    assert [(e.title, e.detail) for e in delegation.decisions.latest] == [
        ("A removed scenario", "“a removed option” (0)")
    ]


def test_it_shows_each_organisation_only_its_own_ledger(client, org_a, org_b):
    fx_a, fx_b = make_scenario(org_a), make_scenario(org_b)
    leo_a = make_member(org_a, "leo@a.example", is_learner=True)
    leo_b = make_member(org_b, "leo@a.example", is_learner=True)  # same person, other tenant
    with tenant_context(org_a):
        play = services.do_start_play(leo_a, fx_a.scenario.pk)
        services.do_choose(leo_a, play.pk, fx_a.ask.pk, sequence=1)
        services.do_choose(leo_a, play.pk, fx_a.plan.pk, sequence=2)
    with tenant_context(org_b):
        play = services.do_start_play(leo_b, fx_b.scenario.pk)
        services.do_choose(leo_b, play.pk, fx_b.tell.pk, sequence=1)
        b_rows = set(MasteryEvidence.objects.values_list("pk", flat=True))
        b_counts = {c.name: c.decisions.count for c in queries.growth_report(leo_b).competencies}
        # Org A's learner asked for under org B's tenant: nothing.
        assert not MasteryEvidence.objects.filter(learner=leo_a).exists()
        assert queries.graded_evidence(leo_a)[MasteryEvidence.Source.SCENARIO_CHOICE] == {}
    with tenant_context(org_a):
        a_rows = set(MasteryEvidence.objects.values_list("pk", flat=True))
    assert len(a_rows) == 4 and len(b_rows) == 2 and not a_rows & b_rows
    assert b_counts == {"Coaching and developing others": 1, "Delegation": 1}

    client.force_login(leo_b.user)
    page = client.get(f"/o/{org_b.slug}/growth/").content.decode()
    assert "based on 1 answer (0 reviews, 0 practice questions, 1 scenario choice)" in page
    assert "2 scenario choices" not in page and "Ask Sam what is getting in the way" not in page


def test_it_shows_the_ledger_in_a_constant_number_of_queries(client, org_a, org_b):
    fx = make_scenario(org_a)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    [item] = make_items(org_a, fx.coaching, [0.0], title="Coaching basics")
    with tenant_context(org_a):
        review(leo, item, START)
        services.do_answer_practice(leo, fx.coaching.pk, item.pk, "q0", option_id=_right(item))
        play = services.do_start_play(leo, fx.scenario.pk)
        services.do_choose(leo, play.pk, fx.ask.pk, sequence=1)
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/growth/"
    with count_queries() as small:
        assert client.get(url).status_code == 200

    more = make_competencies(org_a, [f"Extra {i}" for i in range(4)])
    for i, competency in enumerate(more):
        items = make_items(org_a, competency, [0.0, 0.5, 1.0], title=f"Extra module {i}")
        with tenant_context(org_a):
            for j, extra in enumerate(items):
                review(leo, extra, START + dt.timedelta(hours=j))
                review(leo, extra, START + dt.timedelta(days=5))
                services.do_answer_practice(
                    leo, competency.pk, extra.pk, f"x{i}{j}", option_id=_right(extra)
                )
    with tenant_context(org_a):
        for _ in range(4):
            play = services.do_start_play(leo, fx.scenario.pk)
            services.do_choose(leo, play.pk, fx.tell.pk, sequence=1)
            services.do_choose(leo, play.pk, fx.take_back.pk, sequence=2)
        rows = MasteryEvidence.objects.count()
    with count_queries() as large:
        page = client.get(url).content.decode()

    assert rows > 40
    assert page.count('<span class="badge badge--info">Practice question</span>') == 1 + 4 * 3
    assert "Extra 3" in page
    assert len(large.app_queries) == len(small.app_queries)
