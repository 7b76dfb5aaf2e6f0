"""What is said in coaching stays private: a walk through every page and API response as an
admin and as a sponsor finds none of the private strings planted here; each reader of the
coaching pages sees exactly what the confidentiality table allows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from coaching import services
from coaching.models import Rehearsal
from organizations.tenancy import tenant_context
from tests.coaching.helpers import build_world, held_session

NOTE = "ZEBRA-private-note"
SUMMARY = "OTTER-shared-summary"
JOURNAL_PRIVATE = "HERON-journal-private"
JOURNAL_SHARED = "LYNX-journal-shared"
PEER = "FALCON-peer-feedback"
GOAL = "BADGER-goal-title"
EXPERIMENT = "MARTEN-experiment"
OBSERVED = "WALRUS-observed-behaviour"
THREE_WAY = "IBIS-three-way-note"
PRIVATE = (NOTE, SUMMARY, JOURNAL_PRIVATE, JOURNAL_SHARED, PEER, GOAL, EXPERIMENT, OBSERVED)


@pytest.fixture
def planted(org_a, org_b):
    build_world(org_b, "b", n_learners=1)
    w = build_world(org_a, "a")
    one = held_session(w, notes=NOTE, summary=SUMMARY, days_ago=5)
    group = held_session(w, group=True, notes=NOTE, summary=SUMMARY, days_ago=3)
    ana, ben = w.learners[0], w.learners[1]
    with tenant_context(w.org):
        services.do_give_peer_feedback(ben, group.pk, ana.pk, what_worked=PEER)
        services.do_write_journal(ana, text=JOURNAL_PRIVATE)
        shared = services.do_write_journal(ana, text=JOURNAL_SHARED)
        services.do_share_journal_entry(ana, shared.pk, True)
        goal = services.do_set_goal(
            ana,
            w.engagements[0].pk,
            title=GOAL,
            success_measure="Team says so",
            target_date=timezone.localdate() + dt.timedelta(days=60),
        )
        experiment = services.do_add_experiment(
            w.coach, w.engagements[0].pk, action=EXPERIMENT, due_on=timezone.localdate()
        )
        services.do_record_observation(
            w.coach,
            ana,
            competency=w.competencies[0],
            level=w.levels[2],
            situation="Weekly planning",
            behaviour=OBSERVED,
            observed_on=timezone.localdate(),
        )
        services.do_add_three_way_note(w.sponsor, w.engagements[0].pk, THREE_WAY)
    ids = {
        "org_slug": w.org.slug,
        "session_id": one.pk,
        "engagement_id": w.engagements[0].pk,
        "goal_id": goal.pk,
        "experiment_id": experiment.pk,
        "entry_id": shared.pk,
        "learner_id": ana.pk,
        "cohort_id": w.cohort_id,
        "template_id": w.template.pk,
        "member_id": ana.pk,
        "membership_id": ana.pk,
        "enrollment_id": w.enrollments[0].pk,
    }
    return w, group, ids


def _patterns(resolvers, prefix=""):
    for p in resolvers:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            yield p.name, prefix + str(p.pattern)


def _tenant_urls(ids: dict) -> list[str]:
    """Every named GET-able page and API route under the organisation whose parameters we
    can fill with the planted objects' ids."""
    urls = set()
    for name, pattern in _patterns(get_resolver().url_patterns):
        if not pattern.startswith(("o/<slug:org_slug>/", "^api/v1/orgs/", "api/v1/orgs/")):
            continue
        params = re.findall(r"<(?:\w+:)?(\w+)>", pattern) + re.findall(r"\(\?P<(\w+)>", pattern)
        params = [p for p in params if p != "format"]
        kwargs = {}
        for p in params:
            value = ids.get(p, ids["session_id"] if p == "pk" else None)
            if value is None:
                break
            kwargs[p] = value
        else:
            try:
                urls.add(reverse(name, kwargs=kwargs))
            except Exception:  # a route with a converter our ids do not fit
                continue
    return sorted(urls)


