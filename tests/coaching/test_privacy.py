"""GDPR for coaching: the export holds the person's coaching data and nobody else's private
text; erasure deletes their private text and leaves every coaching figure unchanged."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from coaching import services
from coaching.models import CalendarFeed, JournalEntry, Observation, PeerFeedback
from coaching.privacy import export_person
from coaching.queries import coaching_counts, observation_facts
from organizations.gdpr import privacy_modules
from organizations.gdpr.services import do_erase_person
from organizations.tenancy import tenant_context
from tests.coaching.helpers import build_world, held_session
from tests.organizations.test_gdpr import _tables_containing

NOTE = "ZEBRA-1to1-private-note-8812"
SUMMARY = "OTTER-1to1-summary-8813"
JOURNAL = "HERON-journal-8814"
GOAL = "BADGER-goal-8815"
REFLECTION = "BADGER-reflection-8816"
EXPERIMENT = "MARTEN-experiment-8817"
OBSERVED = "WALRUS-about-ana-8818"
ANA_OBSERVES = "PUFFIN-ana-about-ben-8819"
PEER_GIVEN = "FALCON-ana-to-ben-8820"
PEER_RECEIVED = "KESTREL-ben-to-ana-8821"
THREE_WAY = "IBIS-three-way-8822"
ERASED = (
    NOTE, SUMMARY, JOURNAL, GOAL, REFLECTION, EXPERIMENT, OBSERVED, ANA_OBSERVES, PEER_GIVEN,
    PEER_RECEIVED, THREE_WAY,
)  # fmt: skip
GROUP_NOTE = "MOLE-group-private-note-8830"
GROUP_SUMMARY = "VOLE-group-summary-8831"
BEN_JOURNAL = "CRANE-ben-journal-8832"
ORG_B_JOURNAL = "GLOBEX-journal-8833"


@pytest.fixture
def world(org_a, org_b):
    wb = build_world(org_b, "b", n_learners=1)
    with tenant_context(org_b):
        services.do_write_journal(wb.learners[0], text=ORG_B_JOURNAL)
    w = build_world(org_a, "a")
    held_session(w, notes=NOTE, summary=SUMMARY, days_ago=5)
    group = held_session(w, group=True, notes=GROUP_NOTE, summary=GROUP_SUMMARY, days_ago=3)
    ana, ben = w.learners[0], w.learners[1]
    today = timezone.localdate()
    with tenant_context(w.org):
        services.do_rate_session(ana, group.pk, 4)
        services.do_give_peer_feedback(ana, group.pk, ben.pk, what_worked=PEER_GIVEN)
        services.do_give_peer_feedback(ben, group.pk, ana.pk, what_worked=PEER_RECEIVED)
        services.do_write_journal(ana, text=JOURNAL)
        services.do_write_journal(ben, text=BEN_JOURNAL)
        goal = services.do_set_goal(
            ana, w.engagements[0].pk, title=GOAL, success_measure="Team says so",
            target_date=today,
        )  # fmt: skip
        services.do_update_goal(
            ana, goal.pk, progress=100, status="achieved", reflection=REFLECTION
        )
        services.do_add_experiment(w.coach, w.engagements[0].pk, action=EXPERIMENT, due_on=today)
        services.do_record_observation(
            w.coach, ana, competency=w.competencies[0], level=w.levels[2],
            situation="Weekly planning", behaviour=OBSERVED, observed_on=today,
        )  # fmt: skip
        Observation.objects.create(
            learner=ben, observer=ana, observer_kind="peer", competency=w.competencies[0],
            level=w.levels[1], situation="Stand-up", behaviour=ANA_OBSERVES, observed_on=today,
        )  # fmt: skip
        services.do_add_three_way_note(w.sponsor, w.engagements[0].pk, THREE_WAY)
        services.do_reset_calendar_feed(ana)
    return w, wb


def _figures(w):
    with tenant_context(w.org):
        return (
            coaching_counts([w.cohort_id]),
            coaching_counts([w.cohort_id], by_coach=True),
            sorted((f.learner_id, f.competency_id, f.rating) for f in observation_facts()),
        )


def test_coaching_provides_privacy_hooks():
    assert {"coaching", "projects", "feedback"} <= {label for label, _m in privacy_modules()}


def test_the_export_holds_the_learners_coaching_and_nobody_elses_private_text(world):
    w, _wb = world
    ana = w.learners[0]
    with tenant_context(w.org):
        tables = export_person(ana)
        secret = CalendarFeed.objects.get(membership=ana).secret
    everything = json.dumps(tables)
    for text in ERASED:
        if text != NOTE:
            assert text in everything, text
    assert GROUP_SUMMARY in everything  # the summary is the participants' too
    # The coach's private notes are the coach's; another learner's journal is theirs.
    for text in (NOTE, GROUP_NOTE, BEN_JOURNAL, ORG_B_JOURNAL, secret):
        assert text not in everything, text
    assert all("giver_id" not in row for row in tables["peer_feedback_you_received"])
    assert all("observer_id" not in row for row in tables["observations_about_you"])
    assert [r["rating"] for r in tables["session_attendance_and_ratings"]].count(4) == 1
    with tenant_context(w.org):
        coach_tables = json.dumps(export_person(w.coach))
    assert NOTE in coach_tables and GROUP_NOTE in coach_tables and JOURNAL not in coach_tables


def test_erasing_a_learner_deletes_their_coaching_text_and_keeps_every_figure(world):
    w, wb = world
    ana, ben = w.learners[0], w.learners[1]
    before = _figures(w)
    assert before[0][0].sessions_held == 2 and before[0][0].goals_achieved == 1
    with tenant_context(w.org):
        receipt = do_erase_person(None, ana, ana.user.email)
    assert _figures(w) == before
    with tenant_context(w.org):
        assert receipt.items["journal entries deleted"] == 1
        assert receipt.items["calendar feeds deleted"] == 1
        assert receipt.items["peer feedback (text deleted)"] == 2
        for text in ERASED:
            assert _tables_containing(text) == [], text
        # Others' private text stays.
        assert JournalEntry.objects.get(learner=ben).text == BEN_JOURNAL
        assert _tables_containing(GROUP_NOTE) and _tables_containing(GROUP_SUMMARY)
        assert PeerFeedback.objects.count() == 2
    with tenant_context(wb.org):
        assert JournalEntry.objects.get().text == ORG_B_JOURNAL
        assert _tables_containing(ORG_B_JOURNAL)


def test_erasing_a_coach_deletes_their_private_notes_and_keeps_the_group_summary(world):
    w, _wb = world
    before = _figures(w)
    with tenant_context(w.org):
        receipt = do_erase_person(None, w.coach, w.coach.user.email)
        assert receipt.items["private session notes deleted"] == 2
        assert _tables_containing(NOTE) == [] and _tables_containing(GROUP_NOTE) == []
        assert _tables_containing(GROUP_SUMMARY) and _tables_containing(JOURNAL)
    assert _figures(w) == before
