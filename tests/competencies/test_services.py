"""Rules of the competency model: names, scale, ordering, alignment, refusals and audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from competencies import queries, services
from competencies.demo import DEMO_COMPETENCIES, DEMO_PRIORITIES, seed_framework
from competencies.models import (
    BehaviouralIndicator,
    Competency,
    Framework,
    PriorityAlignment,
    ProficiencyLevel,
    StrategicPriority,
)
from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from pathways.models import Module, ModuleCompetency, VersionCompetency
from tests.competencies.helpers import build_framework
from tests.conftest import make_member, make_pathway


def test_it_gives_a_new_framework_the_default_five_level_scale(org_a, org_b):
    with tenant_context(org_a):
        framework = services.do_create_framework(None, "Leadership", "")
        levels = list(ProficiencyLevel.objects.filter(framework=framework).order_by("value"))
    assert [lv.value for lv in levels] == [1, 2, 3, 4, 5]
    assert [lv.label for lv in levels] == [
        "Foundation",
        "Developing",
        "Proficient",
        "Advanced",
        "Expert",
    ]
    assert all(lv.descriptor for lv in levels)


def test_it_refuses_a_duplicate_framework_name_ignoring_case(org_a, org_b):
    with tenant_context(org_a):
        services.do_create_framework(None, "Leadership", "")
        with pytest.raises(ValidationError, match="already exists"):
            services.do_create_framework(None, "  leadership ", "")
        with pytest.raises(ValidationError, match="name"):
            services.do_create_framework(None, "   ", "")
        assert Framework.objects.count() == 1
    with tenant_context(org_b):  # another organisation may use the same name
        services.do_create_framework(None, "Leadership", "")


def test_it_renames_a_framework_and_audits_before_and_after(org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    with tenant_context(org_a):
        framework = services.do_create_framework(admin.user, "Leadership", "")
        services.do_create_framework(admin.user, "Sales", "")
        with pytest.raises(ValidationError):
            services.do_update_framework(admin.user, framework, "SALES", "")
        services.do_update_framework(admin.user, framework, "Leadership 2026", "New")
        entry = AuditEntry.objects.filter(action="updated").get()
    assert entry.actor == admin.user
    assert entry.before["name"] == "Leadership"
    assert entry.after["name"] == "Leadership 2026"
    assert entry.after["description"] == "New"


def test_it_edits_the_scale_labels_and_descriptors(org_a, org_b):
    with tenant_context(org_a):
        framework = services.do_create_framework(None, "Leadership", "")
        changed = services.do_update_scale(
            None, framework, {1: ("Novice", "Needs guidance"), 2: ("Developing", "")}
        )
        levels = dict(
            ProficiencyLevel.objects.filter(framework=framework).values_list("value", "label")
        )
        entry = AuditEntry.objects.filter(action="updated").get()
    assert changed == 2
    assert levels[1] == "Novice"
    assert entry.before["levels"][0]["label"] == "Foundation"
    assert entry.after["levels"][0]["label"] == "Novice"


def test_it_refuses_a_scale_with_an_empty_or_repeated_label(org_a, org_b):
    with tenant_context(org_a):
        framework = services.do_create_framework(None, "Leadership", "")
        with pytest.raises(ValidationError, match="Level 2 needs a label"):
            services.do_update_scale(None, framework, {2: ("  ", "x")})
        with pytest.raises(ValidationError, match="Two levels are called"):
            services.do_update_scale(None, framework, {2: ("foundation", "x")})
        assert ProficiencyLevel.objects.get(framework=framework, value=2).label == "Developing"


def test_it_appends_competencies_and_refuses_duplicates_within_a_framework(org_a, org_b):
    with tenant_context(org_a):
        framework = services.do_create_framework(None, "Leadership", "")
        other = services.do_create_framework(None, "Sales", "")
        a = services.do_create_competency(None, framework, "Decision making")
        b = services.do_create_competency(None, framework, "Collaboration")
        with pytest.raises(ValidationError) as exc:
            services.do_create_competency(None, framework, "decision MAKING")
        assert "name" in exc.value.error_dict
        services.do_create_competency(None, other, "Decision making")  # fine elsewhere
        with pytest.raises(ValidationError) as exc:
            services.do_create_competency(None, framework, "X", category="c" * 101)
        assert "category" in exc.value.error_dict
    assert (a.position, b.position) == (0, 1)


def test_it_moves_competencies_up_and_down_and_stops_at_the_ends(org_a, org_b):
    framework = build_framework(org_a, 3)
    with tenant_context(org_a):
        first, second, third = Competency.objects.filter(framework=framework).order_by("position")
        assert services.do_move_competency(None, third, "up") is True
        assert services.do_move_competency(None, first, "up") is False
        assert services.do_move_competency(None, first, "down") is True
        order = list(
            Competency.objects.filter(framework=framework)
            .order_by("position")
            .values_list("name", flat=True)
        )
        with pytest.raises(ValidationError):
            services.do_move_competency(None, first, "sideways")
        entries = AuditEntry.objects.filter(action="reordered").count()
    assert order == [third.name, first.name, second.name]
    assert entries == 2


def test_it_adds_edits_reorders_and_removes_indicators(org_a, org_b):
    with tenant_context(org_a):
        framework = services.do_create_framework(None, "Leadership", "")
        competency = services.do_create_competency(None, framework, "Feedback")
        one = services.do_add_indicator(None, competency, "Describes the behaviour")
        two = services.do_add_indicator(None, competency, "Asks for feedback")
        with pytest.raises(ValidationError) as exc:
            services.do_add_indicator(None, competency, "   ")
        assert "text" in exc.value.error_dict
        with pytest.raises(ValidationError):
            services.do_update_indicator(None, one, "x" * 301)
        services.do_update_indicator(None, one, "Describes situation, behaviour and impact")
        services.do_move_indicator(None, two, "up")
        texts = [i.text for i in BehaviouralIndicator.objects.filter(competency=competency)]
        services.do_delete_indicator(None, two)
        remaining = BehaviouralIndicator.objects.filter(competency=competency).count()
        actions = sorted(AuditEntry.objects.values_list("action", flat=True))
    assert texts == ["Asks for feedback", "Describes situation, behaviour and impact"]
    assert remaining == 1
    assert actions.count("deleted") == 1 and actions.count("reordered") == 1


def test_it_links_priorities_with_a_weight_from_one_to_five(org_a, org_b):
    with tenant_context(org_a):
        framework = services.do_create_framework(None, "Leadership", "")
        competency = services.do_create_competency(None, framework, "Decision making")
        priority = services.do_create_priority(None, "Enter two new markets", "")
        for bad in (0, 6, "heavy", None, True):
            with pytest.raises(ValidationError):
                services.do_set_alignment(None, priority, competency, bad)
        services.do_set_alignment(None, priority, competency, 4)
        services.do_set_alignment(None, priority, competency, "2")  # changes the weight
        link = PriorityAlignment.objects.get()
        actions = list(
            AuditEntry.objects.filter(object_type="Priority Alignment")
            .order_by("id")
            .values_list("action", flat=True)
        )
        services.do_remove_alignment(None, link)
        assert not PriorityAlignment.objects.exists()
    assert link.weight == 2
    assert actions == ["linked", "updated"]


def test_it_refuses_a_duplicate_priority_title(org_a, org_b):
    with tenant_context(org_a):
        services.do_create_priority(None, "Cut churn", "")
        with pytest.raises(ValidationError):
            services.do_create_priority(None, "cut CHURN", "")
        with pytest.raises(ValidationError):
            services.do_create_priority(None, "", "")
        assert StrategicPriority.objects.count() == 1


def test_it_deletes_a_priority_but_keeps_the_competencies(org_a, org_b):
    framework = build_framework(org_a, 4, priorities=1)
    with tenant_context(org_a):
        priority = StrategicPriority.objects.get()
        services.do_delete_priority(None, priority)
        entry = AuditEntry.objects.get(action="deleted", object_type="Strategic Priority")
        assert Competency.objects.filter(framework=framework).count() == 4
        assert not PriorityAlignment.objects.exists()
    assert len(entry.before["competencies"]) == 4


def test_it_refuses_to_delete_a_framework_whose_competencies_modules_use(org_a, org_b):
    framework = build_framework(org_a, 3)
    with tenant_context(org_a):
        competency = Competency.objects.filter(framework=framework).first()
        module = Module.objects.create(title="Feedback that lands", minutes=10)
        ModuleCompetency.objects.create(module=module, competency=competency)
        with pytest.raises(ValidationError, match="modules \\(1\\): Feedback that lands"):
            services.do_delete_framework(None, framework)
        with pytest.raises(ValidationError, match="in use"):
            services.do_delete_competency(None, competency)
        assert Framework.objects.filter(pk=framework.pk).exists()
        assert Competency.objects.filter(pk=competency.pk).exists()
        assert not AuditEntry.objects.filter(action="deleted").exists()


def test_it_refuses_to_delete_a_framework_whose_competencies_pathways_use(org_a, org_b):
    framework = build_framework(org_a, 2)
    fixture = make_pathway(org_a, n_steps=1)
    with tenant_context(org_a):
        competency = Competency.objects.filter(framework=framework).first()
        VersionCompetency.objects.create(version=fixture.version, competency=competency)
        with pytest.raises(ValidationError, match="pathway versions \\(1\\)"):
            services.check_framework_deletable(framework)


def test_it_deletes_an_unused_framework_with_everything_in_it(org_a, org_b):
    framework = build_framework(org_a, 3)
    build_framework(org_b, 2)
    with tenant_context(org_a):
        services.do_delete_framework(None, framework)
        entry = AuditEntry.objects.get(action="deleted")
        assert not Competency.objects.exists()
        assert not BehaviouralIndicator.objects.exists()
        assert not PriorityAlignment.objects.exists()
        assert StrategicPriority.objects.count() == 2  # priorities stay
    with tenant_context(org_b):
        assert Competency.objects.count() == 2
    assert entry.before["competencies"] == ["Competency 1", "Competency 2", "Competency 3"]
    assert len(entry.before["levels"]) == 5


def test_it_maps_priorities_to_competencies_and_flags_the_gaps(org_a, org_b):
    with tenant_context(org_a):
        framework = services.do_create_framework(None, "Leadership", "")
        feedback = services.do_create_competency(None, framework, "Feedback")
        services.do_create_competency(None, framework, "Resilience")
        churn = services.do_create_priority(None, "Cut churn", "")
        services.do_create_priority(None, "New markets", "")
        services.do_set_alignment(None, churn, feedback, 4)
        result = queries.alignment_map()
    assert [p.title for p in result.unserved_priorities] == ["New markets"]
    assert [r.name for r in result.unaligned_competencies] == ["Resilience"]
    row = next(r for r in result.rows if r.name == "Feedback")
    assert row.cells == [4, None]  # columns in title order: Cut churn, New markets
    assert row.served == [("Cut churn", 4)]
    assert result.priorities[0].total_weight == 4


def test_it_filters_the_map_to_one_framework(org_a, org_b):
    first = build_framework(org_a, 2, name="Leadership", priorities=1)
    build_framework(org_a, 2, name="Sales", priorities=1)
    with tenant_context(org_a):
        result = queries.alignment_map(first.pk)
    assert {r.framework for r in result.rows} == {"Leadership"}
    # The Sales priority is served only by Sales competencies: a gap for this framework.
    assert [p.title for p in result.unserved_priorities] == ["Priority 2"]


def test_it_seeds_the_demo_framework_once(org_a, org_b):
    with tenant_context(org_a):
        seed_framework(org_a)
        seed_framework(org_a)
        framework = Framework.objects.get()
        names = list(
            Competency.objects.filter(framework=framework)
            .order_by("position")
            .values_list("name", flat=True)
        )
        indicator_counts = [
            c.indicators.count() for c in Competency.objects.filter(framework=framework)
        ]
        priorities = StrategicPriority.objects.count()
        links = PriorityAlignment.objects.count()
        levels = ProficiencyLevel.objects.filter(framework=framework).count()
    assert names == DEMO_COMPETENCIES
    assert len(names) == 8
    assert all(3 <= n <= 4 for n in indicator_counts)
    assert priorities == len(DEMO_PRIORITIES)
    assert links == sum(len(p[2]) for p in DEMO_PRIORITIES)
    assert levels == 5
