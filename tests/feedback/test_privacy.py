"""GDPR for 360 feedback: the export holds the person's own 360 data and their frozen report;
erasure deletes comment text about and by them and keeps every score; retention deletes raw
answers behind frozen reports and keeps the reports' figures."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from measurement.feedback import services
from measurement.feedback.models import Answer, Comment, CompetencyScore, Participant, Report
from measurement.feedback.privacy import export_person
from measurement.feedback.queries import cohort_summary, competency_score_facts
from organizations.gdpr.services import do_erase_person, purge_expired
from organizations.models import Membership, Organization
from organizations.tenancy import tenant_context
from tests.conftest import enroll, make_member
from tests.feedback.helpers import (
    answer_all,
    build_scene,
    close_and_compute,
    launch,
    nominate_and_approve,
)
from tests.organizations.test_gdpr import _tables_containing

SELF_COMMENT = "SELF-planted-6601"
ABOUT_LEE = "ABOUT-LEE-planted-6602"
LEE_ABOUT_KIM = "LEE-ABOUT-KIM-planted-6603"
ABOUT_KIM = "ABOUT-KIM-planted-6604"
ORG_B_COMMENT = "GLOBEX-planted-6605"


def _score(request, item):
    return 1 + (request.pk + item.pk) % 5


@pytest.fixture
def scene(org_a, org_b):
    sb = build_scene(org_b, prefix="b")
    cb = launch(sb)
    answer_all(sb, nominate_and_approve(sb, cb, peers=5), _score, comment=ORG_B_COMMENT)
    close_and_compute(sb, cb)
    s = build_scene(org_a)
    kim = make_member(org_a, f"kim@{org_a.slug}.example", is_learner=True)
    enroll(org_a, s.fixture, kim)
    with tenant_context(org_a):
        Membership.objects.filter(pk=kim.pk).update(manager=s.manager)
    cycle = launch(s)
    lee_p = nominate_and_approve(s, cycle, peers=5)
    answer_all(s, lee_p, _score, groups=("self",), comment=SELF_COMMENT)
    answer_all(s, lee_p, _score, groups=("peer",), comment=ABOUT_LEE)
    with tenant_context(org_a):
        kim_p = Participant.objects.get(cycle=cycle, learner=kim)
        services.do_nominate(kim_p, kim, "peer", s.learner.user.email, "Lee")
        for i in range(4):
            services.do_nominate(kim_p, kim, "peer", f"k{i}@outside.example", f"K {i}")
        services.do_submit_nominations(kim_p, kim)
        kim_p.refresh_from_db()
        services.do_approve_nominations(kim_p, s.admin)
        kim_p.refresh_from_db()
        lee_request = kim_p.requests.get(rater=s.learner)
        items = list(cycle.items.all())
        services.do_save_answers(
            lee_request,
            {i.pk: _score(lee_request, i) for i in items},
            {1: LEE_ABOUT_KIM},
            submit=True,
            today=timezone.localdate(),
        )
    answer_all(s, kim_p, _score, groups=("peer",), comment=ABOUT_KIM)
    close_and_compute(s, cycle)
    return s, sb, cycle, kim


def _figures(org, cycle):
    with tenant_context(org):
        reports = {
            r.pk: {k: v for k, v in r.data.items() if k != "comments"} for r in Report.objects.all()
        }
        return (
            competency_score_facts([cycle.cohort_id]),
            cohort_summary(cycle),
            reports,
            sorted(
                CompetencyScore.objects.values_list(
                    "learner_id", "competency_id", "self_score", "others_mean", "others_n"
                )
            ),
            sorted(Answer.objects.values_list("request_id", "item_id", "score")),
        )


def _comment_texts(org):
    with tenant_context(org):
        return [t for r in Report.objects.all() for b in r.data["comments"] for t in b["texts"]]


def test_the_export_holds_the_learners_360_and_nobody_elses(scene):
    s, _sb, _cycle, kim = scene
    with tenant_context(s.org):
        tables = export_person(s.learner)
    everything = json.dumps(tables)
    assert SELF_COMMENT in everything and LEE_ABOUT_KIM in everything  # their own words
    assert ABOUT_LEE in everything  # inside their frozen report, as they see it
    assert len(tables["nominations"]) == 6 and tables["self_ratings"]
    assert ABOUT_KIM not in everything and ORG_B_COMMENT not in everything
    assert kim.user.email not in everything
    assert [r["cycle_id"] for r in tables["reports"]] == [_cycle.pk]


def test_erasing_a_learner_deletes_360_text_about_and_by_them_and_keeps_every_score(scene):
    s, sb, cycle, _kim = scene
    before = _figures(s.org, cycle)
    assert ABOUT_LEE in _comment_texts(s.org) and LEE_ABOUT_KIM in _comment_texts(s.org)
    with tenant_context(s.org):
        receipt = do_erase_person(None, s.learner, s.learner.user.email)
        assert receipt.items["360 comments by the person deleted"] == 1
        assert receipt.items["360 reports (comments removed, scores kept)"] == 1
        for text in (SELF_COMMENT, ABOUT_LEE, LEE_ABOUT_KIM, s.learner.user.email):
            assert _tables_containing(text) == [], text
    assert _figures(s.org, cycle) == before
    assert _comment_texts(s.org).count(ABOUT_KIM) == 4  # the other raters' comments stay
    assert ORG_B_COMMENT in _comment_texts(sb.org)


def test_the_retention_job_deletes_raw_answers_behind_frozen_reports_only(scene):
    s, sb, cycle, _kim = scene
    before = _figures(s.org, cycle)
    Organization.objects.filter(pk=s.org.pk).update(retention_days=30)
    s.org.refresh_from_db()
    with tenant_context(s.org):
        assert "360 raw answers deleted" not in purge_expired(s.org)
        done = purge_expired(s.org, timezone.now() + dt.timedelta(days=31))
        assert done["360 raw answers deleted"] > 0 and done["360 raw comments deleted"] > 0
        assert not Answer.objects.exists() and not Comment.objects.exists()
    after = _figures(s.org, cycle)
    assert after[:4] == before[:4]  # frozen figures unchanged; only raw answers went
    with tenant_context(sb.org):
        assert Answer.objects.exists()
