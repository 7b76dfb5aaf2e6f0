"""An HR admin adds a rater (a direct report the list missed) to an approved 360 list from the
participant page: checked like a nomination, invited through the outbox with the request, the
anonymity rules unchanged, audited; refused on a closed cycle and for another organisation."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from measurement.feedback import services
from measurement.feedback.models import RaterRequest
from organizations.models import AuditEntry
from organizations.outbox.models import OutboxEntry
from organizations.tenancy import tenant_context
from tests.conftest import count_queries
from tests.feedback.helpers import (
    answer_all,
    build_scene,
    close_and_compute,
    launch,
    nominate_and_approve,
)

MISSED = "missed.report@acme.example"


@pytest.fixture
def scenes(org_a, org_b):
    return build_scene(org_a), build_scene(org_b, prefix="b-")


def _url(scene, participant) -> str:
    return reverse("feedback_participant_add_rater", args=[scene.org.slug, participant.pk])


def _page(scene, participant) -> str:
    return reverse("feedback_participant", args=[scene.org.slug, participant.pk])


def _requests(scene, **filters) -> int:
    with tenant_context(scene.org):
        return RaterRequest.objects.filter(**filters).count()


def _written(scene) -> tuple[int, int, int]:
    """Rater requests, outbox rows and audit entries of ``scene``'s organisation."""
    with tenant_context(scene.org):
        return (
            RaterRequest.objects.count(),
            OutboxEntry.objects.count(),
            AuditEntry.objects.filter(action="added rater").count(),
        )


def _error_next_to(body: str, field: str) -> str:
    tag = re.search(rf'<(?:input|select)[^>]*id="add_{field}"[^>]*>', body)
    assert tag and 'aria-invalid="true"' in tag.group(0), f"add_{field} not marked invalid"
    error = re.search(rf'<p class="field__error" id="add_{field}_error">([^<]*)</p>', body)
    assert error, f"no error next to add_{field}"
    return error.group(1)


def test_the_admin_adds_a_missed_direct_report_who_is_invited_at_once(
    scenes, client, django_capture_on_commit_callbacks
):
    a, b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3, direct_reports=3)
    client.force_login(a.admin.user)
    page = client.get(_page(a, participant)).content.decode()
    assert "Add a rater" in page and f'action="{_url(a, participant)}"' in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url(a, participant),
            {"relationship": "direct_report", "email": MISSED.upper(), "name": "Mia Missed"},
            follow=True,
        )
    body = response.content.decode()
    assert f"{MISSED} added and invited to rate." in body
    assert "Mia Missed" in body
    with tenant_context(a.org):
        added = RaterRequest.objects.get(email=MISSED)
        assert (added.relationship, added.status) == ("direct_report", "invited")
        # The invitation and three reminders were recorded with the request.
        keys = set(
            OutboxEntry.objects.filter(
                args__0=added.pk, handler__contains="send_rater"
            ).values_list("dedupe_key", flat=True)
        )
        assert keys == {f"fb-invite-{added.pk}"} | {f"fb-remind-{added.pk}-{n}" for n in (1, 2, 3)}
        entry = AuditEntry.objects.get(action="added rater")
        assert entry.actor == a.admin.user and entry.after == {
            "relationship": "direct_report",
            "email": MISSED,
        }
    [invitation] = mail.outbox
    assert invitation.to == [MISSED] and "/r/360/" in invitation.body
    assert "at least 3 of a group answered" in invitation.body  # anonymous, and says so
    with tenant_context(b.org):
        assert not RaterRequest.objects.filter(email=MISSED).exists()


def test_a_rolled_back_addition_leaves_nothing_half_written(scenes):
    a, _b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3, direct_reports=3)
    before = _written(a)
    with pytest.raises(RuntimeError), tenant_context(a.org):
        services.do_add_rater(participant, a.admin, "direct_report", MISSED)
        raise RuntimeError("the admin's request failed after the rater was added")
    assert _written(a) == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"relationship": "peer", "email": "peer0@outside.example"},
            "email",
            "peer0@outside.example is already on the list (as Peers); each person rates once, "
            "in one group.",
        ),
        ({"relationship": "peer", "email": "lee@acme-t.example"}, "email", None),
        ({"relationship": "peer", "email": "admin@acme-t.example"}, "email", None),
        ({"relationship": "peer", "email": "not-an-address"}, "email", None),
        ({"relationship": "self", "email": MISSED}, "relationship", None),
        (
            {"relationship": "other", "email": MISSED},
            "relationship",
            "Others would have 1 rater; an anonymous group needs at least 3. Add raters to a "
            "group that already has them.",
        ),
    ],
)
def test_a_refused_rater_comes_back_beside_the_field_and_nothing_is_written(
    scenes, client, data, field, message
):
    a, _b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3, direct_reports=3)
    before = _written(a)
    client.force_login(a.admin.user)
    response = client.post(_url(a, participant), data)
    assert response.status_code == 422
    error = _error_next_to(response.content.decode(), field)
    if message is not None:
        assert error == message
    assert _written(a) == before


