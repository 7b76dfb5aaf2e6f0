"""The learner's history: completions, practice answers, reviews and scenario plays, newest
first, paged."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from organizations.tenancy import tenant_context
from pathways.learning.queries import HISTORY_PAGE_SIZE, history_export_rows, history_page
from pathways.learning.services import do_mark_module_done, do_save_practice_answer
from pathways.models import (
    ActivityEvent,
    ReviewCard,
    ReviewLog,
    ScenarioPlay,
    Step,
    StepCompletion,
)
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


def test_it_names_steps_modules_and_reviews_as_their_rows_say(client, org_a, org_b):
    """Each kind's title and detail from the one statement: a step's own title, its target's,
    its kind's, a step of an earlier version, a module taken alone (kept, removed, or an event
    whose object is not an id), and a review without a duration; escaped and shortened in the
    table, in full in the download."""
    fixture = make_pathway(org_a, n_steps=3, name="Lead <&> change")
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    long_title = "Energy & <focus>, " + "not hours " * 10
    module = extra_module(org_a, long_title)
    [item] = add_items(org_a, module.pk, 1)
    base = dt.datetime(2026, 10, 23, 8, 0, tzinfo=dt.UTC)
    with tenant_context(org_a):
        Step.objects.filter(pk=fixture.steps[1].pk).update(title="Own <title>")
        Step.objects.filter(pk=fixture.steps[2].pk).update(module=None, kind=Step.Kind.PROJECT)
        for i, (step_key) in enumerate([s.key for s in fixture.steps] + [uuid.uuid4()]):
            StepCompletion.objects.create(
                enrollment=enrollment,
                learner=leo,
                step_key=step_key,
                completed_at=base + dt.timedelta(hours=i),
            )
        for i, object_id in enumerate([str(module.pk), "abc", "99999999"]):
            event = ActivityEvent.objects.create(
                actor=leo, verb="completed", object_type="module", object_id=object_id
            )
            ActivityEvent.objects.filter(pk=event.pk).update(
                timestamp=base + dt.timedelta(days=1, hours=i)
            )
    _review(org_a, leo, item, base + dt.timedelta(days=2))
    with tenant_context(org_a):
        ReviewLog.objects.filter(learner=leo).update(duration_ms=0, rating=4)
        page = history_page(leo)
    assert [(e.kind, e.title, e.detail, e.module_id) for e in page.entries] == [
        ("review", f"Question 1 of module {module.pk}", "Answered Easy", module.pk),
        ("completion", "A removed module", "Taken outside a pathway", 99999999),
        ("completion", "A removed module", "Taken outside a pathway", None),
        ("completion", long_title, "Taken outside a pathway", module.pk),
        ("completion", "A step of an earlier version", "Lead <&> change", None),
        ("completion", "Project", "Lead <&> change", None),
        ("completion", "Own <title>", "Lead <&> change", fixture.steps[1].module_id),
        ("completion", "Lead <&> change module 1", "Lead <&> change", fixture.steps[0].module_id),
    ]
    assert page.total == 8 and page.num_pages == 1 and not page.has_next

    client.force_login(leo.user)
    body = client.get(f"/o/{org_a.slug}/learn/history/").content.decode()
    assert "<td>Own &lt;title&gt;</td>" not in body  # a module step links to its module
    assert (
        f'<a href="/o/{org_a.slug}/learn/modules/{fixture.steps[1].module_id}/">Own &lt;title&gt;</a>'
        in body
    )
    assert "<td>Lead &lt;&amp;&gt; change</td>" in body
    shortened = "Energy &amp; &lt;focus&gt;, " + ("not hours " * 7) + "n…"  # 89 and …
    assert f'<a href="/o/{org_a.slug}/learn/modules/{module.pk}/">{shortened}</a>' in body
    assert "<td>A removed module</td>" in body  # no id, no link
    assert f'<a href="/o/{org_a.slug}/learn/modules/99999999/">A removed module</a>' in body
    download = client.get(f"/o/{org_a.slug}/learn/history/?format=csv").content.decode()
    assert long_title.strip() in download


def test_it_writes_when_in_the_organisations_time_zone(client, org_a, org_b):
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    module = extra_module(org_a, "Energy, not hours")
    [item] = add_items(org_a, module.pk, 1)
    org_a.time_zone = "Europe/Paris"
    org_a.save()
    # Summer time, winter time, and the hour that happens twice when clocks go back.
    for when in (
        "2026-10-24T08:05:00.5+00:00",
        "2026-10-26T08:05:00+00:00",
        "2026-10-25T00:30:00+00:00",
    ):
        _review(org_a, leo, item, dt.datetime.fromisoformat(when))
    client.force_login(leo.user)
    body = client.get(f"/o/{org_a.slug}/learn/history/").content.decode()
    assert '<time datetime="2026-10-26T09:05:00+01:00">26 Oct 2026, 09:05 CET</time>' in body
    assert (
        '<time datetime="2026-10-24T10:05:00.500000+02:00">24 Oct 2026, 10:05 CEST</time>' in body
    )
    # As Django's date format writes it: no zone name for an hour that is ambiguous.
    assert '<time datetime="2026-10-25T02:30:00+02:00">25 Oct 2026, 02:30 </time>' in body


def test_it_shows_the_last_page_for_a_page_past_the_end_or_below_one(client, org_a, org_b):
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    module = extra_module(org_a, "Energy, not hours")
    [item] = add_items(org_a, module.pk, 1)
    now = timezone.now()
    for i in range(HISTORY_PAGE_SIZE * 2 + 1):
        _review(org_a, leo, item, now - dt.timedelta(minutes=i))
    with tenant_context(org_a):
        pages = {n: history_page(leo, n) for n in ("9", "0", "-2", "x", None, "2", "3")}
    for n in ("9", "0", "-2", "3"):
        assert (pages[n].number, len(pages[n].entries), pages[n].has_next) == (3, 1, False), n
        assert pages[n].has_previous and pages[n].total == HISTORY_PAGE_SIZE * 2 + 1
    for n in ("x", None):
        assert (pages[n].number, len(pages[n].entries), pages[n].has_previous) == (1, 25, False)
    assert pages["2"].number == 2 and pages["2"].has_next and pages["2"].has_previous
    assert pages["2"].entries[0].when < pages["x"].entries[-1].when


def test_it_reads_the_history_in_one_statement(client, org_a, org_b):
    """The page's entries, their titles and the total come in one query whatever the mix."""
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    client.force_login(leo.user)
    with count_queries() as empty:
        client.get(f"/o/{org_a.slug}/learn/history/")
    fx = make_scenario(org_a)
    _play(org_a, leo, fx, [fx.ask, fx.plan])
    module = extra_module(org_a, "Energy, not hours")
    add_task(org_a, module.pk)
    [item] = add_items(org_a, module.pk, 1)
    open_modules(org_a, leo, module.pk)
    with tenant_context(org_a):
        do_save_practice_answer(leo, module.pk, "Block two hours on Monday")
        do_mark_module_done(leo, module.pk)
    _review(org_a, leo, item, timezone.now())
    with count_queries() as full:
        body = client.get(f"/o/{org_a.slug}/learn/history/").content.decode()
    assert "Scenario finished" in body and "Practice" in body and "Review" in body
    assert len(full.app_queries) == len(empty.app_queries)
    with tenant_context(org_a), count_queries() as ctx:
        history_page(leo)
    assert len(ctx.app_queries) == 1


def test_it_downloads_the_whole_history_in_batches(client, org_a, org_b, monkeypatch):
    monkeypatch.setattr("pathways.learning.queries.HISTORY_EXPORT_BATCH", 4)
    leo = make_member(org_a, "leo@example.com", is_learner=True)
    module = extra_module(org_a, "Energy, not hours")
    [item] = add_items(org_a, module.pk, 1)
    now = timezone.now()
    for i in range(9):
        _review(org_a, leo, item, now - dt.timedelta(minutes=i))
    with tenant_context(org_a), count_queries() as ctx:
        rows = list(history_export_rows(leo))
    assert len(rows) == 9 and len(ctx.app_queries) == 3
    assert [r[0] for r in rows] == sorted((r[0] for r in rows), reverse=True)
    assert {r[1] for r in rows} == {"Review"}
