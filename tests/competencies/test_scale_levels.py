"""Adding a level at the top of a proficiency scale and removing the top one: the rules, the
refusals that name what a removal would orphan, the pages, tenancy and query counts."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError

from competencies import queries, services
from competencies.models import Competency, Framework, ProficiencyLevel
from organizations.models import AuditEntry, Organization
from organizations.tenancy import tenant_context
from pathways.models import PersonalisationRule, SelfAssessment
from tests.competencies.helpers import build_framework
from tests.conftest import count_queries, enroll, make_member, make_pathway

LEARNER_NUMBERS = itertools.count(1)
TEN_LEVELS = [(v, f"Level {v}", f"What level {v} looks like") for v in range(1, 11)]


@pytest.fixture
def admin_client(client, org_a):
    client.force_login(make_member(org_a, "admin@a.example", is_admin=True).user)
    return client


def _url(org: Organization, framework: Framework, path: str = "") -> str:
    return f"/o/{org.slug}/competencies/{framework.pk}/scale/{path}"


def _values(org: Organization, framework: Framework) -> list[int]:
    with tenant_context(org):
        return list(
            ProficiencyLevel.objects.filter(framework=framework)
            .order_by("value")
            .values_list("value", flat=True)
        )


def _competency(org: Organization, framework: Framework) -> Competency:
    with tenant_context(org):
        return Competency.objects.filter(framework=framework).order_by("position").first()


def rate_learners(
    org: Organization,
    framework: Framework,
    ratings: list[int],
    *,
    cohort: str = "Spring leaders",
) -> None:
    """One cohort of ``len(ratings)`` learners who rated themselves on the framework."""
    fixture = make_pathway(org, 1, name=cohort)
    competency = _competency(org, framework)
    for rating in ratings:
        number = next(LEARNER_NUMBERS)
        learner = make_member(org, f"learner{number}@{org.slug}.example", is_learner=True)
        enrollment = enroll(org, fixture, learner)
        with tenant_context(org):
            SelfAssessment.objects.create(
                enrollment=enrollment, competency=competency, rating=rating
            )


def add_rules(
    org: Organization, framework: Framework, thresholds: list[int], *, pathway: str = "Stretch"
) -> None:
    """Personalisation rules on steps of a new pathway's version 1, one per threshold."""
    fixture = make_pathway(org, len(thresholds), name=pathway)
    competency = _competency(org, framework)
    with tenant_context(org):
        for step, threshold in zip(fixture.steps, thresholds, strict=True):
            PersonalisationRule.objects.create(
                step=step,
                competency=competency,
                action=PersonalisationRule.Action.INCLUDE_IF_AT_LEAST,
                threshold=threshold,
            )


# ----- services ------------------------------------------------------------------------------


def test_it_adds_a_level_at_the_top_and_audits_before_and_after(org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    framework = build_framework(org_a, 1)
    with tenant_context(org_a):
        level = services.do_add_level(admin.user, framework, 6, "  Master ", " Teaches it. ")
        entry = AuditEntry.objects.get(action="level added")
    assert (level.value, level.label, level.descriptor) == (6, "Master", "Teaches it.")
    assert _values(org_a, framework) == [1, 2, 3, 4, 5, 6]
    assert entry.actor == admin.user
    assert [lv["value"] for lv in entry.before["levels"]] == [1, 2, 3, 4, 5]
    assert entry.after["levels"][-1] == {"value": 6, "label": "Master", "descriptor": "Teaches it."}
    assert "level 6 “Master”" in entry.object_repr


def test_it_refuses_an_eleventh_level(org_a, org_b):
    with tenant_context(org_a):
        framework = services.do_create_framework(None, "Fine-grained", scale=TEN_LEVELS)
        with pytest.raises(ValidationError, match="at most 10 levels"):
            services.do_add_level(None, framework, 11, "Beyond")
        assert not AuditEntry.objects.filter(action="level added").exists()
    assert _values(org_a, framework) == list(range(1, 11))


def test_it_refuses_a_new_level_without_a_label_or_with_a_label_in_use(org_a, org_b):
    framework = build_framework(org_a, 1)
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="Level 6 needs a label"):
            services.do_add_level(None, framework, 6, "   ")
        with pytest.raises(ValidationError, match="Two levels are called “expert”"):
            services.do_add_level(None, framework, 6, "expert")
    assert _values(org_a, framework) == [1, 2, 3, 4, 5]


