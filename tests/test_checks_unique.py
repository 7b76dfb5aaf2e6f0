"""pathwise.E002: every unique constraint of a tenant model starts with its organization, whether
it lists fields or expressions (a case-insensitive name, say)."""

from __future__ import annotations

import pytest
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.test.utils import isolate_apps

from organizations.checks import check_tenant_schema, tenant_model_errors
from organizations.tenancy import TenantModel

LED = {
    "fields": models.UniqueConstraint(fields=["organization", "name"], name="led_fields"),
    "expressions": models.UniqueConstraint(F("organization"), Lower("name"), name="led_exprs"),
    "column name": models.UniqueConstraint(F("organization_id"), Lower("name"), name="led_column"),
    "string expression": models.UniqueConstraint("organization", Lower("name"), name="led_str"),
    "with a condition": models.UniqueConstraint(
        F("organization"), Lower("name"), condition=models.Q(archived=False), name="led_cond"
    ),
}
NOT_LED = {
    "fields": models.UniqueConstraint(fields=["name", "organization"], name="bad_fields"),
    "expressions": models.UniqueConstraint(Lower("name"), F("organization"), name="bad_exprs"),
    "no organization": models.UniqueConstraint(Lower("name"), name="bad_alone"),
    "another field": models.UniqueConstraint(F("team"), Lower("name"), name="bad_team"),
    "a function of it": models.UniqueConstraint(
        Lower("organization"), Lower("name"), name="bad_wrapped"
    ),
}


def _e002(constraint: models.UniqueConstraint) -> list[str]:
    with isolate_apps("organizations"):

        class Widget(TenantModel):
            name = models.CharField(max_length=50)
            team = models.IntegerField(default=0)
            archived = models.BooleanField(default=False)

            class Meta:
                app_label = "organizations"
                constraints = [constraint]

        return [e.msg for e in tenant_model_errors(Widget) if e.id == "pathwise.E002"]


@pytest.mark.parametrize("kind", list(LED))
def test_it_accepts_a_unique_constraint_led_by_organization(kind):
    assert _e002(LED[kind]) == []


@pytest.mark.parametrize("kind", list(NOT_LED))
def test_it_flags_a_unique_constraint_not_led_by_organization(kind):
    constraint = NOT_LED[kind]
    assert _e002(constraint) == [
        f"organizations.Widget: unique constraint {constraint.name} must start with organization."
    ]


def test_it_finds_nothing_to_flag_in_pathwise_itself(db):
    assert check_tenant_schema() == []
