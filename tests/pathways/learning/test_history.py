"""The learner's history: completions, practice answers, reviews and scenario plays, newest
first, paged."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from organizations.tenancy import tenant_context
from pathways.learning.queries import HISTORY_PAGE_SIZE, history_page
from pathways.learning.services import do_mark_module_done, do_save_practice_answer
from pathways.models import ReviewCard, ReviewLog, ScenarioPlay, StepCompletion
from pathways.scenarios.services import do_choose, do_start_play
from tests.conftest import count_queries, enroll, make_member, make_pathway
from tests.pathways.learning.factories import add_items, add_task, extra_module, open_modules
from tests.pathways.scenarios.builders import make_scenario


def _review(org, learner, item, when):
    with tenant_context(org):
        card, _ = ReviewCard.objects.get_or_create(learner=learner, item=item)
        ReviewLog.objects.create(
            card=card,
            learner=learner,
            token=uuid.uuid4().hex,
            rating=3,
            correct=True,
            duration_ms=4200,
            reviewed_at=when,
        )


def test_it_lists_completions_answers_and_reviews_newest_first(org_a, org_b):
    fixture = make_pathway(org_a, n_steps=2)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    extra = extra_module(org_a, "Energy, not hours")
    add_task(org_a, extra.pk)
    [item] = add_items(org_a, extra.pk, 1)
    now = timezone.now()
    with tenant_context(org_a):
        StepCompletion.objects.create(
            enrollment=enrollment,
            learner=leo,
            step_key=fixture.steps[0].key,
            completed_at=now - dt.timedelta(days=3),
        )
        do_save_practice_answer(leo, extra.pk, "Block two hours on Monday")
    open_modules(org_a, leo, extra.pk)
    with tenant_context(org_a):
        do_mark_module_done(leo, extra.pk)
    _review(org_a, leo, item, now + dt.timedelta(minutes=5))
    other = make_member(org_a, "mia@example.com", is_learner=True)
    _review(org_a, other, item, now)  # someone else's review never shows
    with tenant_context(org_a):
        page = history_page(leo)
    # The practice answer comes first: it is what lets the learner mark the module done.
    assert [e.kind for e in page.entries] == ["review", "completion", "answer", "completion"]
    assert page.entries[0].title == "Question 1 of module %s" % extra.pk
    assert page.entries[0].detail == "Answered Good in 4 s"
    assert page.entries[2].detail == "Block two hours on Monday"
    assert page.entries[1].title == "Energy, not hours"
    assert page.entries[3].title == "Leading Through Change module 1"
    assert page.total == 4


def test_it_pages_the_history(client, org_a, org_b):
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    module = extra_module(org_a, "Energy, not hours")
    [item] = add_items(org_a, module.pk, 1)
    now = timezone.now()
    for i in range(HISTORY_PAGE_SIZE + 3):
        _review(org_a, leo, item, now - dt.timedelta(minutes=i))
    with tenant_context(org_a):
        first, second = history_page(leo, 1), history_page(leo, 2)
    assert len(first.entries) == HISTORY_PAGE_SIZE and len(second.entries) == 3
    assert first.has_next and not second.has_next and second.num_pages == 2
    client.force_login(leo.user)
    body = client.get(f"/o/{org_a.slug}/learn/history/?page=2").content.decode()
    assert "Page 2 of 2" in body


def test_it_teaches_what_belongs_in_an_empty_history(client, org_a, org_b):
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    body = client.get(f"/o/{org_a.slug}/learn/history/").content.decode()
    assert "Nothing here yet" in body


def _play(org, learner, fx, choices):
    """A play of ``fx``'s scenario through the services, making ``choices`` in turn."""
    with tenant_context(org):
        play = do_start_play(learner, fx.scenario.pk)
        for sequence, choice in enumerate(choices, start=1):
            do_choose(learner, play.pk, choice.pk, sequence=sequence)
    return play


def test_it_lists_scenario_plays_with_the_ending_reached(client, org_a, org_b):
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    finished = make_scenario(org_a)
    unfinished = make_scenario(org_a, title="The quiet stand-up")
    done = _play(org_a, leo, finished, [finished.ask, finished.plan])
    open_play = _play(org_a, leo, unfinished, [unfinished.tell])
    with tenant_context(org_a):
        ScenarioPlay.objects.filter(pk=open_play.pk).update(
            started_at=timezone.now() + dt.timedelta(minutes=1)
        )
    mia = make_member(org_a, "mia@example.com", is_learner=True)
    _play(org_a, mia, finished, [finished.tell, finished.take_back])  # never shows for Leo
    with tenant_context(org_a):
        page = history_page(leo)
    assert [(e.kind, e.title, e.finished) for e in page.entries] == [
        ("scenario", "The quiet stand-up", False),
        ("scenario", "The struggling report", True),
    ]
    assert page.entries[0].detail == "Started, not finished yet: 1 choice so far"
    assert page.entries[1].detail == (
        "Ending reached: Sam delivers the next milestone early. (2 choices, 2 the most effective)"
    )
    client.force_login(leo.user)
    body = client.get(f"/o/{org_a.slug}/learn/history/").content.decode()
    assert "Scenario finished" in body and "Scenario started" in body
    assert f"/o/{org_a.slug}/scenarios/plays/{done.pk}/debrief/" in body
    assert f"/o/{org_a.slug}/scenarios/{unfinished.scenario.pk}/play/" in body
    assert "Sam delivers the next milestone early." in body
    assert "Tell Sam" not in body  # Mia's bad ending is hers

    other = make_member(org_b, "leo@example.com", is_learner=True)
    client.force_login(other.user)
    body = client.get(f"/o/{org_b.slug}/learn/history/").content.decode()
    assert "The struggling report" not in body and "Nothing here yet" in body


def test_it_reads_scenario_plays_in_history_in_constant_queries(client, org_a, org_b):
    counts = []
    for org, plays in ((org_a, 1), (org_b, 30)):
        leo = make_member(org, "leo@example.com", is_learner=True)
        fx = make_scenario(org)
        for i in range(plays):
            _play(org, leo, fx, [fx.ask, fx.plan] if i % 2 == 0 else [fx.tell])
        module = extra_module(org, "Energy, not hours")
        add_task(org, module.pk)
        [item] = add_items(org, module.pk, 1)
        open_modules(org, leo, module.pk)
        with tenant_context(org):
            do_save_practice_answer(leo, module.pk, "Block two hours on Monday")
            do_mark_module_done(leo, module.pk)
        _review(org, leo, item, timezone.now())
        client.force_login(leo.user)
        with count_queries() as ctx:
            body = client.get(f"/o/{org.slug}/learn/history/").content.decode()
        shown = body.count("Scenario finished") + body.count("Scenario started")
        assert shown == min(plays, HISTORY_PAGE_SIZE - 3)  # the newest three are not plays
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1], counts
