"""A module is made once: a double submit of the create form, two admins at once or a second
spelling of a title make one module, and the second save gets the title's message."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from organizations.models import AuditEntry, Organization
from organizations.tenancy import tenant_context
from pathways.library import services
from pathways.models import Module
from tests.conftest import make_member, requires_postgres
from tests.pathways.library.conftest import make_module
from tests.races import race

FORM = {
    "title": "Ask before you tell",
    "summary": "Questions first.",
    "body": "## Ask",
    "format": "read",
    "minutes": "10",
    "difficulty": "2",
    "is_core": "core",
}


def _titles(org):
    with tenant_context(org):
        return sorted(Module.objects.values_list("title", flat=True))


def test_a_double_submit_of_the_create_form_makes_one_module(client, org_a, org_b):
    admin = make_member(org_a, "ada@a.example", is_admin=True)
    client.force_login(admin.user)
    url = f"/o/{org_a.slug}/library/modules/new/"
    assert client.post(url, FORM).status_code == 302
    again = client.post(url, {**FORM, "title": "ASK before you tell "})
    assert again.status_code == 200
    assert "Another module is called “ASK before you tell”." in again.content.decode()
    assert _titles(org_a) == ["Ask before you tell"]
    with tenant_context(org_a):
        assert AuditEntry.objects.filter(object_type="Module", action="created").count() == 1


def test_titles_repeat_across_organisations_and_on_the_module_itself(org_a, org_b):
    module = make_module(org_a, "Feedback that lands")
    make_module(org_b, "FEEDBACK THAT LANDS")
    with tenant_context(org_a):
        data = services.ModuleData(title="Feedback That Lands", summary="Renamed in case.")
        services.do_save_module(None, module, data)  # its own title, another case: fine
        with pytest.raises(ValidationError) as refused:
            services.do_save_module(None, None, data)
    assert refused.value.message_dict == {
        "title": ["Another module is called “Feedback That Lands”."]
    }
    assert _titles(org_a) == ["Feedback That Lands"]


def test_the_database_refuses_a_second_spelling(org_a, org_b):
    with tenant_context(org_a):
        Module.objects.create(title="Core skills")
        with pytest.raises(IntegrityError), transaction.atomic():
            Module.objects.create(title="CORE SKILLS")


def test_a_save_that_races_past_the_check_gets_the_checks_message(org_a, org_b, monkeypatch):
    """The other request's module is not there yet when the check runs."""
    make_module(org_a, "Core skills")
    monkeypatch.setattr(services, "check_module_title", lambda title, module: [])
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as raced:
            services.do_save_module(None, None, services.ModuleData(title="core skills"))
        assert Module.objects.count() == 1  # and the transaction still works
    assert raced.value.message_dict == {"title": ["Another module is called “core skills”."]}
    assert isinstance(raced.value.__cause__, IntegrityError)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_creates_at_once_make_one_module(org_a, org_b):
    def create():
        return services.do_save_module(None, None, services.ModuleData(title="Ask first"))

    outcome = race(org_a, create, create)
    assert isinstance(outcome, ValidationError), outcome
    assert isinstance(outcome.__cause__, IntegrityError)
    assert _titles(org_a) == ["Ask first"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_numbers_titles_that_repeat_before_it_adds_the_rule(db):
    executor = MigrationExecutor(connection)
    before = [("pathways", "0020_stepcompletion_step_index")]
    after = [("pathways", "0021_module_unique_title_ci")]
    executor.migrate(before)
    try:
        module_model = executor.loader.project_state(before).apps.get_model("pathways", "Module")
        org = Organization.objects.create(name="Acme", slug="acme-m")
        other = Organization.objects.create(name="Globex", slug="globex-m")
        titles = ["Feedback", "feedback", "FEEDBACK", "Feedback (2)", "Delegating"]
        with tenant_context(org):
            for title in titles:
                module_model.objects.create(organization_id=org.pk, title=title)
        with tenant_context(other):
            module_model.objects.create(organization_id=other.pk, title="feedback")
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
    assert _titles(org) == sorted(
        ["Feedback", "feedback (3)", "FEEDBACK (4)", "Feedback (2)", "Delegating"]
    )
    assert _titles(other) == ["feedback"]
