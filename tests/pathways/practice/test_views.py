"""The review session and reminder settings through the test client (full page and htmx)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from freezegun import freeze_time

from organizations.models import User
from organizations.tenancy import tenant_context
from pathways.models import RetrievalItem, ReviewCard, ReviewLog
from tests.conftest import count_queries, make_member
from tests.pathways.practice.factories import make_cards, options_of

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def leo(org_a):
    return make_member(org_a, "leo@a.example", is_learner=True)


def _ticket(html: str) -> str:
    return re.search(r'name="ticket" value="([^"]+)"', html)[1]


def _answer_url(org, card):
    return f"/o/{org.slug}/practice/cards/{card.pk}/answer/"


def test_it_shows_the_oldest_due_card_first_with_the_count(client, org_a, org_b, leo):
    built = make_cards(org_a, leo, n=3)
    make_cards(org_a, leo, n=1, due=timezone.now() + dt.timedelta(days=2), module_title="Later")
    client.force_login(leo.user)
    html = client.get(f"/o/{org_a.slug}/practice/").content.decode()
    assert "Card 1 of 3" in html
    assert "Question 1:" in html and "Specific and timely" in html
    assert f'action="{_answer_url(org_a, built.cards[0])}"' in html
    assert f'hx-post="{_answer_url(org_a, built.cards[0])}"' in html


def test_it_walks_through_a_session_with_htmx(client, org_a, org_b, leo):
    built = make_cards(org_a, leo, n=2)
    right, wrong = options_of(org_a, built.items[0])
    client.force_login(leo.user)
    first = client.get(f"/o/{org_a.slug}/practice/", **HTMX).content.decode()
    assert "<html" not in first and "Card 1 of 2" in first
    answered = client.post(
        _answer_url(org_a, built.cards[0]), {"ticket": _ticket(first), "n": 0, "option": wrong},
        **HTMX,
    ).content.decode()  # fmt: skip
    assert "<html" not in answered
    assert "Not quite" in answered and "Your answer" in answered and "Correct answer" in answered
    assert "Months later the moment is gone." in answered  # per-option feedback
    assert "in 1 minute" in answered
    assert "Next card (1 more due)" in answered and "?n=1" in answered
    second = client.get(f"/o/{org_a.slug}/practice/?n=1", **HTMX).content.decode()
    assert "Card 2 of 2" in second and "Question 2:" in second
    right2, _ = options_of(org_a, built.items[1])
    done = client.post(
        _answer_url(org_a, built.cards[1]), {"ticket": _ticket(second), "n": 1, "option": right2},
        **HTMX,
    ).content.decode()  # fmt: skip
    assert "Right" in done and "Finish" in done
    with tenant_context(org_a):
        assert ReviewLog.objects.count() == 2


def test_it_works_without_javascript_and_records_a_resubmit_once(client, org_a, org_b, leo):
    built = make_cards(org_a, leo, n=1)
    right, _ = options_of(org_a, built.items[0])
    client.force_login(leo.user)
    ticket = _ticket(client.get(f"/o/{org_a.slug}/practice/").content.decode())
    data = {"ticket": ticket, "n": 0, "option": right}
    first = client.post(_answer_url(org_a, built.cards[0]), data)
    second = client.post(_answer_url(org_a, built.cards[0]), data)
    assert first.status_code == second.status_code == 200
    assert "<html" in first.content.decode()
    assert "already recorded" in second.content.decode()
    with tenant_context(org_a):
        assert ReviewLog.objects.count() == 1
        due = ReviewCard.objects.get().due
    assert due > timezone.now() + dt.timedelta(hours=12)


def test_it_reveals_and_self_grades_free_recall(client, org_a, org_b, leo):
    card = make_cards(org_a, leo, n=1, kind=RetrievalItem.Kind.FREE_RECALL).cards[0]
    client.force_login(leo.user)
    html = client.get(f"/o/{org_a.slug}/practice/").content.decode()
    assert "Show the model answer" in html and 'name="rating" value="4"' in html
    missing = client.post(_answer_url(org_a, card), {"ticket": _ticket(html), "n": 0}).content
    assert "Choose how well you recalled it" in missing.decode()
    assert _ticket(missing.decode()) == _ticket(html)  # same card, time keeps counting
    saved = client.post(
        _answer_url(org_a, card), {"ticket": _ticket(html), "n": 0, "rating": 3, "answer": "x"}
    ).content.decode()
    assert "Saved as “Good”" in saved and "Specific, timely and about behaviour." in saved
    with tenant_context(org_a):
        assert ReviewLog.objects.get().rating == 3


def test_it_asks_for_a_choice_and_records_nothing(client, org_a, org_b, leo):
    card = make_cards(org_a, leo, n=1).cards[0]
    client.force_login(leo.user)
    html = client.get(f"/o/{org_a.slug}/practice/").content.decode()
    page = client.post(_answer_url(org_a, card), {"ticket": _ticket(html), "n": 0}).content
    assert "Choose one of the answers." in page.decode()
    assert "Please correct the following" in page.decode()
    with tenant_context(org_a):
        assert ReviewLog.objects.count() == 0


def test_it_reloads_the_card_after_a_tampered_form(client, org_a, org_b, leo):
    card = make_cards(org_a, leo, n=1).cards[0]
    right, _ = options_of(org_a, card.item)
    client.force_login(leo.user)
    page = client.post(
        _answer_url(org_a, card), {"ticket": "forged", "n": 0, "option": right}
    ).content.decode()
    assert "could not be checked" in page and "Card 1 of 1" in page
    with tenant_context(org_a):
        assert ReviewLog.objects.count() == 0


def test_it_teaches_when_nothing_is_due(client, org_a, org_b, leo):
    client.force_login(leo.user)
    assert "No review cards yet" in client.get(f"/o/{org_a.slug}/practice/").content.decode()
    with freeze_time("2026-03-02 10:00:00+00:00"):  # a Monday
        make_cards(org_a, leo, n=1, due=timezone.now() + dt.timedelta(days=3, hours=1))
        html = client.get(f"/o/{org_a.slug}/practice/").content.decode()
    assert "All reviews done for now" in html
    assert (
        'due <time datetime="2026-03-05T11:00:00+00:00" title="Thu 5 Mar 2026, 11:00">'
        "in 3 days</time> (Thursday 5 March, 11:00)" in html
    )
    assert f'href="/o/{org_a.slug}/"' in html


def test_it_words_the_next_review_in_the_learners_own_time_zone(client, org_a, org_b, leo):
    leo.user.time_zone = "America/New_York"
    leo.user.save(update_fields=["time_zone"])
    client.force_login(leo.user)
    # 02:00 UTC on Tuesday is still Monday 21:00 in New York: a card due Wednesday 20:00 UTC
    # (15:00 in New York) is two days away there, though only tomorrow on a UTC calendar.
    with freeze_time("2026-03-03 02:00:00+00:00"):
        make_cards(org_a, leo, n=1, due=dt.datetime(2026, 3, 4, 20, 0, tzinfo=dt.UTC))
        html = client.get(f"/o/{org_a.slug}/practice/settings/").content.decode()
    assert 'title="Wed 4 Mar 2026, 15:00">in 2 days</time> (Wednesday 4 March, 15:00)' in html
    assert ">tomorrow</time>" not in html


def test_it_gives_404_for_another_organisations_card(client, org_a, org_b, leo):
    card = make_cards(org_a, leo, n=1).cards[0]
    intruder = make_member(org_b, "intruder@b.example", is_learner=True)
    client.force_login(intruder.user)
    url = f"/o/{org_b.slug}/practice/cards/{card.pk}/answer/"
    assert client.post(url, {"ticket": "x", "n": 0, "option": 1}).status_code == 404
    with tenant_context(org_a):
        assert ReviewLog.objects.count() == 0


def test_it_gives_404_for_a_colleagues_card(client, org_a, org_b, leo):
    card = make_cards(org_a, leo, n=1).cards[0]
    mia = make_member(org_a, "mia@a.example", is_learner=True)
    client.force_login(mia.user)
    assert client.post(_answer_url(org_a, card), {"ticket": "x", "n": 0}).status_code == 404


def test_it_is_for_learners_only(client, org_a, org_b):
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    client.force_login(admin.user)
    assert client.get(f"/o/{org_a.slug}/practice/").status_code == 404
    assert client.get(f"/o/{org_a.slug}/practice/settings/").status_code == 404


@pytest.mark.parametrize("htmx", [False, True])
def test_it_uses_the_same_number_of_queries_for_3_and_30_due_cards(client, org_a, org_b, htmx):
    counts = []
    for n, email in ((3, "few@a.example"), (30, "many@a.example")):
        learner = make_member(org_a, email, is_learner=True)
        make_cards(org_a, learner, n=n, module_title=email)
        client.force_login(learner.user)
        with count_queries() as ctx:
            response = client.get(f"/o/{org_a.slug}/practice/", **(HTMX if htmx else {}))
        assert f"Card 1 of {n}" in response.content.decode()
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1]


def test_it_reads_the_review_page_in_one_query(org_a, org_b, leo):
    """The counts, the oldest due card and its options: one statement (SQL text); the counts
    alone likewise. Another organisation's cards stay out."""
    from pathways.practice import queries  # noqa: PLC0415

    make_cards(org_a, leo, n=3)
    other = make_member(org_b, "leo@b.example", is_learner=True)
    make_cards(org_b, other, n=5)
    with tenant_context(org_a):
        with count_queries() as ctx:
            page = queries.review_page(leo)
        assert len(ctx.app_queries) == 1
        assert (page.due, page.total_cards) == (3, 3)
        assert page.card is not None and page.card.options
        with count_queries() as ctx:
            counts = queries.review_page(leo, include_card=False)
        assert len(ctx.app_queries) == 1 and counts.card is None and counts.due == 3


