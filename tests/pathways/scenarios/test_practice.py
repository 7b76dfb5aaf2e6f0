"""Adaptive practice by competency: item choice near 85%, grading, evidence once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from organizations.tenancy import tenant_context
from pathways import adaptive
from pathways.models import (
    Ability,
    ActivityEvent,
    Module,
    RetrievalItem,
    RetrievalOption,
    ReviewCard,
    ReviewLog,
)
from pathways.scenarios import queries, services
from tests.conftest import count_queries, make_member
from tests.pathways.scenarios.builders import make_competencies, make_items


@pytest.fixture
def world(org_a, org_b):
    coaching, delegation = make_competencies(org_a, ["Coaching", "Delegation"])
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    return coaching, delegation, leo


def _url(org, competency):
    return f"/o/{org.slug}/practice/competency/{competency.pk}/"


def test_it_chooses_the_item_nearest_the_target_difficulty():
    target = adaptive.target_difficulty(0.0)  # about -1.73
    candidates = [(1, -3.0), (2, -1.5), (3, 0.0), (4, 2.0)]
    assert queries.choose_item(candidates, 0.0, resting=set()) == 2
    assert queries.choose_item(candidates, 0.0, resting={2}) == 1
    assert queries.choose_item(candidates, 2.0, resting=set()) == 3  # target about 0.27
    assert queries.choose_item(candidates, 3.0, resting=set()) == 4  # target about 1.27
    assert queries.choose_item(candidates, 0.0, resting={1, 2, 3, 4}) is None
    assert abs(-1.5 - target) < abs(-3.0 - target)


def test_it_picks_for_the_learners_ability_and_avoids_recent_answers(org_a, world):
    coaching, _delegation, leo = world
    easy, near, hard = make_items(org_a, coaching, [-3.0, -1.6, 0.5])
    with tenant_context(org_a):
        pick = queries.pick_practice(leo, coaching.pk)
        assert pick.item.id == near.pk and pick.pool == 3
        assert pick.expected == pytest.approx(adaptive.expected_success(0.0, -1.6))
        services.do_answer_practice(leo, coaching.pk, near.pk, "t1", option_id=_right(near))
        again = queries.pick_practice(leo, coaching.pk)
        theta = Ability.objects.get(learner=leo, competency=coaching).theta
    target = adaptive.target_difficulty(theta)
    expected = min((easy, hard), key=lambda i: abs(i.difficulty - target))
    assert again.item.id == expected.pk and again.resting == 1
    later = timezone.now() + dt.timedelta(minutes=queries.RECENT_MINUTES + 1)
    with tenant_context(org_a):
        assert queries.pick_practice(leo, coaching.pk, now=later).resting == 0


def test_it_also_rests_items_just_reviewed_in_a_review_session(org_a, world):
    coaching, _delegation, leo = world
    near, other = make_items(org_a, coaching, [-1.7, 1.0])
    with tenant_context(org_a):
        card = ReviewCard.objects.create(learner=leo, item=near)
        ReviewLog.objects.create(card=card, learner=leo, token="r1", rating=3, correct=True)
        assert queries.pick_practice(leo, coaching.pk).item.id == other.pk


def test_it_only_uses_published_items_of_the_competency(org_a, world):
    coaching, delegation, leo = world
    make_items(org_a, coaching, [-1.7], module_status=Module.Status.DRAFT, title="Draft")
    make_items(org_a, delegation, [-1.7], title="Delegating")
    [untagged_item] = make_items(org_a, coaching, [5.0], title="Tagged", item_competency=False)
    make_items(
        org_a, coaching, [-1.7], title="Untagged module", tag_module=False, item_competency=False
    )
    with tenant_context(org_a):
        pick = queries.pick_practice(leo, coaching.pk)
    assert pick.pool == 1 and pick.item.id == untagged_item.pk


def _right(item):
    with tenant_context(item.organization):
        return RetrievalOption.objects.get(item=item, is_correct=True).pk


def _wrong(item):
    with tenant_context(item.organization):
        return RetrievalOption.objects.get(item=item, is_correct=False).pk


def test_it_explains_the_pick_and_grades_multiple_choice(client, org_a, world):
    coaching, _delegation, leo = world
    [item] = make_items(org_a, coaching, [-1.7])
    client.force_login(leo.user)
    page = client.get(_url(org_a, coaching)).content.decode()
    assert "Picked to be challenging but doable: about 85% chance" in page
    assert "Question 1 on Coaching" in page
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    result = client.post(
        _url(org_a, coaching),
        {"item": item.pk, "token": token, "action": "answer", "option": _wrong(item)},
    ).content.decode()
    assert "Not quite" in result and "Telling keeps you the owner." in result
    assert "Right answer" in result and "Open questions invite ownership." in result
    with tenant_context(org_a):
        ability = Ability.objects.get(learner=leo, competency=coaching)
        event = ActivityEvent.objects.get(verb="answered")
        stored = RetrievalItem.objects.get(pk=item.pk)
        assert ReviewCard.objects.count() == 0  # practice outside FSRS
    assert ability.updates == 1 and ability.theta < 0
    assert ability.p_known == pytest.approx(adaptive.bkt_update(adaptive.BKT_PRIOR, False))
    assert stored.difficulty > -1.7
    assert event.object_id == str(item.pk) and event.result["success"] is False
    assert event.result["competency"] == coaching.pk


def test_it_records_a_double_submit_once(client, org_a, world):
    coaching, _delegation, leo = world
    [item] = make_items(org_a, coaching, [0.0])
    client.force_login(leo.user)
    data = {"item": item.pk, "token": "abc123", "action": "answer", "option": _right(item)}
    first = client.post(_url(org_a, coaching), data).content.decode()
    second = client.post(_url(org_a, coaching), data).content.decode()
    assert "Right" in first and "Right" in second
    with tenant_context(org_a):
        assert ActivityEvent.objects.filter(verb="answered").count() == 1
        assert Ability.objects.get(learner=leo, competency=coaching).updates == 1
        assert RetrievalItem.objects.get(pk=item.pk).difficulty_updates == 1


def test_it_reveals_free_recall_and_counts_good_or_easy_as_right(client, org_a, world):
    coaching, _delegation, leo = world
    [item] = make_items(org_a, coaching, [0.0], kind=RetrievalItem.Kind.FREE_RECALL)
    client.force_login(leo.user)
    page = client.get(_url(org_a, coaching)).content.decode()
    assert "Show the answer" in page and "Ask, listen, then agree" not in page
    reveal = client.post(
        _url(org_a, coaching),
        {"item": item.pk, "token": "t1", "action": "reveal", "recall": "Listen first"},
    ).content.decode()
    assert "Ask, listen, then agree the next step." in reveal and "Listen first" in reveal
    with tenant_context(org_a):
        assert ActivityEvent.objects.count() == 0  # revealing records nothing
    client.post(
        _url(org_a, coaching), {"item": item.pk, "token": "t1", "action": "answer", "grade": 3}
    )
    client.post(
        _url(org_a, coaching), {"item": item.pk, "token": "t2", "action": "answer", "grade": 1}
    )
    with tenant_context(org_a):
        results = list(
            ActivityEvent.objects.filter(verb="answered")
            .order_by("id")
            .values_list("result__success", flat=True)
        )
    assert results == [True, False]


def test_it_refuses_an_answer_without_a_grade_or_option(org_a, world):
    coaching, delegation, leo = world
    [mc] = make_items(org_a, coaching, [0.0])
    [free] = make_items(org_a, coaching, [0.0], kind=RetrievalItem.Kind.FREE_RECALL, title="Free")
    [other] = make_items(org_a, delegation, [0.0], title="Other")
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="Choose one of the answers"):
            services.do_answer_practice(leo, coaching.pk, mc.pk, "a")
        with pytest.raises(ValidationError, match="Again, Hard, Good or Easy"):
            services.do_answer_practice(leo, coaching.pk, free.pk, "b", grade=7)
        with pytest.raises(ValidationError, match="not part of the practice"):
            services.do_answer_practice(leo, coaching.pk, other.pk, "c", option_id=_right(other))
        assert ActivityEvent.objects.count() == 0 and Ability.objects.count() == 0


def test_it_says_when_every_question_is_resting_or_there_are_none(client, org_a, world):
    coaching, delegation, leo = world
    [item] = make_items(org_a, coaching, [0.0])
    client.force_login(leo.user)
    client.post(
        _url(org_a, coaching),
        {"item": item.pk, "token": "t", "action": "answer", "option": _right(item)},
    )
    page = client.get(_url(org_a, coaching)).content.decode()
    assert "You have answered its only question in the last 10 minutes" in page
    empty = client.get(_url(org_a, delegation)).content.decode()
    assert "No practice questions for this competency yet" in empty


def test_it_gives_404_for_another_organisations_competency_and_item(client, org_a, org_b, world):
    coaching, _delegation, _leo = world
    [item] = make_items(org_a, coaching, [0.0])
    intruder = make_member(org_b, "x@b.example", is_learner=True)
    [own] = make_competencies(org_b, ["Own"])
    client.force_login(intruder.user)
    assert client.get(_url(org_b, coaching)).status_code == 404
    answer = {"item": item.pk, "token": "t", "action": "answer", "option": _right(item)}
    assert client.post(_url(org_b, coaching), answer).status_code == 404
    assert client.post(_url(org_b, own), answer).status_code == 404
    with tenant_context(org_a):
        assert ActivityEvent.objects.count() == 0


def test_it_picks_in_a_constant_number_of_queries(client, org_a, world):
    coaching, _delegation, leo = world
    make_items(org_a, coaching, [-1.0, 0.0])
    client.force_login(leo.user)
    with count_queries() as small:
        assert client.get(_url(org_a, coaching)).status_code == 200
    items = make_items(org_a, coaching, [i / 10 for i in range(-30, 30)], title="More")
    with tenant_context(org_a):
        for i, item in enumerate(items[:8]):
            services.do_answer_practice(leo, coaching.pk, item.pk, f"t{i}", option_id=_right(item))
    with count_queries() as large:
        assert client.get(_url(org_a, coaching)).status_code == 200
    assert len(large.app_queries) == len(small.app_queries)


def test_it_answers_in_place_for_htmx_with_the_updated_estimate(client, org_a, world):
    coaching, _delegation, leo = world
    [item, _other] = make_items(org_a, coaching, [0.0, 1.0])
    client.force_login(leo.user)
    response = client.post(
        _url(org_a, coaching),
        {"item": item.pk, "token": "h1", "action": "answer", "option": _right(item)},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="practice-card"') and "<html" not in body
    assert "based on 1 answer" in body
    assert f'hx-get="/o/{org_a.slug}/practice/competency/{coaching.pk}/"' in body


def test_it_says_so_when_the_nearest_question_is_far_from_the_target(client, org_a, world):
    coaching, _delegation, leo = world
    make_items(org_a, coaching, [2.0])  # about 12% expected success for a new learner
    client.force_login(leo.user)
    page = client.get(_url(org_a, coaching)).content.decode()
    assert "The question closest to your level: about 12% chance" in page
    assert "Picked to be challenging but doable" not in page
