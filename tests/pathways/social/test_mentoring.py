"""Micro-mentoring: matching, the request state machine, the page, and organisation walls."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from organizations.tenancy import tenant_context
from pathways.models import Ability, MentoringOffer, MentoringRequest, SelfAssessment
from pathways.social import queries, services
from pathways.social.matching import Strength, is_stronger, suggest_mentors
from tests.conftest import count_queries, enroll, make_member, make_pathway
from tests.pathways.social.helpers import make_competency, make_team

pytestmark = pytest.mark.django_db
Status = MentoringRequest.Status


@pytest.fixture
def world(org_a, org_b):
    ops, sales = make_team(org_a, "Operations"), make_team(org_a, "Sales")
    feedback = make_competency(org_a, "Feedback")
    mentee = make_member(org_a, "mia@a.example", team=ops, is_learner=True)
    return {
        "ops": ops,
        "sales": sales,
        "feedback": feedback,
        "mentee": mentee,
        "outsider": make_member(org_b, "olga@b.example", is_learner=True),
    }


def _mentor(org, email, team, competency, theta=None, p_known=None, offer=True):
    member = make_member(org, email, team=team, is_learner=True)
    with tenant_context(org):
        if offer:
            MentoringOffer.objects.create(mentor=member, competency=competency)
        if theta is not None:
            Ability.objects.create(
                learner=member, competency=competency, theta=theta, p_known=p_known or 0.2
            )
    return member


def _ability(org, member, competency, theta, p_known):
    with tenant_context(org):
        Ability.objects.create(learner=member, competency=competency, theta=theta, p_known=p_known)


def _names(org, mentee, competency):
    with tenant_context(org):
        return [s.name for s in suggest_mentors(mentee, [competency.pk], limit=None)[competency.pk]]


def test_it_compares_strength_on_each_measure():
    assert is_stronger(Strength(theta=1.0, p_known=0.6), Strength(theta=0.5, p_known=0.6))
    assert is_stronger(Strength(theta=0.1), Strength())  # vs the model's starting values
    assert not is_stronger(Strength(theta=-0.5, p_known=0.1), Strength())
    assert is_stronger(Strength(rating=4), Strength(rating=3))
    assert not is_stronger(Strength(rating=4), Strength())  # no self-rating to compare with
    assert not is_stronger(Strength(), Strength())


def test_it_ranks_stronger_mentors_from_other_teams_first_and_never_the_mentee(org_a, world):
    c, ops, sales = world["feedback"], world["ops"], world["sales"]
    _ability(org_a, world["mentee"], c, 0.2, 0.4)
    with tenant_context(org_a):  # offering to mentor oneself is ignored
        MentoringOffer.objects.create(mentor=world["mentee"], competency=c)
    _mentor(org_a, "same@a.example", ops, c, theta=2.0, p_known=0.95)
    _mentor(org_a, "cross@a.example", sales, c, theta=0.9, p_known=0.7)
    _mentor(org_a, "crossbest@a.example", sales, c, theta=1.5, p_known=0.9)
    _mentor(org_a, "weaker@a.example", sales, c, theta=-0.3, p_known=0.3)
    _mentor(org_a, "noevidence@a.example", sales, c)
    _mentor(org_a, "nooffer@a.example", sales, c, theta=3.0, p_known=0.99, offer=False)
    assert _names(org_a, world["mentee"], c) == ["Crossbest", "Cross", "Same"]


def test_it_uses_self_ratings_when_both_gave_one(org_a, world):
    c = world["feedback"]
    mentor = _mentor(org_a, "rated@a.example", world["sales"], c)
    fixture = make_pathway(org_a, n_steps=1)
    for member, rating in ((world["mentee"], 2), (mentor, 4)):
        enrollment = enroll(org_a, fixture, member)
        with tenant_context(org_a):
            SelfAssessment.objects.create(enrollment=enrollment, competency=c, rating=rating)
    with tenant_context(org_a):
        [suggestion] = suggest_mentors(world["mentee"], [c.pk])[c.pk]
    assert (suggestion.mentor.rating, suggestion.mentee.rating) == (4, 2)


def test_it_runs_the_request_through_propose_and_accept(org_a, world):
    c, mentee = world["feedback"], world["mentee"]
    mentor = _mentor(org_a, "max@a.example", world["sales"], c, theta=1.0, p_known=0.8)
    with tenant_context(org_a):
        request = services.do_request_mentor(mentee, c.pk, "Help me prepare reviews")
        assert request.status == Status.OPEN
        with pytest.raises(ValidationError):  # one live request per competency
            services.do_request_mentor(mentee, c.pk, "")
        services.do_propose_mentor(mentee, request.pk, mentor.pk)
        with pytest.raises(ValidationError):  # no longer open
            services.do_propose_mentor(mentee, request.pk, mentor.pk)
        with pytest.raises(MentoringRequest.DoesNotExist):  # only the proposed mentor answers
            services.do_answer_request(mentee, request.pk, accept=True)
        accepted = services.do_answer_request(mentor, request.pk, accept=True, note="Thursdays")
        assert (accepted.status, accepted.response_note) == (Status.ACCEPTED, "Thursdays")
        assert accepted.responded_at is not None
        with pytest.raises(ValidationError):  # a second answer is refused
            services.do_answer_request(mentor, request.pk, accept=False)
        with pytest.raises(ValidationError):  # accepted requests cannot be withdrawn
            services.do_withdraw_request(mentee, request.pk)
        assert MentoringRequest.objects.get().status == Status.ACCEPTED


def test_it_only_proposes_to_suggested_mentors(org_a, world):
    c, mentee = world["feedback"], world["mentee"]
    weaker = _mentor(org_a, "weak@a.example", world["sales"], c, theta=-1.0, p_known=0.1)
    with tenant_context(org_a):
        request = services.do_request_mentor(mentee, c.pk, "")
        for candidate in (weaker.pk, mentee.pk, world["outsider"].pk):
            with pytest.raises(ValidationError):
                services.do_propose_mentor(mentee, request.pk, candidate)
        assert MentoringRequest.objects.get().status == Status.OPEN


def test_it_declines_with_a_note_and_stops_suggesting_that_mentor(org_a, world):
    c, mentee = world["feedback"], world["mentee"]
    mentor = _mentor(org_a, "max@a.example", world["sales"], c, theta=1.0, p_known=0.8)
    with tenant_context(org_a):
        request = services.do_request_mentor(mentee, c.pk, "")
        services.do_propose_mentor(mentee, request.pk, mentor.pk)
        declined = services.do_answer_request(mentor, request.pk, accept=False, note="Too busy")
        assert (declined.status, declined.response_note) == (Status.DECLINED, "Too busy")
        assert suggest_mentors(mentee, [c.pk])[c.pk] == []
        again = services.do_ask_again(mentee, request.pk)
        assert again.pk != request.pk and again.status == Status.OPEN


def test_it_refuses_an_answer_after_the_mentee_withdrew(org_a, world):
    c, mentee = world["feedback"], world["mentee"]
    mentor = _mentor(org_a, "max@a.example", world["sales"], c, theta=1.0, p_known=0.8)
    with tenant_context(org_a):
        request = services.do_request_mentor(mentee, c.pk, "")
        services.do_propose_mentor(mentee, request.pk, mentor.pk)
        services.do_withdraw_request(mentee, request.pk)
        with pytest.raises(ValidationError):
            services.do_answer_request(mentor, request.pk, accept=True)
        assert MentoringRequest.objects.get().status == Status.WITHDRAWN


def test_it_compare_and_sets_so_a_stale_answer_changes_nothing(org_a, world):
    c, mentee = world["feedback"], world["mentee"]
    mentor = _mentor(org_a, "max@a.example", world["sales"], c, theta=1.0, p_known=0.8)
    with tenant_context(org_a):
        request = services.do_request_mentor(mentee, c.pk, "")
        services.do_propose_mentor(mentee, request.pk, mentor.pk)
        # Another tab withdrew between the mentor loading the page and answering.
        MentoringRequest.objects.filter(pk=request.pk).update(status=Status.WITHDRAWN)
        with pytest.raises(ValidationError):
            services.do_answer_request(mentor, request.pk, accept=True)
        assert MentoringRequest.objects.get().responded_at is None


def test_it_shows_accepted_pairs_to_both_sides_on_the_page(client, org_a, world):
    c, mentee = world["feedback"], world["mentee"]
    mentor = _mentor(org_a, "max@a.example", world["sales"], c, theta=1.0, p_known=0.8)
    client.force_login(mentee.user)
    base = f"/o/{org_a.slug}/mentoring"
    assert client.post(f"{base}/requests/", {"competency": c.pk, "note": "Hi"}).status_code == 302
    with tenant_context(org_a):
        request = MentoringRequest.objects.get()
    page = client.get(f"{base}/").content.decode()
    assert "Ask Max" in page
    assert (
        client.post(f"{base}/requests/{request.pk}/propose/", {"mentor": mentor.pk}).status_code
        == 302
    )
    client.force_login(mentor.user)
    assert "Mia" in client.get(f"{base}/").content.decode()
    response = client.post(f"{base}/requests/{request.pk}/answer/", {"decision": "accept"})
    assert response.status_code == 302
    with tenant_context(org_a):
        mine = queries.mentoring_page(mentor)
        theirs = queries.mentoring_page(mentee)
    assert [(p.partner.name, p.partner.team, p.competency, p.my_role) for p in mine.pairs] == [
        ("Mia", "Operations", "Feedback", "mentor")
    ]
    assert [(p.partner.name, p.partner.team, p.my_role) for p in theirs.pairs] == [
        ("Max", "Sales", "mentee")
    ]
    assert theirs.pairs[0].since is not None


def test_it_offers_and_withdraws_mentoring_from_the_page(client, org_a, world):
    client.force_login(world["mentee"].user)
    base = f"/o/{org_a.slug}/mentoring"
    response = client.post(f"{base}/offers/", {})
    assert (
        response.status_code == 200
        and "Choose at least one competency." in response.content.decode()
    )
    assert (
        client.post(f"{base}/offers/", {"competencies": [world["feedback"].pk]}).status_code == 302
    )
    with tenant_context(org_a):
        offer = MentoringOffer.objects.get()
    assert client.post(f"{base}/offers/{offer.pk}/withdraw/").status_code == 302
    with tenant_context(org_a):
        assert not MentoringOffer.objects.exists()


def test_it_gives_404_for_another_organisations_requests_and_offers(client, org_a, org_b, world):
    c, mentee = world["feedback"], world["mentee"]
    mentor = _mentor(org_a, "max@a.example", world["sales"], c, theta=1.0, p_known=0.8)
    with tenant_context(org_a):
        request = services.do_request_mentor(mentee, c.pk, "")
        services.do_propose_mentor(mentee, request.pk, mentor.pk)
        offer = MentoringOffer.objects.get(mentor=mentor)
    client.force_login(world["outsider"].user)
    b = f"/o/{org_b.slug}/mentoring"
    for url, data in (
        (f"{b}/requests/{request.pk}/answer/", {"decision": "accept"}),
        (f"{b}/requests/{request.pk}/withdraw/", {}),
        (f"{b}/requests/{request.pk}/propose/", {"mentor": mentor.pk}),
        (f"{b}/requests/{request.pk}/ask-again/", {}),
        (f"{b}/offers/{offer.pk}/withdraw/", {}),
    ):
        assert client.post(url, data).status_code == 404, url
    response = client.post(f"{b}/requests/", {"competency": c.pk})
    assert response.status_code == 200  # the form says the competency is not one of theirs
    with tenant_context(org_b):
        assert queries.mentoring_page(world["outsider"]).pairs == []
        assert not MentoringRequest.objects.exists()
    with tenant_context(org_a):
        assert MentoringRequest.objects.get().status == Status.PROPOSED
        assert MentoringOffer.objects.count() == 1


def test_it_reads_the_mentoring_page_in_a_constant_number_of_queries(client, org_a, world):
    mentee = world["mentee"]
    client.force_login(mentee.user)
    url = f"/o/{org_a.slug}/mentoring/"

    def grow(start: int, n: int) -> None:
        for i in range(start, start + n):
            competency = make_competency(org_a, f"Competency {i}")
            # Someone further on than the mentee offers the competency ...
            _mentor(org_a, f"m{i}@a.example", world["sales"], competency, theta=2.0, p_known=0.95)
            _ability(org_a, mentee, competency, 1.0, 0.6)
            asker = make_member(org_a, f"asker{i}@a.example", is_learner=True)
            with tenant_context(org_a):
                # ... the mentee asks for help, and mentors a colleague who is earlier on.
                services.do_request_mentor(mentee, competency.pk, "")
                MentoringOffer.objects.create(mentor=mentee, competency=competency)
                theirs = services.do_request_mentor(asker, competency.pk, "")
                services.do_propose_mentor(asker, theirs.pk, mentee.pk)
                if i % 2:
                    services.do_answer_request(mentee, theirs.pk, accept=True)

    def count() -> int:
        with count_queries() as ctx:
            response = client.get(url)
        assert response.status_code == 200 and "Ask M" in response.content.decode()
        return len(ctx.app_queries)

    grow(0, 2)
    small = count()
    grow(10, 12)
    assert count() == small


def test_it_keeps_a_decline_as_history_once_the_mentee_asks_again(org_a, world):
    c, mentee = world["feedback"], world["mentee"]
    mentor = _mentor(org_a, "max@a.example", world["sales"], c, theta=1.0, p_known=0.8)
    with tenant_context(org_a):
        request = services.do_request_mentor(mentee, c.pk, "")
        services.do_propose_mentor(mentee, request.pk, mentor.pk)
        services.do_answer_request(mentor, request.pk, accept=False, note="Too busy")
        assert [r.status for r in queries.mentoring_page(mentee).requests] == [Status.DECLINED]
        services.do_ask_again(mentee, request.pk)
        assert [r.status for r in queries.mentoring_page(mentee).requests] == [Status.OPEN]
        with pytest.raises(ValidationError):  # one live request per competency
            services.do_ask_again(mentee, request.pk)


def test_it_emails_the_mentor_on_a_proposal_and_the_mentee_on_the_answer(
    org_a, world, mailoutbox, django_capture_on_commit_callbacks
):
    c, mentee = world["feedback"], world["mentee"]
    mentor = _mentor(org_a, "max@a.example", world["sales"], c, theta=1.0, p_known=0.8)
    with tenant_context(org_a):
        request = services.do_request_mentor(mentee, c.pk, "Preparing annual reviews")
        with django_capture_on_commit_callbacks(execute=True):
            services.do_propose_mentor(mentee, request.pk, mentor.pk)
        with django_capture_on_commit_callbacks(execute=True):
            services.do_answer_request(mentor, request.pk, accept=False, note="Busy until May")
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
            services.do_answer_request(mentor, request.pk, accept=True)  # refused: no mail
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["max@a.example"], "Mia asks you to mentor them on Feedback"),
        (["mia@a.example"], "Max cannot mentor you on Feedback this time"),
    ]
    assert "Preparing annual reviews" in mailoutbox[0].body
    assert f"/o/{org_a.slug}/mentoring/" in mailoutbox[0].body
    assert "Busy until May" in mailoutbox[1].body


def test_it_shows_a_mentors_estimate_only_when_they_chose_to_share_it(client, org_a, world):
    c, mentee = world["feedback"], world["mentee"]
    for email, share in (("max@a.example", True), ("nina@a.example", False)):
        member = make_member(org_a, email, team=world["sales"], is_learner=True)
        with tenant_context(org_a):
            services.do_offer_mentoring(member, [c.pk], share_estimate=share)
            Ability.objects.create(learner=member, competency=c, theta=1.0, p_known=0.81, updates=6)
    with tenant_context(org_a):
        services.do_request_mentor(mentee, c.pk, "")
    client.force_login(mentee.user)
    page = client.get(f"/o/{org_a.slug}/mentoring/").content.decode()
    assert "Ask Max" in page and "Ask Nina" in page
    # Max chose to share: his estimate and its base; the mentee has no answers, so no figure
    # of theirs (never the model's 20 % starting assumption).
    assert "Knowledge estimate 81% from 6 answers (you have no answers on it yet)" in page
    assert page.count("Knowledge estimate") == 1  # nothing of Nina's
    assert "20%" not in page and "Mastery estimate" not in page


def test_it_records_the_choice_to_share_when_offering(client, org_a, world):
    client.force_login(world["mentee"].user)
    base = f"/o/{org_a.slug}/mentoring"
    page = client.get(f"{base}/").content.decode()
    assert "Show colleagues who ask for a mentor my knowledge estimate" in page
    data = {"competencies": [world["feedback"].pk], "share_estimate": "on"}
    assert client.post(f"{base}/offers/", data).status_code == 302
    with tenant_context(org_a):
        assert MentoringOffer.objects.get().share_estimate is True
    client.post(f"{base}/offers/", {"competencies": [world["feedback"].pk]})
    with tenant_context(org_a):
        assert MentoringOffer.objects.get().share_estimate is False
