"""Names unique regardless of case, per organisation: in the database, and when two saves race.

Each service checks for a clash before it writes, but two requests at once can both pass that
check. The database constraint then refuses the second write and the service gives the check's
own message, having written nothing. The race is simulated by hiding the clashing row from the
check only (it is renamed while the check runs), and for real on PostgreSQL with two connections.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

import coaching.template_services
import competencies.services
import organizations.people.services
import pathways.builder.services
import pathways.cohorts.services
import pathways.library.services
import projects.services
from coaching.models import ConversationTemplate
from competencies.models import Competency, Framework, StrategicPriority
from organizations.models import AuditEntry, Membership, Team, User
from organizations.people.services import PersonData
from organizations.tenancy import tenant_context
from pathways.models import Cohort, Pathway, PathwayVersion, Scenario
from projects.models import ProjectTemplate
from tests.conftest import requires_postgres
from tests.races import race

HIDDEN = "hidden from the check"


def _framework(name: str = "Leadership") -> Framework:
    return Framework.objects.get_or_create(name=name)[0]


def _version() -> PathwayVersion:
    pathway = Pathway.objects.get_or_create(name="Programme")[0]
    return PathwayVersion.objects.get_or_create(
        pathway=pathway, number=1, defaults={"status": PathwayVersion.Status.PUBLISHED}
    )[0]


@dataclass(frozen=True)
class Case:
    """One name rule: the row that holds the name and the service that saves one."""

    model: type[models.Model]
    field: str
    make: Callable[[str], models.Model]  # inserts a row with this name directly
    check: tuple[ModuleType, str]  # where the service's duplicate check lives
    # Sets up what the save needs (before the race), returns the save itself.
    save: Callable[[], Callable[[str], Any]]


def _create_framework() -> Callable[[str], Any]:
    return lambda name: competencies.services.do_create_framework(None, name)


def _rename_framework() -> Callable[[str], Any]:
    other = Framework.objects.create(name="Other")
    return lambda name: competencies.services.do_update_framework(None, other, name, "")


def _create_competency() -> Callable[[str], Any]:
    framework = _framework()
    return lambda name: competencies.services.do_create_competency(None, framework, name)


def _rename_priority() -> Callable[[str], Any]:
    other = StrategicPriority.objects.create(title="Other")
    return lambda title: competencies.services.do_update_priority(None, other, title, "")


def _create_scenario() -> Callable[[str], Any]:
    return lambda title: pathways.library.services.do_save_scenario(None, None, title=title)


def _create_cohort() -> Callable[[str], Any]:
    version = _version()
    return lambda name: pathways.cohorts.services.do_create_cohort(
        None, name=name, version=version, start_date=dt.date.today()
    )


def _create_pathway() -> Callable[[str], Any]:
    return lambda name: pathways.builder.services.do_create_pathway(None, name=name)


def _create_team() -> Callable[[str], Any]:
    return lambda name: organizations.people.services.do_save_team(
        None, None, name=name, parent=None, manager=None
    )


def _create_project_template() -> Callable[[str], Any]:
    return lambda title: projects.services.do_save_project_template(
        None, None, title=title, brief="Lead a change."
    )


def _create_conversation_template() -> Callable[[str], Any]:
    return lambda title: coaching.template_services.do_save_conversation_template(
        None, None, title=title, purpose="Check in.", questions="How is it going?"
    )


def _change_email() -> Callable[[str], Any]:
    bob = Membership.objects.create(user=User.objects.create(email="bob@a.example"))
    return lambda email: organizations.people.services.do_update_person(
        None, bob, PersonData(email, "Bob", "", "", None, None, {"learner"})
    )


CASES = {
    "framework": Case(
        Framework,
        "name",
        lambda name: Framework.objects.create(name=name),
        (competencies.services, "check_framework_name"),
        _create_framework,
    ),
    "framework-rename": Case(
        Framework,
        "name",
        lambda name: Framework.objects.create(name=name),
        (competencies.services, "check_framework_name"),
        _rename_framework,
    ),
    "competency": Case(
        Competency,
        "name",
        lambda name: Competency.objects.create(framework=_framework(), name=name),
        (competencies.services, "check_competency"),
        _create_competency,
    ),
    "priority-rename": Case(
        StrategicPriority,
        "title",
        lambda title: StrategicPriority.objects.create(title=title),
        (competencies.services, "check_priority_title"),
        _rename_priority,
    ),
    "scenario": Case(
        Scenario,
        "title",
        lambda title: Scenario.objects.create(title=title),
        (pathways.library.services, "check_scenario_title"),
        _create_scenario,
    ),
    "cohort": Case(
        Cohort,
        "name",
        lambda name: Cohort.objects.create(
            name=name, version=_version(), start_date=dt.date.today()
        ),
        (pathways.cohorts.services, "check_cohort"),
        _create_cohort,
    ),
    "pathway": Case(
        Pathway,
        "name",
        lambda name: Pathway.objects.create(name=name),
        (pathways.builder.services, "check_pathway_name"),
        _create_pathway,
    ),
    "team": Case(
        Team,
        "name",
        lambda name: Team.objects.create(name=name),
        (organizations.people.services, "check_team_name"),
        _create_team,
    ),
    "project-template": Case(
        ProjectTemplate,
        "title",
        lambda title: ProjectTemplate.objects.create(title=title, brief="Lead a change."),
        (projects.services, "check_project_template"),
        _create_project_template,
    ),
    "conversation-template": Case(
        ConversationTemplate,
        "title",
        lambda title: ConversationTemplate.objects.create(title=title, purpose="p", questions="q"),
        (coaching.template_services, "check_conversation_template"),
        _create_conversation_template,
    ),
    "person-email": Case(
        User,
        "email",
        lambda email: User.objects.create(email=email),
        (organizations.people.services, "check_email_free"),
        _change_email,
    ),
}
# One case per tenant model, for the constraint itself.
MODEL_CASES = [k for k in CASES if k not in {"framework-rename", "person-email"}]
# The second spelling each case saves, against a first one already there.
SPELLINGS = {"person-email": ("ann@a.example", "Ann@A.example")}


def _spellings(key: str) -> tuple[str, str]:
    return SPELLINGS.get(key, ("CORE SKILLS", "Core skills"))


def _state(case: Case) -> tuple[list[tuple[Any, ...]], int]:
    """Every row of the model (id and name) and the number of audit entries."""
    manager: Any = case.model.objects
    rows = list(manager.order_by("pk").values_list("pk", case.field))
    return rows, AuditEntry.objects.count()


def _errors(exc: ValidationError) -> Any:
    return exc.message_dict if hasattr(exc, "error_dict") else exc.messages


@pytest.mark.django_db
@pytest.mark.parametrize("key", MODEL_CASES)
def test_it_refuses_a_second_spelling_of_a_name_in_the_database(org_a, org_b, key):
    case, (first, second) = CASES[key], _spellings(key)
    with tenant_context(org_a):
        case.make(first)
        with pytest.raises(IntegrityError), transaction.atomic():
            case.make(second)
    with tenant_context(org_b):  # the rule holds within one organisation only
        case.make(second)
        assert case.model.objects.filter(**{case.field: second}).count() == 1


@pytest.mark.django_db
def test_it_refuses_a_second_spelling_of_an_email_address_in_the_database(db):
    User.objects.create(email="ann@a.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="Ann@A.example")
    assert list(User.objects.values_list("email", flat=True)) == ["ann@a.example"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(CASES))
def test_it_gives_the_checks_message_when_a_save_races_a_second_spelling(
    org_a, org_b, monkeypatch, key
):
    case, (first, second) = CASES[key], _spellings(key)
    module, check_name = case.check
    with tenant_context(org_a):
        clash = case.make(first)
        save = case.save()
        before = _state(case)
        check = getattr(module, check_name)
        rows: Any = case.model._default_manager

        def blind_check(*args: Any, **kwargs: Any) -> Any:
            """The check, run while the other request's row is not there yet."""
            rows.filter(pk=clash.pk).update(**{case.field: HIDDEN})
            try:
                return check(*args, **kwargs)
            finally:
                rows.filter(pk=clash.pk).update(**{case.field: first})

        with monkeypatch.context() as patched:
            patched.setattr(module, check_name, blind_check)
            with pytest.raises(ValidationError) as raced:
                save(second)
        assert _state(case) == before  # nothing written, and the transaction still works
        with pytest.raises(ValidationError) as checked:
            save(second)  # no race: the check itself refuses it
    assert _errors(raced.value) == _errors(checked.value)
    assert raced.value.messages and isinstance(raced.value.__cause__, IntegrityError)


