"""360 pages: who may see what, cross-organisation 404s, the rater link, bad input, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from measurement.feedback import services
from measurement.feedback.models import Item, RaterRequest, Report
from organizations.models import Membership
from organizations.tenancy import tenant_context
from pathways.models import CohortCoach
from tests.conftest import count_queries, enroll, make_member
from tests.feedback.helpers import (
    answer_all,
    build_scene,
    close_and_compute,
    launch,
    nominate_and_approve,
    participant_of,
)


@pytest.fixture
def scenes(org_a, org_b):
    return build_scene(org_a), build_scene(org_b, prefix="b-")


def closed_report(scene, peers=3, direct_reports=0):
    cycle = launch(scene)
    participant = nominate_and_approve(scene, cycle, peers=peers, direct_reports=direct_reports)
    answer_all(scene, participant, lambda r, i: 3 + i.position % 2)
    (report,) = close_and_compute(scene, cycle)
    return cycle, participant, report


def token_for(scene, relationship="peer"):
    with tenant_context(scene.org):
        request = RaterRequest.objects.filter(
            relationship=relationship, status=RaterRequest.Status.INVITED
        ).first()
        return request, services.make_token(request)


def test_every_tenant_url_is_404_for_another_organisations_member(scenes, client):
    a, b = scenes
    cycle, participant, report = closed_report(a)
    slug = a.org.slug
    urls = [
        reverse("my_feedback", args=[slug]),
        reverse("feedback_cycles", args=[slug]),
        reverse("feedback_launch", args=[slug]),
        reverse("feedback_cycle", args=[slug, cycle.pk]),
        reverse("feedback_participant", args=[slug, participant.pk]),
        reverse("feedback_self", args=[slug, participant.pk]),
        reverse("feedback_report", args=[slug, report.pk]),
        reverse("feedback_report_pdf", args=[slug, report.pk]),
    ]
    client.force_login(b.admin.user)
    for url in urls:
        assert client.get(url).status_code == 404, url
    # The same ids under the other organisation's own slug: not found there either.
    client.force_login(b.learner.user)
    for name, pk in (
        ("feedback_participant", participant.pk),
        ("feedback_report", report.pk),
        ("feedback_report_pdf", report.pk),
        ("feedback_self", participant.pk),
    ):
        assert client.get(reverse(name, args=[b.org.slug, pk])).status_code == 404
    client.force_login(b.admin.user)
    assert client.get(reverse("feedback_cycle", args=[b.org.slug, cycle.pk])).status_code == 404
    post = client.post(
        reverse("feedback_cycle_action", args=[b.org.slug, cycle.pk]), {"action": "close"}
    )
    assert post.status_code == 404


def test_a_rater_link_of_one_organisation_never_opens_anothers_request(scenes, client):
    a, b = scenes
    cycle = launch(a)
    nominate_and_approve(a, cycle)
    request, _token = token_for(a)
    # A validly signed token naming organisation B with A's request id finds nothing in B.
    with tenant_context(b.org):
        crossed = RaterRequest(pk=request.pk, organization_id=b.org.pk)
        token = services.make_token(crossed)
    assert client.get(reverse("feedback_rate", args=[token])).status_code == 404


def test_a_rater_answers_on_the_link_without_an_account(scenes, client):
    a, _b = scenes
    cycle = launch(a)
    nominate_and_approve(a, cycle)
    request, token = token_for(a)
    url = reverse("feedback_rate", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your answers are anonymous" in html and "at least 3 people" in html
    assert "Not observed" in html and "Competency 1 behaviour 1" in html
    with tenant_context(a.org):
        items = list(Item.objects.filter(cycle=cycle))
    # Progress saved.
    saved = client.post(url, {f"item_{items[0].pk}": "4", "action": "save"})
    assert saved.status_code == 302
    assert 'value="4" checked' in client.get(saved["Location"]).content.decode()
    # Out of scale: a clear message next to the item, nothing written, no 500.
    bad = client.post(url, {f"item_{items[1].pk}": "9", "action": "save"})
    assert bad.status_code == 422 and "Choose a rating from 1 to 5" in bad.content.decode()
    # Submit with everything answered.
    data = {f"item_{i.pk}": "na" if n == 0 else "3" for n, i in enumerate(items)}
    done = client.post(url, {**data, "comment_1": "Great listener", "action": "submit"})
    assert done.status_code == 200 and "your feedback is in" in done.content.decode()
    # One submission per link.
    reused = client.get(url)
    assert reused.status_code == 410 and "Already answered" in reused.content.decode()


def test_bad_links_get_clear_pages_never_a_500(scenes, client):
    a, _b = scenes
    cycle = launch(a)
    nominate_and_approve(a, cycle)
    request, token = token_for(a)
    assert client.get(reverse("feedback_rate", args=[token + "x"])).status_code == 404
    assert client.get(reverse("feedback_rate", args=["nonsense"])).status_code == 404
    with tenant_context(a.org):
        cycle.responses_close_on = timezone.localdate() - dt.timedelta(days=1)
        cycle.nominations_close_on = cycle.responses_close_on - dt.timedelta(days=1)
        cycle.save()
    late = client.post(reverse("feedback_rate", args=[token]), {"action": "submit"})
    assert late.status_code == 410 and "closed" in late.content.decode()


def test_a_rater_can_decline(scenes, client):
    a, _b = scenes
    cycle = launch(a)
    nominate_and_approve(a, cycle)
    request, token = token_for(a)
    page = client.post(reverse("feedback_rate", args=[token]), {"action": "decline"})
    assert page.status_code == 200 and "declined" in page.content.decode()
    with tenant_context(a.org):
        request.refresh_from_db()
        assert request.status == RaterRequest.Status.DECLINED


def test_the_learner_sees_how_many_answered_never_who(scenes, client):
    a, _b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3)
    answer_all(a, participant, lambda r, i: 4, groups=("peer",))
    with tenant_context(a.org):
        RaterRequest.objects.filter(email="peer0@outside.example").update(
            status=RaterRequest.Status.INVITED
        )
    client.force_login(a.learner.user)
    html = client.get(reverse("feedback_participant", args=[a.org.slug, participant.pk])).content
    text = html.decode()
    assert "How many answered in each group, never who" in text
    # No per-rater status anywhere on the page.
    assert "Answered</span>" not in text and "submitted" not in text


def test_nomination_errors_show_next_to_the_field(scenes, client):
    a, _b = scenes
    cycle = launch(a)
    participant = participant_of(a, cycle)
    client.force_login(a.learner.user)
    url = reverse("feedback_participant", args=[a.org.slug, participant.pk])
    page = client.post(url, {"relationship": "peer", "email": a.learner.user.email})
    assert page.status_code == 422
    assert "field__error" in page.content.decode() and "rate yourself" in page.content.decode()


def test_the_manager_approves_from_the_page(scenes, client):
    a, _b = scenes
    cycle = launch(a)
    participant = participant_of(a, cycle)
    with tenant_context(a.org):
        for i in range(3):
            services.do_nominate(participant, a.learner, "peer", f"p{i}@x.example")
        services.do_submit_nominations(participant, a.learner)
    client.force_login(a.manager.user)
    url = reverse("feedback_participant_action", args=[a.org.slug, participant.pk])
    assert client.post(url, {"action": "approve"}).status_code == 302
    with tenant_context(a.org):
        participant.refresh_from_db()
        assert participant.nominations == "approved"
    outsider = make_member(a.org, "nosy@acme.example", is_learner=True)
    client.force_login(outsider.user)
    page = reverse("feedback_participant", args=[a.org.slug, participant.pk])
    assert client.get(page).status_code == 404


def test_only_the_learner_and_a_shared_coach_read_a_report(scenes, client):
    a, _b = scenes
    cycle, participant, report = closed_report(a)
    url = reverse("feedback_report", args=[a.org.slug, report.pk])
    coach = make_member(a.org, "coach@acme.example", is_coach=True)
    sponsor = make_member(a.org, "sponsor@acme.example", is_sponsor=True)
    with tenant_context(a.org):
        CohortCoach.objects.create(cohort=a.fixture.cohort, membership=coach)
    for member in (a.admin, a.manager, coach, sponsor):
        client.force_login(member.user)
        assert client.get(url).status_code == 404
    client.force_login(a.learner.user)
    page = client.get(url)
    assert page.status_code == 200 and "Only you can see this report" in page.content.decode()
    client.post(reverse("feedback_report_share", args=[a.org.slug, report.pk]), {"shared": "1"})
    client.force_login(coach.user)
    assert client.get(url).status_code == 200
    for member in (a.admin, sponsor):
        client.force_login(member.user)
        assert client.get(url).status_code == 404
    client.force_login(a.learner.user)
    pdf = client.get(reverse("feedback_report_pdf", args=[a.org.slug, report.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_report_says_why_a_group_is_hidden(scenes, client):
    a, _b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3, direct_reports=3)
    answer_all(a, participant, lambda r, i: 4, groups=("self", "manager", "peer"))
    answer_all(a, participant, lambda r, i: 1, groups=("direct_report",))
    with tenant_context(a.org):
        RaterRequest.objects.filter(email="direct_report0@outside.example").update(
            status=RaterRequest.Status.INVITED, submitted_at=None
        )
    (report,) = close_and_compute(a, cycle)
    client.force_login(a.learner.user)
    html = client.get(reverse("feedback_report", args=[a.org.slug, report.pk])).content.decode()
    assert "fewer than 3 direct reports responded" in html
    assert "Direct reports 1.00" not in html


def _learners(scene, n):
    for i in range(n):
        member = make_member(scene.org, f"extra{i}-{scene.org.slug}@ex.example", is_learner=True)
        enroll(scene.org, scene.fixture, member)


def test_admin_progress_page_query_count_does_not_grow(scenes, client):
    a, _b = scenes
    cycle = launch(a)
    nominate_and_approve(a, cycle)
    client.force_login(a.admin.user)
    url = reverse("feedback_cycle", args=[a.org.slug, cycle.pk])
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _learners(a, 6)
    bigger = launch(a, title="second")
    url = reverse("feedback_cycle", args=[a.org.slug, bigger.pk])
    with count_queries() as big:
        page = client.get(url)
    assert page.status_code == 200 and page.content.decode().count('scope="row"') == 7
    assert len(small.app_queries) == len(big.app_queries)


def test_report_page_query_count_does_not_grow(scenes, client):
    a, _b = scenes
    _c, _p, report = closed_report(a, peers=3)
    client.force_login(a.learner.user)
    with count_queries() as small:
        client.get(reverse("feedback_report", args=[a.org.slug, report.pk]))
    _c2, _p2, big_report = closed_report(a, peers=8, direct_reports=5)
    with count_queries() as big:
        client.get(reverse("feedback_report", args=[a.org.slug, big_report.pk]))
    assert len(small.app_queries) == len(big.app_queries)


def test_admin_launches_from_the_form_and_bad_input_shows_errors(scenes, client):
    a, _b = scenes
    client.force_login(a.admin.user)
    url = reverse("feedback_launch", args=[a.org.slug])
    assert client.get(url).status_code == 200
    today = timezone.localdate()
    data = {
        "title": "Spring baseline",
        "cohort": a.fixture.cohort.pk,
        "kind": "baseline",
        "competencies": a.competency_ids,
        "nominations_close_on": today + dt.timedelta(days=5),
        "responses_close_on": today + dt.timedelta(days=2),
        "min_per_group": 3,
        "recommended_per_group": 5,
        "max_per_group": 10,
    }
    page = client.post(url, data)
    assert page.status_code == 200 and "Answers must close after" in page.content.decode()
    data["responses_close_on"] = today + dt.timedelta(days=20)
    assert client.post(url, data).status_code == 302
    with tenant_context(a.org):
        assert Report.objects.count() == 0
        assert Membership.objects.count() >= 3
