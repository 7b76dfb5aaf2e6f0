"""The data migration that retires "skip_at_least": every organisation's rules become
"include_below" with the same threshold (identical meaning), under row-level security."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

from django.db import connection
from django.db.migrations.loader import MigrationLoader

from organizations.tenancy import tenant_context
from pathways.models import PersonalisationRule
from pathways.rules import Rule, step_applies
from tests.pathways.builder.helpers import make_competencies, make_draft

migration = importlib.import_module("pathways.migrations.0011_personalisation_rule_actions")


def _historical_apps():
    """The models as they were before the migration (plain managers, no tenant context)."""
    loader = MigrationLoader(connection)
    return loader.project_state(("pathways", "0010_mentoring_one_active_request")).apps


def _old_rule(org, step, competency, action, threshold):
    with tenant_context(org):
        # The old value is no longer a choice; rows written before the change still hold it.
        return PersonalisationRule.objects.create(
            step=step, competency=competency, action=action, threshold=threshold
        )


def test_it_turns_every_organisations_skip_at_least_into_include_below(org_a, org_b):
    rows = []
    for org in (org_a, org_b):
        draft = make_draft(org)
        [competency] = make_competencies(org, 1)
        rows.append((org, _old_rule(org, draft.steps[0], competency, "skip_at_least", 4)))
        rows.append((org, _old_rule(org, draft.steps[1], competency, "include_below", 3)))

    migration.skip_at_least_to_include_below(
        _historical_apps(), SimpleNamespace(connection=connection)
    )

    for org, rule in rows:
        with tenant_context(org):
            saved = PersonalisationRule.objects.get(pk=rule.pk)
        assert (saved.action, saved.threshold) == ("include_below", rule.threshold)
        # Same meaning: skipped from the threshold up, kept below it and without a baseline.
        as_rule = Rule(saved.competency_id, saved.action, saved.threshold)
        for rating in range(1, 6):
            kept = step_applies([as_rule], {saved.competency_id: rating})
            assert kept == (rating < rule.threshold), (rule.threshold, rating)
        assert step_applies([as_rule], {})
