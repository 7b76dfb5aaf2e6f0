"""The cohort page's choices: the organisation's functions, each once, in order."""

from __future__ import annotations

from organizations.models import Membership
from organizations.tenancy import tenant_context
from pathways.cohorts.queries import cohort_choices
from tests.conftest import count_queries, make_member


def test_it_lists_each_function_of_the_organisation_once_in_order(org_a, org_b):
    for i, function in enumerate(["Sales", "Finance", "", "Sales", "Operations", "Finance"]):
        make_member(org_a, f"p{i}@a.example", is_learner=True)
        with tenant_context(org_a):
            Membership.objects.filter(user__email=f"p{i}@a.example").update(function=function)
    make_member(org_b, "other@b.example", is_learner=True)
    with tenant_context(org_b):
        Membership.objects.filter(user__email="other@b.example").update(function="Legal")
    with tenant_context(org_a):
        with count_queries() as ctx:
            choices = cohort_choices()
    assert choices.functions == ["Finance", "Operations", "Sales"]
    assert len(ctx.app_queries) == 4
    with tenant_context(org_b):
        assert cohort_choices().functions == ["Legal"]