def test_it_adds_one_level_when_the_same_form_is_sent_twice(org_a, org_b):
    framework = build_framework(org_a, 1)
    with tenant_context(org_a):
        services.do_add_level(None, framework, 6, "Master")
        with pytest.raises(ValidationError, match="no longer level 5"):
            services.do_add_level(None, framework, 6, "Grand master")
    assert _values(org_a, framework) == [1, 2, 3, 4, 5, 6]


def test_it_removes_an_unused_top_level_and_audits_what_was_lost(org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    framework = build_framework(org_a, 1)
    rate_learners(org_a, framework, [1, 4, 4])  # below the top: unaffected
    add_rules(org_a, framework, [4])
    with tenant_context(org_a):
        removed = services.do_remove_top_level(admin.user, framework, 5)
        entry = AuditEntry.objects.get(action="level removed")
    assert (removed.value, removed.label) == (5, "Expert")
    assert _values(org_a, framework) == [1, 2, 3, 4]
    assert entry.actor == admin.user
    assert entry.before["levels"][-1]["label"] == "Expert"
    assert [lv["value"] for lv in entry.after["levels"]] == [1, 2, 3, 4]


def test_it_removes_one_level_when_the_same_removal_is_sent_twice(org_a, org_b):
    framework = build_framework(org_a, 1)
    with tenant_context(org_a):
        services.do_remove_top_level(None, framework, 5)
        with pytest.raises(ValidationError, match="no longer level 5"):
            services.do_remove_top_level(None, framework, 5)
        assert AuditEntry.objects.filter(action="level removed").count() == 1
    assert _values(org_a, framework) == [1, 2, 3, 4]


def test_it_keeps_at_least_two_levels(org_a, org_b):
    framework = build_framework(org_a, 1)
    with tenant_context(org_a):
        for value in (5, 4, 3):
            services.do_remove_top_level(None, framework, value)
        with pytest.raises(ValidationError, match="at least 2 levels"):
            services.do_remove_top_level(None, framework, 2)
    assert _values(org_a, framework) == [1, 2]


def test_it_refuses_to_remove_a_level_learners_rated_themselves_at_saying_how_many_and_where(
    org_a, org_b
):
    framework = build_framework(org_a, 1)
    rate_learners(org_a, framework, [5, 5, 3], cohort="Spring leaders")
    rate_learners(org_a, framework, [5], cohort="Autumn leaders")
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as refusal:
            services.do_remove_top_level(None, framework, 5)
        assert not AuditEntry.objects.filter(action="level removed").exists()
    message = " ".join(refusal.value.messages)
    assert "Level 5 “Expert” cannot be removed" in message
    assert "3 learner self-assessments rate someone at it" in message
    assert "“Autumn leaders cohort”: 1, “Spring leaders cohort”: 2" in message
    assert "personalisation rule" not in message
    assert _values(org_a, framework) == [1, 2, 3, 4, 5]


def test_it_refuses_to_remove_a_level_a_personalisation_rule_uses_as_threshold(org_a, org_b):
    framework = build_framework(org_a, 1)
    add_rules(org_a, framework, [5, 5, 2], pathway="Stretch assignments")
    add_rules(org_a, framework, [5], pathway="Onboarding")
    with tenant_context(org_a):
        with pytest.raises(ValidationError) as refusal:
            services.do_remove_top_level(None, framework, 5)
    message = " ".join(refusal.value.messages)
    assert "3 personalisation rules use it as their threshold" in message
    assert "“Onboarding v1”: 1, “Stretch assignments v1”: 2" in message
    assert "self-assessment" not in message
    assert _values(org_a, framework) == [1, 2, 3, 4, 5]


def test_it_names_both_kinds_of_use_and_shortens_a_long_list_of_places(org_a, org_b):
    framework = build_framework(org_a, 1)
    for name in ("Cohort A", "Cohort B", "Cohort C", "Cohort D", "Cohort E"):
        rate_learners(org_a, framework, [5], cohort=name)
    add_rules(org_a, framework, [5])
    with tenant_context(org_a):
        usage = queries.level_usage(framework.pk, 5)
    assert (usage.self_assessment_count, usage.rule_count) == (5, 1)
    text = services.describe_level_usage(usage)
    assert "5 learner self-assessments" in text and "and 2 more" in text
    assert (
        "1 personalisation rule uses it as its threshold (by pathway version: “Stretch v1”: 1)"
        in (text)
    )


def test_it_counts_only_ratings_on_this_frameworks_scale_in_this_organisation(org_a, org_b):
    framework = build_framework(org_a, 1)
    other = build_framework(org_a, 1, name="Sales", priorities=0)
    rate_learners(org_a, other, [5])  # same organisation, another framework
    add_rules(org_a, other, [5])
    theirs = build_framework(org_b, 1)
    rate_learners(org_b, theirs, [5])  # another organisation
    add_rules(org_b, theirs, [5])
    with tenant_context(org_a):
        assert not queries.level_usage(framework.pk, 5).is_used
        assert queries.level_usage(other.pk, 5).is_used
        services.do_remove_top_level(None, framework, 5)
    assert _values(org_a, framework) == [1, 2, 3, 4]


def test_it_adds_back_a_removed_level_and_then_refuses_to_remove_it_once_rated(org_a, org_b):
    framework = build_framework(org_a, 1)
    with tenant_context(org_a):
        services.do_remove_top_level(None, framework, 5)
        services.do_add_level(None, framework, 5, "Expert again")
    rate_learners(org_a, framework, [5])
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="1 learner self-assessment rates someone at it"):
            services.do_remove_top_level(None, framework, 5)


