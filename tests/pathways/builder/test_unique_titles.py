"""A version's stages and elective groups each have a title no other one of the version has,
whatever its case, and a step holds a rule once: the database refuses a second row, the
services give their own message (on a rename too, and when a save races past the check), and
the migration numbers titles that already repeat before it adds the rule."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from organizations.models import Organization
from organizations.tenancy import tenant_context
from pathways.builder import services
from pathways.models import ElectiveGroup, PersonalisationRule, Stage
from tests.conftest import make_pathway
from tests.pathways.builder.helpers import make_competencies, make_draft


def test_the_database_refuses_a_second_stage_title_in_a_version(org_a, org_b):
    draft = make_draft(org_a)
    other = make_draft(org_a, name="Second pathway")
    with tenant_context(org_a):
        with pytest.raises(IntegrityError), transaction.atomic():
            Stage.objects.create(version=draft.version, title="STAGE 2", position=5)
        Stage.objects.create(version=other.version, title="Lead others", position=5)
        Stage.objects.create(version=draft.version, title="Lead others", position=6)
    make_draft(org_b)  # the same titles in another organisation are its own


def test_the_database_refuses_a_second_elective_group_title_in_a_version(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        ElectiveGroup.objects.create(version=draft.version, title="Pick one", choose=1)
        with pytest.raises(IntegrityError), transaction.atomic():
            ElectiveGroup.objects.create(version=draft.version, title="pick ONE", choose=1)
        assert ElectiveGroup.objects.count() == 1


def test_the_database_refuses_a_rule_twice_on_a_step(org_a, org_b):
    draft = make_draft(org_a)
    [competency] = make_competencies(org_a, 1)
    rule = {"competency": competency, "action": "include_at_least", "threshold": 4}
    with tenant_context(org_a):
        PersonalisationRule.objects.create(step=draft.steps[0], **rule)
        with pytest.raises(IntegrityError), transaction.atomic():
            PersonalisationRule.objects.create(step=draft.steps[0], **rule)
        PersonalisationRule.objects.create(step=draft.steps[1], **rule)  # another step: fine
        PersonalisationRule.objects.create(step=draft.steps[0], **{**rule, "threshold": 3})


def test_adding_or_renaming_a_stage_onto_another_title_gets_the_message(org_a, org_b):
    draft = make_draft(org_a)
    first, second = draft.stages
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as added:
            services.do_add_stage(None, draft.version, title="stage 2")
        with pytest.raises(ValidationError) as renamed:
            services.do_rename_stage(None, first, title="STAGE 2")
        services.do_rename_stage(None, second, title="STAGE 2")  # its own title, another case
        titles = sorted(Stage.objects.filter(version=draft.version).values_list("title", flat=True))
    assert added.value.messages == ["This pathway already has a stage called “stage 2”."]
    assert renamed.value.messages == ["This pathway already has a stage called “STAGE 2”."]
    assert titles == sorted([first.title, "STAGE 2"])


def test_renaming_an_elective_group_onto_another_title_gets_the_message(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        save = services.do_save_elective_group
        pick = save(None, draft.version, group=None, title="Pick", choose=1, steps=draft.steps[:2])
        other = save(
            None, draft.version, group=None, title="Other", choose=1, steps=draft.steps[2:4]
        )
        with pytest.raises(ValidationError) as renamed:
            save(None, draft.version, group=other, title="PICK", choose=1, steps=draft.steps[2:4])
        save(None, draft.version, group=pick, title="PICK", choose=1, steps=draft.steps[:2])
        titles = sorted(ElectiveGroup.objects.values_list("title", flat=True))
    assert renamed.value.messages == ["This pathway already has an elective group called “PICK”."]
    assert titles == ["Other", "PICK"]


def test_a_stage_that_races_past_the_check_gets_the_checks_message(org_a, org_b, monkeypatch):
    """The other request's stage is not there yet when the check runs: the constraint refuses
    the row and the service gives its own message, and the transaction still works."""
    draft = make_draft(org_a)
    with tenant_context(org_a):
        monkeypatch.setattr(Stage.objects, "filter", _without_the_check(Stage.objects.filter))
        with pytest.raises(ValidationError) as raced:
            services.do_add_stage(None, draft.version, title="stage 2")
        monkeypatch.undo()
        assert Stage.objects.filter(version=draft.version).count() == 2
    assert raced.value.messages == ["This pathway already has a stage called “stage 2”."]
    assert isinstance(raced.value.__cause__, IntegrityError)


def _without_the_check(real_filter):
    """``Stage.objects.filter`` that finds no row for a title lookup (the pre-check)."""

    def filter(*args, **kwargs):
        queryset = real_filter(*args, **kwargs)
        return queryset.none() if "title__iexact" in kwargs else queryset

    return filter


@pytest.mark.django_db(transaction=True)
def test_the_migration_numbers_titles_and_drops_repeated_rules_before_it_adds_the_rules(db):
    before = [("pathways", "0022_admin_page_indexes")]
    after = [("pathways", "0023_stage_group_titles_unique")]
    org = Organization.objects.create(name="Acme", slug="acme-u")
    pathway = make_pathway(org)
    [competency] = make_competencies(org, 1)
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        apps = executor.loader.project_state(before).apps
        stage_model = apps.get_model("pathways", "Stage")
        group_model = apps.get_model("pathways", "ElectiveGroup")
        rule_model = apps.get_model("pathways", "PersonalisationRule")
        with tenant_context(org):
            version_id = pathway.version.pk
            for title in ["Practise", "practise", "PRACTISE", "Practise (2)"]:
                stage_model.objects.create(
                    organization_id=org.pk, version_id=version_id, title=title
                )
            for title in ["Pick", "pick"]:
                group_model.objects.create(
                    organization_id=org.pk, version_id=version_id, title=title
                )
            step_id = pathway.steps[0].pk
            for _copy in range(3):
                rule_model.objects.create(
                    organization_id=org.pk,
                    step_id=step_id,
                    competency_id=competency.pk,
                    action="include_at_least",
                    threshold=4,
                )
        MigrationExecutor(connection).migrate(after)
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
    with tenant_context(org):
        stages = set(Stage.objects.filter(version_id=version_id).values_list("title", flat=True))
        groups = sorted(ElectiveGroup.objects.values_list("title", flat=True))
        assert PersonalisationRule.objects.count() == 1
    assert {"Practise", "practise (3)", "PRACTISE (4)", "Practise (2)"} <= stages
    assert groups == ["Pick", "pick (2)"]