@pytest.mark.parametrize("reader", ["admin", "sponsor"])
def test_admin_and_sponsor_see_no_private_coaching_text_anywhere(client, planted, reader):
    w, _group, ids = planted
    member = w.admin if reader == "admin" else w.sponsor
    client.force_login(member.user)
    urls = _tenant_urls(ids)
    assert len(urls) > 40  # the walk reaches the whole app, not a handful of pages
    assert f"/o/{w.org.slug}/coaching/report/" in urls
    seen = 0
    for url in [*urls, f"/o/{w.org.slug}/coaching/report/?format=csv"]:
        response = client.get(url)
        assert response.status_code < 500, url
        body = response.content.decode(errors="replace")
        for secret in PRIVATE:
            assert secret not in body, (reader, url, secret)
        if reader == "admin":
            assert THREE_WAY not in body, url
        seen += response.status_code == 200
    assert seen > (20 if reader == "admin" else 3)


def test_the_sponsor_sees_the_three_way_note_and_nothing_else_of_the_engagement(client, planted):
    w, _group, ids = planted
    client.force_login(w.sponsor.user)
    body = client.get(f"/o/{w.org.slug}/coaching/engagements/{ids['engagement_id']}/").content
    assert THREE_WAY.encode() in body
    assert GOAL.encode() not in body and EXPERIMENT.encode() not in body


def test_the_coach_sees_notes_summary_and_only_the_shared_journal_entry(client, planted):
    w, _group, ids = planted
    client.force_login(w.coach.user)
    session = client.get(f"/o/{w.org.slug}/coaching/sessions/{ids['session_id']}/").content
    assert NOTE.encode() in session and SUMMARY.encode() in session
    engagement = client.get(
        f"/o/{w.org.slug}/coaching/engagements/{ids['engagement_id']}/"
    ).content.decode()
    assert JOURNAL_SHARED in engagement and JOURNAL_PRIVATE not in engagement
    assert GOAL in engagement and EXPERIMENT in engagement and OBSERVED in engagement
    assert PEER not in engagement


def test_the_learner_sees_the_summary_not_the_notes(client, planted):
    w, group, ids = planted
    ana = w.learners[0]
    client.force_login(ana.user)
    for url in (
        f"/o/{w.org.slug}/coaching/sessions/{ids['session_id']}/",
        f"/o/{w.org.slug}/coaching/sessions/{group.pk}/",
        f"/o/{w.org.slug}/my-coaching/",
    ):
        body = client.get(url).content.decode()
        assert SUMMARY in body, url
        assert NOTE not in body, url
    mine = client.get(f"/o/{w.org.slug}/my-coaching/").content.decode()
    assert PEER in mine and OBSERVED in mine and "Coach" in mine  # who observed what


def test_peer_feedback_is_seen_only_by_its_recipient(client, planted):
    w, group, _ids = planted
    for learner in w.learners[1:]:
        client.force_login(learner.user)
        for url in (
            f"/o/{w.org.slug}/coaching/sessions/{group.pk}/",
            f"/o/{w.org.slug}/my-coaching/",
        ):
            assert PEER not in client.get(url).content.decode(), (learner, url)


def test_a_withdrawn_journal_entry_is_no_longer_seen_by_the_coach(client, planted):
    w, _group, ids = planted
    with tenant_context(w.org):
        services.do_share_journal_entry(w.learners[0], ids["entry_id"], False)
    client.force_login(w.coach.user)
    body = client.get(f"/o/{w.org.slug}/coaching/engagements/{ids['engagement_id']}/").content
    assert JOURNAL_SHARED.encode() not in body


def test_the_coach_sees_a_rehearsal_debrief_only_with_consent(planted):
    from coaching import queries
    from pathways.models import Scenario, ScenarioNode

    w, _group, ids = planted
    with tenant_context(w.org):
        scenario = Scenario.objects.create(title="Hard talk", status=Scenario.Status.PUBLISHED)
        end = ScenarioNode.objects.create(
            scenario=scenario, key="end", text="Done", is_ending=True, debrief="CORAL-debrief"
        )
        from pathways.models import ScenarioPlay

        ScenarioPlay.objects.create(
            learner=w.learners[0],
            scenario=scenario,
            current_node=end,
            finished_at=timezone.now(),
        )
        rehearsal = services.do_assign_rehearsal(w.coach, ids["engagement_id"], scenario)
        hidden = queries.engagement_detail(w.coach, ids["engagement_id"]).rehearsals
        assert [r.debrief for r in hidden] == [""]
        services.do_consent_rehearsal(w.learners[0], rehearsal.pk, True)
        shown = queries.engagement_detail(w.coach, ids["engagement_id"]).rehearsals
        assert [r.debrief for r in shown] == ["CORAL-debrief"]
        assert Rehearsal.objects.get(pk=rehearsal.pk).consented_at is not None
