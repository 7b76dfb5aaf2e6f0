"""The journal through the API: a learner writes, reads, shares and withdraws their own entries
(the journal page's services); a coach reads only what a coachee shared, while shared; admins,
sponsors and API keys read no journal text; other organisations get 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from coaching import services
from coaching.models import JournalEntry
from organizations.api_keys.services import do_create_key
from organizations.tenancy import tenant_context
from pathways.models import CohortCoach
from tests.coaching.helpers import build_world
from tests.conftest import count_queries, enroll, make_member, make_pathway


@pytest.fixture
def worlds(org_a, org_b):
    return build_world(org_a, "a"), build_world(org_b, "b", n_learners=1)


def _write(w, learner, text, days_ago=0, shared=False):
    with tenant_context(w.org):
        entry = services.do_write_journal(learner, text=text)
        JournalEntry.objects.filter(pk=entry.pk).update(
            created_at=timezone.now() - dt.timedelta(days=days_ago)
        )
        if shared:
            services.do_share_journal_entry(learner, entry.pk, True)
    return entry


def _key(w, scope, name="BI"):
    with tenant_context(w.org):
        plaintext = do_create_key(w.admin, f"{name} {scope}", scope).plaintext
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def test_a_learner_writes_and_reads_their_own_journal(client, worlds):
    a, _b = worlds
    learner = a.learners[0]
    client.force_login(learner.user)
    url = f"/api/v1/orgs/{a.org.slug}/me/journal/"
    made = client.post(
        url,
        {"text": "  Asked before advising.  ", "prompt": "What did you try?"},
        "application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["text"] == "Asked before advising." and body["shared"] is False
    assert body["prompt"] == "What did you try?" and body["competency"] is None
    about = client.post(
        url, {"text": "On focus", "competency": a.competencies[0].pk}, "application/json"
    )
    assert about.json()["competency_name"] == a.competencies[0].name
    listed = client.get(url).json()["results"]
    assert [e["text"] for e in listed] == ["On focus", "Asked before advising."]
    assert client.get(f"{url}{body['id']}/").json()["id"] == body["id"]
    with tenant_context(a.org):
        assert JournalEntry.objects.filter(learner=learner).count() == 2


def test_bad_input_names_the_field_and_writes_nothing(client, worlds):
    a, b = worlds
    client.force_login(a.learners[0].user)
    url = f"/api/v1/orgs/{a.org.slug}/me/journal/"
    blank = client.post(url, {"text": "   "}, "application/json")
    assert blank.status_code == 400
    assert blank.json()["errors"] == [
        {
            "field": "text",
            "code": "invalid",
            "message": "Write something first; the entry is private to you.",
        }
    ]
    foreign = client.post(
        url, {"text": "x", "competency": b.competencies[0].pk}, "application/json"
    )
    assert foreign.status_code == 400 and foreign.json()["errors"][0]["field"] == "competency"
    huge = client.post(url, {"text": "x" * 20001}, "application/json")
    assert huge.status_code == 400 and huge.json()["errors"][0]["field"] == "text"
    unknown = client.post(url, {"text": "x", "shared_at": "now"}, "application/json")
    assert unknown.status_code == 201 and unknown.json()["shared"] is False  # read-only: ignored
    bad_date = client.get(url, {"since": "2026-13-01"})
    assert bad_date.status_code == 400 and bad_date.json()["errors"][0]["field"] == "since"
    backwards = client.get(url, {"since": "2026-05-02", "until": "2026-05-01"})
    assert backwards.status_code == 400 and backwards.json()["errors"][0]["field"] == "until"
    with tenant_context(a.org):
        assert JournalEntry.objects.count() == 1


def test_the_learners_filters_and_constant_queries(client, worlds):
    a, _b = worlds
    learner = a.learners[0]
    _write(a, learner, "old", days_ago=20)
    _write(a, learner, "recent shared", days_ago=2, shared=True)
    _write(a, a.learners[1], "someone else's", days_ago=2)
    client.force_login(learner.user)
    url = f"/api/v1/orgs/{a.org.slug}/me/journal/"
    since = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    until = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    assert [e["text"] for e in client.get(url, {"since": since}).json()["results"]] == [
        "recent shared"
    ]
    assert [e["text"] for e in client.get(url, {"until": until}).json()["results"]] == ["old"]
    assert [e["text"] for e in client.get(url, {"shared": "false"}).json()["results"]] == ["old"]
    with count_queries() as few:
        assert len(client.get(url).json()["results"]) == 2
    for i in range(5):
        _write(a, learner, f"more {i}", days_ago=1, shared=i % 2 == 0)
    with count_queries() as more:
        assert len(client.get(url).json()["results"]) == 7
    assert len(few.app_queries) == len(more.app_queries)


def test_a_coach_reads_only_what_a_coachee_shared_while_shared(client, worlds):
    a, _b = worlds
    private = _write(a, a.learners[0], "private thoughts")
    shared = _write(a, a.learners[0], "for my coach", shared=True)
    _write(a, a.outsider, "not a coachee", shared=True)
    client.force_login(a.coach.user)
    url = f"/api/v1/orgs/{a.org.slug}/coaching/journal/"
    with count_queries() as few:
        body = client.get(url).json()
    assert [(e["text"], e["learner"]) for e in body["results"]] == [
        ("for my coach", a.learners[0].pk)
    ]
    assert client.get(f"{url}{private.pk}/").status_code == 404
    assert client.get(f"{url}{shared.pk}/").json()["learner_name"]
    assert client.get(url, {"learner": a.learners[1].pk}).json()["results"] == []
    for i in range(4):
        _write(a, a.learners[1], f"shared {i}", shared=True)
    with count_queries() as more:
        assert len(client.get(url).json()["results"]) == 5
    assert len(few.app_queries) == len(more.app_queries)
    # The learner withdraws it: the coach no longer sees it.
    client.force_login(a.learners[0].user)
    withdrawn = client.post(
        f"/api/v1/orgs/{a.org.slug}/me/journal/{shared.pk}/share/",
        {"shared": False},
        "application/json",
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["shared"] is False
    client.force_login(a.coach.user)
    assert client.get(f"{url}{shared.pk}/").status_code == 404
    other_coach = make_member(a.org, "coach2@a.example", is_coach=True)
    client.force_login(other_coach.user)
    assert client.get(url).json()["results"] == []


def test_admins_sponsors_and_keys_read_no_journal_text(client, worlds):
    a, _b = worlds
    entry = _write(a, a.learners[0], "shared once", shared=True)
    mine = f"/api/v1/orgs/{a.org.slug}/me/journal/"
    coach = f"/api/v1/orgs/{a.org.slug}/coaching/journal/"
    for who in (a.admin, a.sponsor):
        client.force_login(who.user)
        for url in (mine, coach, f"{coach}{entry.pk}/", f"{mine}{entry.pk}/"):
            response = client.get(url)
            assert response.status_code == 403, (who, url)
            assert "shared once" not in response.content.decode()
    client.logout()
    for scope in ("read", "read_write"):
        auth = _key(a, scope)
        assert client.get(mine, **auth).status_code == 403
        assert client.get(coach, **auth).status_code == 403
    read_only = client.post(mine, {"text": "x"}, "application/json", **_key(a, "read", "LMS"))
    assert read_only.status_code == 403 and read_only.json()["code"] == "key_read_only"
    with tenant_context(a.org):
        assert JournalEntry.objects.count() == 1


def test_another_organisation_gets_404(client, worlds):
    a, b = worlds
    entry = _write(a, a.learners[0], "ours", shared=True)
    client.force_login(b.learners[0].user)
    assert client.get(f"/api/v1/orgs/{a.org.slug}/me/journal/").status_code == 404
    assert client.get(f"/api/v1/orgs/{b.org.slug}/me/journal/{entry.pk}/").status_code == 404
    share = client.post(
        f"/api/v1/orgs/{b.org.slug}/me/journal/{entry.pk}/share/",
        {"shared": False},
        "application/json",
    )
    assert share.status_code == 404
    client.force_login(b.coach.user)
    assert client.get(f"/api/v1/orgs/{b.org.slug}/coaching/journal/{entry.pk}/").status_code == 404
    assert client.get(f"/api/v1/orgs/{a.org.slug}/coaching/journal/").status_code == 404
    client.logout()
    their_key = _key(b, "read_write")
    assert client.get(f"/api/v1/orgs/{a.org.slug}/me/journal/", **their_key).status_code == 404
    # Another learner of the same organisation cannot share or read it either.
    client.force_login(a.learners[1].user)
    assert client.get(f"/api/v1/orgs/{a.org.slug}/me/journal/{entry.pk}/").status_code == 404
    other = client.post(
        f"/api/v1/orgs/{a.org.slug}/me/journal/{entry.pk}/share/",
        {"shared": False},
        "application/json",
    )
    assert other.status_code == 404
    with tenant_context(a.org):
        assert JournalEntry.objects.get(pk=entry.pk).shared_at is not None


def test_a_coach_lists_coachees_with_their_member_ids(client, worlds):
    a, b = worlds
    client.force_login(a.coach.user)
    url = f"/api/v1/orgs/{a.org.slug}/coaching/coachees/"
    with count_queries() as few:
        body = client.get(url).json()
    assert sorted(r["learner_id"] for r in body["results"]) == sorted(m.pk for m in a.learners)
    assert a.outsider.pk not in {r["learner_id"] for r in body["results"]}
    assert client.get(url, {"cohort": a.cohort_id + 10_000}).json()["results"] == []
    assert len(client.get(url, {"cohort": a.cohort_id}).json()["results"]) == 3
    assert client.get(url, {"cohort": "x"}).json()["errors"][0]["field"] == "cohort"
    more = make_pathway(a.org, name="Second")
    with tenant_context(a.org):
        CohortCoach.objects.create(cohort=more.cohort, membership=a.coach)
    for i in range(4):
        enroll(a.org, more, make_member(a.org, f"extra{i}@a.example", is_learner=True))
    with count_queries() as many:
        assert len(client.get(url).json()["results"]) == 7
    assert len(few.app_queries) == len(many.app_queries)
    for who in (a.admin, a.sponsor, a.learners[0]):
        client.force_login(who.user)
        assert client.get(url).status_code == 403
    client.force_login(b.coach.user)
    assert client.get(url).status_code == 404
    assert (
        client.get(f"/api/v1/orgs/{b.org.slug}/coaching/coachees/").json()["results"][0][
            "learner_id"
        ]
        == b.learners[0].pk
    )
