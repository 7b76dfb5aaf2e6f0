"""Level 3 on the sponsor's page from frozen 360 scores: the paired change per competency with
its CI and named effect sizes, shown only from five learners a cell."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from competencies.models import Competency, Framework
from measurement import impact, sources, stats
from measurement.feedback.queries import CompetencyScoreFact
from organizations.tenancy import tenant_context
from pathways.models import CohortSponsor
from tests.conftest import enroll, make_member, make_pathway

BASE = [3.0, 3.2, 2.8, 3.4, 3.1, 2.9]
FOLLOW = [3.5, 3.4, 3.3, 3.6, 3.8, 3.2]


def _facts(cohort_id, learners, competency_id, n):
    out = []
    for i, learner in enumerate(learners[:n]):
        for kind, score in (("baseline", BASE[i]), ("follow_up", FOLLOW[i])):
            out.append(
                CompetencyScoreFact(
                    learner_id=learner.pk,
                    cycle_id=1 if kind == "baseline" else 2,
                    cohort_id=cohort_id,
                    kind=kind,
                    closed_on=dt.date(2026, 1, 1),
                    competency_id=competency_id,
                    self_score=None,
                    others_mean=score,
                    others_n=5,
                    change=None,
                    rci=None,
                    reading="reliable improvement" if kind == "follow_up" and i == 4 else "",
                )
            )
    return out


def test_it_shows_the_paired_change_only_from_five_learners(org_a, org_b, monkeypatch, login):
    fixture = make_pathway(org_a, n_steps=1)
    learners = [make_member(org_a, f"p{i}@a.example", is_learner=True) for i in range(6)]
    for learner in learners:
        enroll(org_a, fixture, learner)
    sponsor = make_member(org_a, "s@a.example", is_sponsor=True)
    with tenant_context(org_a):
        framework = Framework.objects.create(name="Leadership")
        listening = Competency.objects.create(framework=framework, name="Listening")
        feedback = Competency.objects.create(framework=framework, name="Giving feedback")
        CohortSponsor.objects.create(cohort=fixture.cohort, membership=sponsor)
    facts = _facts(fixture.cohort.pk, learners, listening.pk, 6) + _facts(
        fixture.cohort.pk, learners, feedback.pk, 4
    )
    monkeypatch.setattr(sources, "competency_scores", lambda ids: facts)
    with tenant_context(org_a):
        impact.do_save_plan(
            fixture.cohort,
            impact.PlanInput(
                dt.date(2026, 7, 1), dt.date(2026, 12, 31), profit_margin_pct=Decimal(10)
            ),
            None,
        )
        impact.do_rollup_impact()
    page = login(sponsor).get(reverse("sponsor_home", args=[org_a.slug])).content.decode()
    expected = stats.paired_change(BASE, FOLLOW)
    assert isinstance(expected, stats.PairedChange)
    assert f"{expected.mean_change:.2f} ({expected.ci_low:.2f} to {expected.ci_high:.2f})" in page
    assert f"{expected.d_av:.2f}" in page and f"{expected.d_z:.2f}" in page
    assert "1 / 6" in page  # one reliable improvement of six
    assert "hidden: fewer than 5 learners" in page  # Giving feedback rests on four
    assert "1 of 1 competencies improved" in page
    assert expected.mean_change == pytest.approx(sum(FOLLOW) / 6 - sum(BASE) / 6)