def test_a_full_group_is_refused(scenes):
    a, _b = scenes
    cycle = launch(a, min_per_group=3, recommended_per_group=3, max_per_group=3)
    participant = nominate_and_approve(a, cycle, peers=3)
    with tenant_context(a.org), pytest.raises(services.FeedbackError) as refused:
        services.do_add_rater(participant, a.admin, "peer", MISSED)
    assert refused.value.field == "email" and "maximum of 3" in refused.value.message


def test_only_an_admin_adds_and_only_to_an_approved_list(scenes, client):
    a, _b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3, direct_reports=3)
    client.force_login(a.manager.user)  # may approve the list, may not add to it
    assert client.post(
        _url(a, participant), {"relationship": "peer", "email": MISSED}
    ).status_code in (
        403,
        404,
    )
    assert "Add a rater" not in client.get(_page(a, participant)).content.decode()
    draft = launch(a, title="Second 360")
    with tenant_context(a.org):
        waiting = draft.participants.get(learner=a.learner)
        with pytest.raises(services.FeedbackError, match="not approved yet"):
            services.do_add_rater(waiting, a.admin, "peer", MISSED)
    assert _requests(a, email=MISSED) == 0


def test_a_closed_cycle_or_a_passed_window_refuses(scenes, client):
    a, _b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3, direct_reports=3)
    with tenant_context(a.org):
        later = cycle.responses_close_on + dt.timedelta(days=1)
        with pytest.raises(services.FeedbackError, match="Answers for this cycle have closed"):
            services.do_add_rater(participant, a.admin, "direct_report", MISSED, today=later)
    close_and_compute(a, cycle)
    client.force_login(a.admin.user)
    assert "Add a rater" not in client.get(_page(a, participant)).content.decode()
    response = client.post(_url(a, participant), {"relationship": "direct_report", "email": MISSED})
    assert response.status_code == 422
    assert "This cycle is closed: its reports are computed and frozen." in response.content.decode()
    assert _requests(a, email=MISSED) == 0


def test_another_organisations_admin_gets_404_and_adds_nobody(scenes, client):
    a, b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3, direct_reports=3)
    client.force_login(b.admin.user)
    data = {"relationship": "direct_report", "email": MISSED}
    assert client.post(_url(a, participant), data).status_code == 404
    own_slug = reverse("feedback_participant_add_rater", args=[b.org.slug, participant.pk])
    assert client.post(own_slug, data).status_code == 404
    assert client.get(_page(a, participant)).status_code == 404
    assert _requests(a, email=MISSED) == 0


def test_the_added_rater_counts_in_their_group_under_the_same_threshold(scenes):
    a, _b = scenes
    cycle = launch(a)
    participant = nominate_and_approve(a, cycle, peers=3, direct_reports=3)
    with tenant_context(a.org):
        added = services.do_add_rater(participant, a.admin, "direct_report", MISSED)
        # Of the four direct reports only the added one and one other answer: 2 < 3.
        RaterRequest.objects.filter(
            relationship="direct_report",
            email__in=["direct_report1@outside.example", "direct_report2@outside.example"],
        ).update(status=RaterRequest.Status.DECLINED)
    answer_all(a, participant, lambda r, i: 5 if r.pk == added.pk else 2)
    (report,) = close_and_compute(a, cycle)
    groups = {g["group"]: g for g in report.data["groups"]}
    assert groups["direct_report"]["responded"] == 2 and not groups["direct_report"]["shown"]
    assert groups["peer"]["shown"]


def test_the_participant_page_reads_in_constant_queries_for_the_admin(scenes, client):
    a, _b = scenes
    counts = []
    for peers in (3, 8):
        cycle = launch(a, title=f"360 with {peers} peers")
        participant = nominate_and_approve(a, cycle, peers=peers, direct_reports=3)
        client.force_login(a.admin.user)
        with count_queries() as ctx:
            assert client.get(_page(a, participant)).status_code == 200
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1], counts
