"""Pathway builder rules: versioning, immutability, publishing, ordering, electives,
prerequisites, personalisation and copying."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from organizations.models import AuditEntry
from organizations.tenancy import tenant_context
from pathways.builder import services
from pathways.models import (
    Cohort,
    ElectiveGroup,
    Enrollment,
    Module,
    Pathway,
    PathwayVersion,
    PersonalisationRule,
    SelfAssessment,
    Stage,
    Step,
    StepCompletion,
    StepPrerequisite,
    VersionCompetency,
)
from pathways.queries import learner_enrollments
from pathways.rules import Rule, step_applies
from tests.conftest import enroll, make_member, make_pathway
from tests.pathways.builder.helpers import (
    make_competencies,
    make_draft,
    make_module,
    ordered_titles,
)

NAME = "First-Time Manager Essentials"


def _publish(org, version, **kwargs):
    with tenant_context(org):
        return services.do_publish(None, PathwayVersion.objects.get(pk=version.pk), **kwargs)


def _reload(org, model, pk):
    with tenant_context(org):
        return model.objects.select_related().get(pk=pk)


# --- creating ---------------------------------------------------------------------------------


def test_it_creates_a_pathway_as_draft_version_1_with_a_first_stage_and_audits(org_a, org_b):
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    competencies = make_competencies(org_a)
    with tenant_context(org_a):
        version = services.do_create_pathway(
            admin.user,
            name="  Leading Hybrid Teams ",
            purpose="Lead well across sites",
            target_roles="Team leads",
            competencies=competencies,
        )
        assert (version.number, version.status) == (1, "draft")
        assert version.pathway.name == "Leading Hybrid Teams"
        assert version.target_roles == "Team leads"
        assert Stage.objects.filter(version=version).count() == 1
        assert VersionCompetency.objects.filter(version=version).count() == 2
        actions = set(AuditEntry.objects.values_list("action", "object_type"))
    assert ("created", "Pathway") in actions
    assert ("created", "Pathway Version") in actions
    with tenant_context(org_b):
        assert not Pathway.objects.exists()


def test_it_refuses_a_second_pathway_with_the_same_name_and_writes_nothing(org_a, org_b):
    make_draft(org_a, NAME)
    with tenant_context(org_a):
        before = Pathway.objects.count()
        with pytest.raises(ValidationError, match="already exists"):
            services.do_create_pathway(None, name=NAME.upper())
        assert Pathway.objects.count() == before
    with tenant_context(org_b):  # names are per organisation
        services.do_create_pathway(None, name=NAME)


# --- immutability -----------------------------------------------------------------------------

EDITS = {
    "update details": lambda d, c: services.do_update_details(
        None, d.version, name="Renamed", purpose="", target_roles="", competencies=[]
    ),
    "add stage": lambda d, c: services.do_add_stage(None, d.version, title="Stage 3"),
    "rename stage": lambda d, c: services.do_rename_stage(None, d.stages[0], title="New"),
    "move stage": lambda d, c: services.do_move_stage(None, d.stages[1], direction="up"),
    "delete stage": lambda d, c: services.do_delete_stage(None, d.stages[1]),
    "add step": lambda d, c: services.do_add_step(
        None,
        d.version,
        stage=d.stages[0],
        target=services.StepTarget(kind="project", project_template=d.project),
    ),
    "update step": lambda d, c: services.do_update_step(
        None, d.steps[0], title="X", available_offset_days=1, due_offset_days=None
    ),
    "move step": lambda d, c: services.do_move_step(None, d.steps[1], direction="up"),
    "move step to stage": lambda d, c: services.do_move_step_to_stage(
        None, d.steps[0], stage=d.stages[1]
    ),
    "delete step": lambda d, c: services.do_delete_step(None, d.steps[0]),
    "set prerequisites": lambda d, c: services.do_set_prerequisites(
        None, d.steps[2], requires=[d.steps[0]]
    ),
    "save elective group": lambda d, c: services.do_save_elective_group(
        None, d.version, group=None, title="Pick", choose=1, steps=d.steps[:2]
    ),
    "add rule": lambda d, c: services.do_add_rule(
        None, d.steps[0], competency=c, action="include_below", threshold=4
    ),
    "discard draft": lambda d, c: services.do_discard_draft(None, d.version),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_it_refuses_every_edit_of_a_published_version(org_a, org_b, edit):
    draft = make_draft(org_a)
    [competency] = make_competencies(org_a, 1)
    _publish(org_a, draft.version)
    with tenant_context(org_a):
        # Fresh instances, as a request would load them.
        draft.version = PathwayVersion.objects.get(pk=draft.version.pk)
        draft.stages = list(Stage.objects.filter(version=draft.version).order_by("position"))
        draft.steps = list(Step.objects.filter(version=draft.version).order_by("position"))
        audit_before = AuditEntry.objects.count()
        steps_before = list(
            Step.objects.filter(version=draft.version).values_list(
                "pk", "position", "stage_id", "title"
            )
        )
        with pytest.raises(ValidationError, match="is published and cannot be changed"):
            EDITS[edit](draft, competency)
        assert AuditEntry.objects.count() == audit_before
        assert (
            list(
                Step.objects.filter(version=draft.version).values_list(
                    "pk", "position", "stage_id", "title"
                )
            )
            == steps_before
        )
        assert not ElectiveGroup.objects.exists()
        assert not PersonalisationRule.objects.exists()


def test_it_starts_a_new_draft_copying_everything_with_the_same_step_keys(org_a, org_b):
    draft = make_draft(org_a)
    [competency] = make_competencies(org_a, 1)
    with tenant_context(org_a):
        VersionCompetency.objects.create(version=draft.version, competency=competency)
        group = services.do_save_elective_group(
            None, draft.version, group=None, title="Choose one", choose=1, steps=draft.steps[:2]
        )
        services.do_set_prerequisites(None, draft.steps[4], requires=[draft.steps[0]])
        services.do_add_rule(
            None, draft.steps[3], competency=competency, action="include_below", threshold=3
        )
    _publish(org_a, draft.version)
    with tenant_context(org_a):
        published = PathwayVersion.objects.get(pk=draft.version.pk)
        new, created = services.do_start_new_draft(None, published)
        assert created and (new.number, new.status) == (2, "draft")
        old_steps = list(Step.objects.filter(version=published).order_by("position"))
        new_steps = list(Step.objects.filter(version=new).order_by("position"))
        assert [s.key for s in new_steps] == [s.key for s in old_steps]
        assert {s.pk for s in new_steps}.isdisjoint({s.pk for s in old_steps})
        assert [
            (s.kind, s.module_id, s.project_template_id, s.available_offset_days) for s in new_steps
        ] == [
            (s.kind, s.module_id, s.project_template_id, s.available_offset_days) for s in old_steps
        ]
        assert list(Stage.objects.filter(version=new).values_list("title", "position")) == list(
            Stage.objects.filter(version=published).values_list("title", "position")
        )
        new_group = ElectiveGroup.objects.get(version=new)
        assert new_group.pk != group.pk and new_group.choose == 1
        assert {s.key for s in new_steps if s.elective_group_id == new_group.pk} == {
            draft.steps[0].key,
            draft.steps[1].key,
        }
        link = StepPrerequisite.objects.get(step__version=new)
        assert (link.step.key, link.requires.key) == (draft.steps[4].key, draft.steps[0].key)
        rule = PersonalisationRule.objects.get(step__version=new)
        assert (rule.step.key, rule.action, rule.threshold) == (
            draft.steps[3].key,
            "include_below",
            3,
        )
        assert VersionCompetency.objects.filter(version=new, competency=competency).exists()
        # The published version is untouched.
        assert PersonalisationRule.objects.filter(step__version=published).count() == 1
        # A second "Edit" returns the same draft instead of forking the history.
        again, created_again = services.do_start_new_draft(None, published)
        assert (again.pk, created_again) == (new.pk, False)


def test_it_copies_a_pathway_into_a_new_draft_with_new_step_keys(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        services.do_set_prerequisites(None, draft.steps[2], requires=[draft.steps[0]])
        copy = services.do_copy_pathway(None, draft.version, name="Essentials for Supervisors")
        assert (copy.number, copy.status, copy.pathway.name) == (
            1,
            "draft",
            "Essentials for Supervisors",
        )
        assert copy.pathway_id != draft.version.pathway_id
        source_keys = set(Step.objects.filter(version=draft.version).values_list("key", flat=True))
        copy_steps = list(Step.objects.filter(version=copy).order_by("position"))
        assert len(copy_steps) == 5
        assert source_keys.isdisjoint({s.key for s in copy_steps})
        link = StepPrerequisite.objects.get(step__version=copy)
        assert (link.step_id, link.requires_id) == (copy_steps[2].pk, copy_steps[0].pk)
        with pytest.raises(ValidationError, match="already exists"):
            services.do_copy_pathway(None, draft.version, name=NAME)


# --- publishing -------------------------------------------------------------------------------


def test_it_refuses_to_publish_a_version_without_steps(org_a, org_b):
    with tenant_context(org_a):
        version = services.do_create_pathway(None, name="Empty")
        with pytest.raises(ValidationError, match="at least one step"):
            services.do_publish(None, version)
        assert PathwayVersion.objects.get(pk=version.pk).status == "draft"


def test_it_refuses_to_publish_while_a_module_is_a_draft(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        Module.objects.filter(pk=draft.steps[1].module_id).update(status=Module.Status.DRAFT)
        with pytest.raises(ValidationError) as exc:
            services.do_publish(None, draft.version)
        assert "publish it in the library first" in " ".join(exc.value.messages)
        assert PathwayVersion.objects.get(pk=draft.version.pk).status == "draft"
        assert not AuditEntry.objects.filter(action="published").exists()


def test_it_refuses_to_publish_a_step_without_its_target(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        Step.objects.filter(pk=draft.steps[3].pk).update(project_template=None)
        with pytest.raises(ValidationError, match="has no project template"):
            services.do_publish(None, draft.version)


def test_it_refuses_to_publish_an_elective_group_asking_for_more_than_it_holds(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        services.do_save_elective_group(
            None, draft.version, group=None, title="Choose", choose=2, steps=draft.steps[:2]
        )
        services.do_delete_step(None, Step.objects.get(pk=draft.steps[1].pk))
        with pytest.raises(ValidationError, match="choose 2 of 1"):
            services.do_publish(None, draft.version)


def test_it_refuses_to_publish_a_prerequisite_that_comes_later(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        services.do_set_prerequisites(None, draft.steps[2], requires=[draft.steps[1]])
        # Moving the prerequisite below its dependant breaks the order.
        services.do_move_step(None, Step.objects.get(pk=draft.steps[1].pk), direction="down")
        with pytest.raises(ValidationError, match="which comes later"):
            services.do_publish(None, draft.version)


def test_it_publishes_a_valid_draft_and_audits_it(org_a, org_b):
    draft = make_draft(org_a)
    admin = make_member(org_a, "admin@a.example", is_admin=True)
    with tenant_context(org_a):
        result = services.do_publish(admin.user, draft.version)
        version = PathwayVersion.objects.get(pk=draft.version.pk)
        assert version.status == "published" and version.published_at is not None
        entry = AuditEntry.objects.get(action="published")
        assert entry.actor_id == admin.user_id
        assert entry.before == {"status": "draft"}
        assert result.retired_versions == []
        with pytest.raises(ValidationError):
            services.do_publish(admin.user, version)


def _second_version_with_learners(org, draft):
    """v1 published with a running cohort of two learners (one part-way), v2 a draft that
    drops the first step and adds a new one."""
    _publish(org, draft.version)
    leo = make_member(org, "leo@a.example", is_learner=True)
    mia = make_member(org, "mia@a.example", is_learner=True)
    with tenant_context(org):
        v1 = PathwayVersion.objects.get(pk=draft.version.pk)
        cohort = Cohort.objects.create(
            name="Spring", version=v1, start_date=timezone.localdate() - dt.timedelta(days=3)
        )
        e_leo = Enrollment.objects.create(cohort=cohort, learner=leo, version=v1)
        e_mia = Enrollment.objects.create(cohort=cohort, learner=mia, version=v1)
        for step in draft.steps[:2]:
            StepCompletion.objects.create(enrollment=e_leo, learner=leo, step_key=step.key)
        v2, _ = services.do_start_new_draft(None, v1)
        services.do_delete_step(None, Step.objects.get(version=v2, key=draft.steps[4].key))
        services.do_add_step(
            None,
            v2,
            stage=Stage.objects.filter(version=v2).order_by("position").first(),
            target=services.StepTarget(
                kind="module", module=Module.objects.create(title="New", status="published")
            ),
        )
    return v1, v2, cohort, e_leo, e_mia


def test_it_moves_active_enrolments_when_asked_and_keeps_progress_by_step_key(org_a, org_b):
    draft = make_draft(org_a)
    v1, v2, cohort, e_leo, e_mia = _second_version_with_learners(org_a, draft)
    with tenant_context(org_a):
        Enrollment.objects.filter(pk=e_mia.pk).update(status=Enrollment.Status.COMPLETED)
        result = services.do_publish(None, v2, move_enrollments=True)
        assert result.moved_enrollments == 1
        e_leo = Enrollment.objects.get(pk=e_leo.pk)
        assert e_leo.version_id == v2.pk
        assert Enrollment.objects.get(pk=e_mia.pk).version_id == v1.pk  # completed: stays
        assert Cohort.objects.get(pk=cohort.pk).version_id == v2.pk
        # The two completed steps are the same steps (same keys) in v2.
        done = set(
            StepCompletion.objects.filter(enrollment=e_leo).values_list("step_key", flat=True)
        )
        v2_keys = set(Step.objects.filter(version=v2).values_list("key", flat=True))
        assert done == {draft.steps[0].key, draft.steps[1].key} and done <= v2_keys
        # Nothing active uses v1 any more: retired.
        assert PathwayVersion.objects.get(pk=v1.pk).status == "retired"
        assert result.retired_versions == [1]
        assert AuditEntry.objects.filter(action="retired").count() == 1


def test_it_leaves_enrolments_on_their_version_and_keeps_it_published(org_a, org_b):
    draft = make_draft(org_a)
    v1, v2, cohort, e_leo, e_mia = _second_version_with_learners(org_a, draft)
    with tenant_context(org_a):
        result = services.do_publish(None, v2, move_enrollments=False)
        assert result.moved_enrollments == 0 and result.kept_versions == [1]
        assert set(Enrollment.objects.values_list("version_id", flat=True)) == {v1.pk}
        assert PathwayVersion.objects.get(pk=v1.pk).status == "published"
        assert PathwayVersion.objects.get(pk=v2.pk).status == "published"


def test_it_retires_the_previous_version_when_nothing_uses_it(org_a, org_b):
    draft = make_draft(org_a)
    _publish(org_a, draft.version)
    with tenant_context(org_a):
        v2, _ = services.do_start_new_draft(None, PathwayVersion.objects.get(pk=draft.version.pk))
        result = services.do_publish(None, v2)
        assert result.retired_versions == [1]
        assert PathwayVersion.objects.get(pk=draft.version.pk).status == "retired"


def test_it_discards_a_draft_and_the_pathway_when_it_was_the_only_version(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        assert services.do_discard_draft(None, draft.version) is None
        assert not Pathway.objects.exists()
        assert AuditEntry.objects.filter(action="deleted", object_type="Pathway").exists()


# --- stages and ordering ----------------------------------------------------------------------


def test_it_moves_steps_up_and_down_within_and_across_stages(org_a, org_b):
    draft = make_draft(org_a)
    m1, m2, m3, project, conversation = (s.display_title for s in draft.steps)
    with tenant_context(org_a):
        services.do_move_step(None, Step.objects.get(pk=draft.steps[1].pk), direction="up")
    assert [t for _, t in ordered_titles(org_a, draft.version)] == [
        m2,
        m1,
        m3,
        project,
        conversation,
    ]
    with tenant_context(org_a):
        # The last step of stage 1 moving down enters stage 2 at its start.
        moved = services.do_move_step(
            None, Step.objects.get(pk=draft.steps[2].pk), direction="down"
        )
        assert moved.stage_id == draft.stages[1].pk
    assert ordered_titles(org_a, draft.version) == [
        ("Stage 1", m2),
        ("Stage 1", m1),
        ("Stage 2", m3),
        ("Stage 2", project),
        ("Stage 2", conversation),
    ]
    with tenant_context(org_a):
        # The first step of stage 2 moving up goes back to the end of stage 1.
        services.do_move_step(None, Step.objects.get(pk=draft.steps[2].pk), direction="up")
        positions = list(
            Step.objects.filter(version=draft.version)
            .order_by("stage__position", "position")
            .values_list("position", flat=True)
        )
    assert positions == [0, 1, 2, 3, 4]
    assert [t for _, t in ordered_titles(org_a, draft.version)] == [
        m2,
        m1,
        m3,
        project,
        conversation,
    ]


def test_it_refuses_to_move_the_first_step_up_or_the_last_down(org_a, org_b):
    draft = make_draft(org_a)
    before = ordered_titles(org_a, draft.version)
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="already the first step"):
            services.do_move_step(None, Step.objects.get(pk=draft.steps[0].pk), direction="up")
        with pytest.raises(ValidationError, match="already the last step"):
            services.do_move_step(None, Step.objects.get(pk=draft.steps[4].pk), direction="down")
        with pytest.raises(ValidationError):
            services.do_move_step(None, Step.objects.get(pk=draft.steps[2].pk), direction="left")
    assert ordered_titles(org_a, draft.version) == before


def test_it_moves_a_step_to_another_stage_and_a_stage_with_its_steps(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        services.do_move_step_to_stage(
            None, Step.objects.get(pk=draft.steps[0].pk), stage=draft.stages[1]
        )
        with pytest.raises(ValidationError, match="already in"):
            services.do_move_step_to_stage(
                None, Step.objects.get(pk=draft.steps[0].pk), stage=draft.stages[1]
            )
    titles = ordered_titles(org_a, draft.version)
    assert titles[-1] == ("Stage 2", draft.steps[0].display_title)
    with tenant_context(org_a):
        services.do_move_stage(None, Stage.objects.get(pk=draft.stages[1].pk), direction="up")
        with pytest.raises(ValidationError, match="already the first stage"):
            services.do_move_stage(None, Stage.objects.get(pk=draft.stages[1].pk), direction="up")
    assert ordered_titles(org_a, draft.version)[0][0] == "Stage 2"


def test_it_refuses_a_step_from_another_version_stage_and_a_due_day_before_opening(org_a, org_b):
    draft = make_draft(org_a)
    other = make_draft(org_a, "Other pathway", n_modules=1)
    with tenant_context(org_a):
        count = Step.objects.count()
        with pytest.raises(ValidationError, match="Choose a stage of this version"):
            services.do_add_step(
                None,
                draft.version,
                stage=other.stages[0],
                target=services.StepTarget(kind="project", project_template=draft.project),
            )
        with pytest.raises(ValidationError, match="cannot be due"):
            services.do_add_step(
                None,
                draft.version,
                stage=draft.stages[0],
                target=services.StepTarget(kind="project", project_template=draft.project),
                available_offset_days=10,
                due_offset_days=3,
            )
        with pytest.raises(ValidationError, match="Choose the module"):
            services.do_add_step(
                None, draft.version, stage=draft.stages[0], target=services.StepTarget("module")
            )
        retired = make_module(org_a, "Old news", status="retired")
        with tenant_context(org_a):
            with pytest.raises(ValidationError, match="retired"):
                services.do_add_step(
                    None,
                    draft.version,
                    stage=draft.stages[0],
                    target=services.StepTarget(kind="module", module=retired),
                )
        assert Step.objects.count() == count


def test_it_deletes_a_stage_with_its_steps(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        services.do_set_prerequisites(None, draft.steps[4], requires=[draft.steps[0]])
        assert services.do_delete_stage(None, draft.stages[0]) == 3
        assert Step.objects.filter(version=draft.version).count() == 2
        assert list(
            Stage.objects.filter(version=draft.version).values_list("position", flat=True)
        ) == [0]
        assert not StepPrerequisite.objects.exists()


# --- electives and prerequisites --------------------------------------------------------------


def test_it_checks_that_learners_choose_k_of_at_least_k_steps(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="cannot choose 3 of 2"):
            services.do_save_elective_group(
                None, draft.version, group=None, title="Pick", choose=3, steps=draft.steps[:2]
            )
        with pytest.raises(ValidationError, match="at least 2 steps"):
            services.do_save_elective_group(
                None, draft.version, group=None, title="Pick", choose=1, steps=draft.steps[:1]
            )
        assert not ElectiveGroup.objects.exists()
        group = services.do_save_elective_group(
            None, draft.version, group=None, title="Pick", choose=2, steps=draft.steps[:3]
        )
        assert Step.objects.filter(elective_group=group).count() == 3
        # Re-assigning leaves out the dropped step.
        services.do_save_elective_group(
            None, draft.version, group=group, title="Pick one", choose=1, steps=draft.steps[1:3]
        )
        assert set(Step.objects.filter(elective_group=group).values_list("pk", flat=True)) == {
            draft.steps[1].pk,
            draft.steps[2].pk,
        }
        other = make_draft(org_a, "Other", n_modules=2)
        with tenant_context(org_a):
            with pytest.raises(ValidationError, match="same version"):
                services.do_save_elective_group(
                    None,
                    draft.version,
                    group=None,
                    title="Mixed",
                    choose=1,
                    steps=[draft.steps[0], other.steps[0]],
                )


def test_it_only_accepts_earlier_steps_as_prerequisites(org_a, org_b):
    draft = make_draft(org_a)
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="must come earlier"):
            services.do_set_prerequisites(None, draft.steps[1], requires=[draft.steps[3]])
        with pytest.raises(ValidationError, match="its own prerequisite"):
            services.do_set_prerequisites(None, draft.steps[1], requires=[draft.steps[1]])
        assert not StepPrerequisite.objects.exists()
        services.do_set_prerequisites(
            None, draft.steps[4], requires=[draft.steps[0], draft.steps[2]]
        )
        assert StepPrerequisite.objects.filter(step=draft.steps[4]).count() == 2
        # An empty set restores the default (the previous step).
        services.do_set_prerequisites(None, draft.steps[4], requires=[])
        assert not StepPrerequisite.objects.exists()


# --- personalisation --------------------------------------------------------------------------


def test_it_validates_rule_thresholds_against_the_scale(org_a, org_b):
    draft = make_draft(org_a)
    [competency] = make_competencies(org_a, 1)
    with tenant_context(org_a):
        with pytest.raises(ValidationError, match="from 1 to 5"):
            services.do_add_rule(
                None, draft.steps[0], competency=competency, action="include_below", threshold=6
            )
        with pytest.raises(ValidationError, match="skip the step for everyone"):
            services.do_add_rule(
                None, draft.steps[0], competency=competency, action="include_below", threshold=1
            )
        with pytest.raises(ValidationError, match="Choose the competency"):
            services.do_add_rule(
                None, draft.steps[0], competency=None, action="include_below", threshold=3
            )
        assert not PersonalisationRule.objects.exists()
        rule = services.do_add_rule(
            None, draft.steps[0], competency=competency, action="include_below", threshold=4
        )
        assert AuditEntry.objects.filter(action="created", object_id=str(rule.pk)).exists()
        services.do_delete_rule(None, rule)
        assert not PersonalisationRule.objects.exists()


def _rule_keeps_by_rating(org, rule):
    """For ratings 1–5 and no baseline: whether the saved rule keeps its step."""
    with tenant_context(org):
        saved = PersonalisationRule.objects.get(pk=rule.pk)
    as_rule = Rule(saved.competency_id, saved.action, saved.threshold)
    keeps = {r: step_applies([as_rule], {saved.competency_id: r}) for r in range(1, 6)}
    keeps[None] = step_applies([as_rule], {})
    return keeps


def test_it_keeps_an_include_below_step_only_for_learners_who_need_it(org_a, org_b):
    draft = make_draft(org_a)
    [competency] = make_competencies(org_a, 1)
    with tenant_context(org_a):
        rule = services.do_add_rule(
            None, draft.steps[0], competency=competency, action="include_below", threshold=4
        )
        entry = AuditEntry.objects.filter(action="created").order_by("-pk").first()
    assert entry.object_repr.endswith("Include only if baseline is below 4")
    assert _rule_keeps_by_rating(org_a, rule) == {
        1: True,
        2: True,
        3: True,
        4: False,
        5: False,
        None: True,  # no baseline: the learner keeps the step
    }


def test_it_keeps_an_include_at_least_step_only_for_stronger_learners(org_a, org_b):
    draft = make_draft(org_a)
    [competency] = make_competencies(org_a, 1)
    with tenant_context(org_a):
        rule = services.do_add_rule(
            None, draft.steps[0], competency=competency, action="include_at_least", threshold=4
        )
        entry = AuditEntry.objects.filter(action="created").order_by("-pk").first()
    assert entry.object_repr.endswith("Include only if baseline is at least 4")
    assert entry.after["action"] == "include_at_least"
    assert _rule_keeps_by_rating(org_a, rule) == {
        1: False,
        2: False,
        3: False,
        4: True,
        5: True,
        None: True,  # no baseline: the learner keeps the step
    }


def test_it_combines_a_needs_rule_and_a_stretch_rule_on_one_step(org_a, org_b):
    draft = make_draft(org_a)
    delegation, feedback = make_competencies(org_a, 2)
    with tenant_context(org_a):
        for competency, action in ((delegation, "include_at_least"), (feedback, "include_below")):
            services.do_add_rule(
                None, draft.steps[0], competency=competency, action=action, threshold=3
            )
        rules = [
            Rule(r.competency_id, r.action, r.threshold)
            for r in PersonalisationRule.objects.filter(step=draft.steps[0])
        ]
    # Strong at delegation and still learning feedback: the only learner who gets the step.
    assert step_applies(rules, {delegation.pk: 3, feedback.pk: 2})
    assert not step_applies(rules, {delegation.pk: 2, feedback.pk: 2})
    assert not step_applies(rules, {delegation.pk: 5, feedback.pk: 3})
    assert step_applies(rules, {delegation.pk: 4})


def test_it_refuses_a_stretch_rule_that_would_keep_the_step_for_everyone(org_a, org_b):
    draft = make_draft(org_a)
    [competency] = make_competencies(org_a, 1)
    with tenant_context(org_a):
        audit_before = AuditEntry.objects.count()
        with pytest.raises(ValidationError, match="keep the step for everyone"):
            services.do_add_rule(
                None, draft.steps[0], competency=competency, action="include_at_least", threshold=1
            )
        with pytest.raises(ValidationError, match="Choose who the rule includes"):
            services.do_add_rule(
                None, draft.steps[0], competency=competency, action="skip_at_least", threshold=3
            )
        assert not PersonalisationRule.objects.exists()
        assert AuditEntry.objects.count() == audit_before


def test_it_tells_the_learner_why_a_stretch_step_is_skipped(org_a, org_b):
    fixture = make_pathway(org_a, n_steps=3)
    [competency] = make_competencies(org_a, 1)
    leo = make_member(org_a, "leo@a.example", is_learner=True)
    enrollment = enroll(org_a, fixture, leo)
    with tenant_context(org_a):
        PersonalisationRule.objects.create(
            step=fixture.steps[1], competency=competency, action="include_at_least", threshold=4
        )
        PersonalisationRule.objects.create(
            step=fixture.steps[2], competency=competency, action="include_below", threshold=3
        )
        SelfAssessment.objects.create(enrollment=enrollment, competency=competency, rating=3)
        [view] = learner_enrollments(leo)
    assert [s.state for s in view.steps] == ["available", "skipped", "skipped"]
    assert view.steps[1].reason == (
        "Skipped for now: this stretch step is for a baseline of 4 or more on Competency 1; "
        "yours is 3"
    )
    assert view.steps[2].reason == "Skipped: your baseline on Competency 1 is already 3"


def test_it_asks_about_moving_only_when_another_version_is_in_use(org_a, org_b):
    draft = make_draft(org_a)
    _publish(org_a, draft.version)
    with tenant_context(org_a):
        v1 = PathwayVersion.objects.get(pk=draft.version.pk)
        v2, _ = services.do_start_new_draft(None, v1)
        assert not services.pathway_has_learners(v2)
        cohort = Cohort.objects.create(
            name="Planned", version=v1, start_date=timezone.localdate(), status="planned"
        )
        assert services.pathway_has_learners(v2)
        Cohort.objects.filter(pk=cohort.pk).update(status="finished")
        assert not services.pathway_has_learners(v2)


@pytest.mark.parametrize("edit", list(EDITS))
def test_it_refuses_an_edit_loaded_before_a_concurrent_publish(org_a, org_b, edit):
    """A request that loaded the draft just before another admin published it must not change
    the published version: the status is read again (under the pathway lock) before writing."""
    draft = make_draft(org_a)
    [competency] = make_competencies(org_a, 1)
    with tenant_context(org_a):
        # Instances as the editing request loaded them, while the version was still a draft.
        draft.version = PathwayVersion.objects.select_related("pathway").get(pk=draft.version.pk)
        draft.stages = list(
            Stage.objects.filter(version=draft.version)
            .select_related("version__pathway")
            .order_by("position")
        )
        draft.steps = list(
            Step.objects.filter(version=draft.version)
            .select_related("version__pathway")
            .order_by("position")
        )
    _publish(org_a, draft.version)  # another admin, committed in between
    with tenant_context(org_a):
        audit_before = AuditEntry.objects.count()
        steps_before = list(
            Step.objects.filter(version=draft.version).values_list(
                "pk", "position", "stage_id", "title"
            )
        )
        with pytest.raises(ValidationError, match="is published and cannot be changed"):
            EDITS[edit](draft, competency)
        assert AuditEntry.objects.count() == audit_before
        assert PathwayVersion.objects.filter(pk=draft.version.pk, status="published").exists()
        assert (
            list(
                Step.objects.filter(version=draft.version).values_list(
                    "pk", "position", "stage_id", "title"
                )
            )
            == steps_before
        )
        assert Stage.objects.filter(version=draft.version).count() == len(draft.stages)
        assert not ElectiveGroup.objects.exists()
        assert not PersonalisationRule.objects.exists()
