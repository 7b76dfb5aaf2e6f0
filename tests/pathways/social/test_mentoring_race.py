"""One live mentoring request per mentee and competency, also when "ask for a mentor" is sent
twice at once: the database refuses the second and the learner gets the usual message."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from organizations.tenancy import tenant_context
from pathways.models import MentoringRequest
from pathways.social import services
from tests.conftest import make_member, requires_postgres
from tests.pathways.social.helpers import make_competency
from tests.races import race

Status = MentoringRequest.Status
MESSAGE = {"competency": ["You already have a mentoring request for Feedback; see it below."]}


@pytest.fixture
def mia(org_a):
    return make_member(org_a, "mia@a.example", is_learner=True)


@pytest.fixture
def feedback(org_a):
    return make_competency(org_a, "Feedback")


def _refused(**fields) -> bool:
    """Whether the database refuses this request (tried in a savepoint, never kept)."""
    try:
        with transaction.atomic():
            MentoringRequest.objects.create(**fields)
            transaction.set_rollback(True)
    except IntegrityError:
        return True
    return False


@pytest.mark.django_db
@pytest.mark.parametrize("status", Status.values)
def test_it_allows_one_live_request_per_competency_in_the_database(
    org_a, org_b, mia, feedback, status
):
    live = services.ACTIVE_REQUEST_STATUSES
    with tenant_context(org_a):
        MentoringRequest.objects.create(mentee=mia, competency=feedback, status=status)
        # A second live one is refused; declined and withdrawn ones are history and never count.
        assert {
            other: _refused(mentee=mia, competency=feedback, status=other)
            for other in Status.values
        } == {other: status in live and other in live for other in Status.values}
        mo = make_member(org_a, "mo@a.example", is_learner=True)
        assert not _refused(mentee=mo, competency=feedback, status=Status.OPEN)
        assert not _refused(mentee=mia, competency=make_competency(org_a, "Coaching"))
    with tenant_context(org_b):
        assert not MentoringRequest.objects.exists()


@pytest.mark.django_db
def test_it_gives_the_usual_message_when_the_check_misses_a_live_request(
    org_a, org_b, mia, feedback, monkeypatch
):
    with tenant_context(org_a):
        first = services.do_request_mentor(mia, feedback.pk, "Preparing reviews")
        with monkeypatch.context() as patched:
            # The check looks for live requests; as if the first were not committed yet.
            patched.setattr(services, "ACTIVE_REQUEST_STATUSES", ())
            with pytest.raises(ValidationError) as raced:
                services.do_request_mentor(mia, feedback.pk, "Again")
        assert list(MentoringRequest.objects.values_list("pk", "note")) == [
            (first.pk, "Preparing reviews")
        ]
        with pytest.raises(ValidationError) as checked:
            services.do_request_mentor(mia, feedback.pk, "Again")
    assert raced.value.message_dict == checked.value.message_dict == MESSAGE
    assert isinstance(raced.value.__cause__, IntegrityError)
    with tenant_context(org_b):
        assert not MentoringRequest.objects.exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_request_when_ask_for_a_mentor_is_sent_twice_at_once(
    org_a, org_b, mia, feedback
):
    def ask():
        return services.do_request_mentor(mia, feedback.pk, "")

    outcome = race(org_a, ask, ask)
    assert isinstance(outcome, ValidationError) and outcome.message_dict == MESSAGE, outcome
    with tenant_context(org_a):
        assert MentoringRequest.objects.get().status == Status.OPEN
    with tenant_context(org_b):
        assert not MentoringRequest.objects.exists()