# ----- pages ---------------------------------------------------------------------------------


def test_it_adds_a_level_in_the_browser(admin_client, org_a, org_b):
    framework = build_framework(org_a, 1)
    page = admin_client.get(_url(org_a, framework)).content.decode()
    assert "Add level 6 at the top" in page and 'name="value" value="6"' in page
    response = admin_client.post(
        _url(org_a, framework, "levels/add/"),
        {"value": 6, "label": "Master", "descriptor": "Teaches it to other leaders."},
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == _url(org_a, framework)
    assert "Level 6 “Master” added; the scale now runs 1–6." in page
    assert "Level 6</legend>" in page and "Teaches it to other leaders." in page
    assert _values(org_a, framework) == [1, 2, 3, 4, 5, 6]


def test_it_shows_an_add_level_error_next_to_the_field(admin_client, org_a, org_b):
    framework = build_framework(org_a, 1)
    response = admin_client.post(
        _url(org_a, framework, "levels/add/"), {"value": 6, "label": "Proficient"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="new_level_label_error"' in page and "Two levels are called" in page
    assert 'class="form-errors"' in page
    assert _values(org_a, framework) == [1, 2, 3, 4, 5]


def test_it_says_when_the_scale_is_full(admin_client, org_a, org_b):
    with tenant_context(org_a):
        framework = services.do_create_framework(None, "Fine-grained", scale=TEN_LEVELS)
    page = admin_client.get(_url(org_a, framework)).content.decode()
    assert "already has the most levels a scale can have (10)" in page
    assert "levels/add/" not in page


def test_it_asks_before_removing_the_top_level_and_says_what_will_be_lost(
    admin_client, org_a, org_b
):
    framework = build_framework(org_a, 1)
    scale = admin_client.get(_url(org_a, framework)).content.decode()
    assert "No self-assessment or personalisation rule uses this level" in scale
    assert "levels/remove/" in scale
    page = admin_client.get(_url(org_a, framework, "levels/remove/")).content.decode()
    assert "Remove level 5 “Expert”?" in page and "What will be lost" in page
    assert "Sets the standard across the organisation" in page  # its descriptor
    assert "The scale will run from 1 to 4." in page
    assert 'data-confirm="Remove level 5 “Expert” with its descriptor?"' in page
    assert 'name="value" value="5"' in page
    assert _values(org_a, framework) == [1, 2, 3, 4, 5]  # asking changes nothing
    response = admin_client.post(
        _url(org_a, framework, "levels/remove/"), {"value": 5}, follow=True
    )
    assert "Level 5 “Expert” removed; the scale now runs 1–4." in response.content.decode()
    assert _values(org_a, framework) == [1, 2, 3, 4]
    # The same confirmation sent again removes nothing more.
    response = admin_client.post(
        _url(org_a, framework, "levels/remove/"), {"value": 5}, follow=True
    )
    assert "no longer level 5" in response.content.decode()
    assert _values(org_a, framework) == [1, 2, 3, 4]


def test_it_shows_why_a_level_in_use_cannot_be_removed(admin_client, org_a, org_b):
    framework = build_framework(org_a, 1)
    rate_learners(org_a, framework, [5, 5])
    add_rules(org_a, framework, [5])
    expected = (
        "2 learner self-assessments rate someone at it (by cohort: “Spring leaders cohort”: 2); "
        "1 personalisation rule uses it as its threshold (by pathway version: “Stretch v1”: 1)"
    )
    scale = admin_client.get(_url(org_a, framework)).content.decode()
    assert "Cannot be removed" in scale and expected in scale
    assert "levels/remove/" not in scale
    page = admin_client.get(_url(org_a, framework, "levels/remove/")).content.decode()
    assert "This level cannot be removed" in page and expected in page
    assert "Remove level 5</button>" not in page
    response = admin_client.post(
        _url(org_a, framework, "levels/remove/"), {"value": 5}, follow=True
    )
    assert expected in response.content.decode()
    assert _values(org_a, framework) == [1, 2, 3, 4, 5]


def test_it_says_a_two_level_scale_keeps_both_levels(admin_client, org_a, org_b):
    with tenant_context(org_a):
        framework = services.do_create_framework(
            None, "Binary", scale=[(1, "Not yet", ""), (2, "Yes", "")]
        )
    page = admin_client.get(_url(org_a, framework, "levels/remove/")).content.decode()
    assert "A scale needs at least 2 levels" in page
    assert "Remove level 2</button>" not in page


# ----- tenancy -------------------------------------------------------------------------------


def test_it_gives_another_organisations_member_a_404(client, org_a, org_b):
    framework = build_framework(org_a, 1)
    outsider = make_member(org_b, "admin@b.example", is_admin=True)
    learner = make_member(org_a, "leo@a.example", is_learner=True)
    for member in (outsider, learner):
        client.force_login(member.user)
        assert client.get(_url(org_a, framework)).status_code == 404
        assert client.get(_url(org_a, framework, "levels/remove/")).status_code == 404
        add = {"value": 6, "label": "Sneaky"}
        assert client.post(_url(org_a, framework, "levels/add/"), add).status_code == 404
        remove = {"value": 5}
        assert client.post(_url(org_a, framework, "levels/remove/"), remove).status_code == 404
    assert _values(org_a, framework) == [1, 2, 3, 4, 5]


def test_it_gives_404_for_another_organisations_framework_under_ones_own_slug(
    admin_client, org_a, org_b
):
    build_framework(org_a, 1, name="Ours")
    theirs = build_framework(org_b, 1)
    assert admin_client.get(_url(org_a, theirs)).status_code == 404
    assert admin_client.get(_url(org_a, theirs, "levels/remove/")).status_code == 404
    add = {"value": 6, "label": "Sneaky"}
    assert admin_client.post(_url(org_a, theirs, "levels/add/"), add).status_code == 404
    remove = {"value": 5}
    assert admin_client.post(_url(org_a, theirs, "levels/remove/"), remove).status_code == 404
    assert _values(org_b, theirs) == [1, 2, 3, 4, 5]
    with tenant_context(org_b):
        assert not AuditEntry.objects.filter(action__startswith="level").exists()


# ----- query counts --------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with count_queries() as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.app_queries)


def test_it_reads_the_scale_pages_in_a_fixed_number_of_queries(admin_client, org_a, org_b):
    small = build_framework(org_a, 1, name="Small")
    rate_learners(org_a, small, [5], cohort="One")
    add_rules(org_a, small, [5], pathway="First")
    scale_small = _queries(admin_client, _url(org_a, small))
    remove_small = _queries(admin_client, _url(org_a, small, "levels/remove/"))

    with tenant_context(org_a):
        large = services.do_create_framework(None, "Large", scale=TEN_LEVELS)
        services.do_create_competency(None, large, "Deciding")
    for cohort in ("Two", "Three", "Four", "Five"):
        rate_learners(org_a, large, [10, 10, 9, 3], cohort=cohort)
    add_rules(org_a, large, [10, 10, 10, 4], pathway="Second")
    add_rules(org_a, large, [10, 10], pathway="Third")
    assert _queries(admin_client, _url(org_a, large)) == scale_small
    assert _queries(admin_client, _url(org_a, large, "levels/remove/")) == remove_small