def test_it_uses_the_same_number_of_queries_to_answer_with_few_or_many_cards(client, org_a, org_b):
    counts = []
    for n, email in ((3, "few@a.example"), (30, "many@a.example")):
        learner = make_member(org_a, email, is_learner=True)
        built = make_cards(org_a, learner, n=n, module_title=email)
        right, _ = options_of(org_a, built.items[0])
        client.force_login(learner.user)
        ticket = _ticket(client.get(f"/o/{org_a.slug}/practice/").content.decode())
        with count_queries() as ctx:
            client.post(
                _answer_url(org_a, built.cards[0]), {"ticket": ticket, "n": 0, "option": right}
            )
        counts.append(len(ctx.app_queries))
    assert counts[0] == counts[1]


def test_it_turns_reminders_off_and_on(client, org_a, org_b, leo):
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/practice/settings/"
    page = client.get(url).content.decode()
    assert "Same as the organisation (UTC)" in page
    response = client.post(url, {"time_zone": "Europe/Paris"}, follow=True)
    assert "Daily reminders are off" in response.content.decode()
    user = User.objects.get(pk=leo.user_id)
    assert (user.email_reminders, user.time_zone) == (False, "Europe/Paris")
    client.post(url, {"email_reminders": "on", "time_zone": ""})
    user.refresh_from_db()
    assert (user.email_reminders, user.time_zone) == (True, "")


def test_it_refuses_an_unknown_time_zone(client, org_a, org_b, leo):
    client.force_login(leo.user)
    url = f"/o/{org_a.slug}/practice/settings/"
    page = client.post(url, {"email_reminders": "on", "time_zone": "Mars/Olympus"}).content
    assert "Select a valid choice" in page.decode()
    assert User.objects.get(pk=leo.user_id).time_zone == ""