@pytest.mark.django_db
def test_it_reuses_the_account_another_invitation_has_just_created(db):
    """The invitation's own check found no account; meanwhile another request made one."""
    existing = User.objects.create(email="cy@a.example")
    with transaction.atomic():
        assert organizations.people.services._create_account("cy@a.example", "Cy") == existing
        assert User.objects.count() == 1  # and the transaction still works


# --- A real race on PostgreSQL: two connections, the second blocked by the first's new row ------


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key", ["framework", "cohort", "team", "project-template"])
def test_it_gives_the_checks_message_to_the_second_of_two_saves_at_once(org_a, org_b, key):
    case, (first, second) = CASES[key], _spellings(key)
    with tenant_context(org_a):
        save = case.save()
        before = _state(case)
    outcome = race(org_a, lambda: save(first), lambda: save(second))
    assert isinstance(outcome, ValidationError), outcome
    assert isinstance(outcome.__cause__, IntegrityError)
    with tenant_context(org_a):
        rows, audit = _state(case)
        assert [name for pk, name in rows if (pk, name) not in before[0]] == [first]
        assert audit == before[1] + 1  # the first save's entry only
        with pytest.raises(ValidationError) as checked:
            save(second)
    assert _errors(outcome) == _errors(checked.value)
    with tenant_context(org_b):
        assert not case.model.objects.exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_it_gives_one_account_and_one_membership_to_two_invitations_at_once(org_a, org_b):
    def invite(email: str) -> Callable[[], Any]:
        data = PersonData(email, "Ann", "", "", None, None, {"learner"})
        return lambda: organizations.people.services.do_invite_person(None, data)

    outcome = race(org_a, invite("ann@a.example"), invite("ANN@a.example"))
    assert isinstance(outcome, ValidationError), outcome
    assert outcome.messages == [
        "ann@a.example is already a member here. Open their page to re-send the invitation."
    ]
    # Invited by two organisations at the same moment: one account, a member of both.
    outcome = race(org_a, invite("bo@a.example"), invite("Bo@a.example"), second_org=org_b)
    assert not isinstance(outcome, Exception), outcome
    assert User.objects.filter(email__in=["ann@a.example", "bo@a.example"]).count() == 2
    for org in (org_a, org_b):
        with tenant_context(org):
            emails = Membership.objects.values_list("user__email", flat=True)
            assert sorted(emails) == (
                ["ann@a.example", "bo@a.example"] if org == org_a else ["bo@a.example"]
            )
