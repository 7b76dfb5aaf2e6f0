"""Forms of the pathway builder: shape and field validation; business rules live in services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from organizations.forms import typed_field
from pathways.builder import queries
from pathways.builder.services import MAX_OFFSET_DAYS
from pathways.models import Module, PersonalisationRule, Stage, Step

if TYPE_CHECKING:
    from coaching.models import ConversationTemplate
    from projects.models import ProjectTemplate


class CompetencyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.framework.name})"


class SingleCompetencyField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.framework.name})"


class StepChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Step) -> str:
        return obj.display_title


class PathwayForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    purpose = forms.CharField(
        label=_("Purpose"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the programme exists and what changes for the people who take it."),
    )
    target_roles = forms.CharField(
        label=_("Target roles"),
        max_length=300,
        required=False,
        help_text=_("Who it is for, e.g. “First-time managers, team leads”."),
    )
    competencies = CompetencyChoiceField(
        label=_("Competencies developed"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(
            self, "competencies", forms.ModelChoiceField
        ).queryset = queries.competency_choices()


class CopyPathwayForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the new pathway"),
        max_length=200,
        help_text=_("The copy starts as draft version 1 with the same stages and steps."),
    )


class StageForm(forms.Form):
    title = forms.CharField(label=_("Stage title"), max_length=200)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])


class StepForm(forms.Form):
    """A new step: its kind and the library item it opens, its stage and its timing."""

    kind = forms.ChoiceField(
        label=_("Kind of step"), choices=Step.Kind.choices, widget=forms.RadioSelect
    )
    module: forms.ModelChoiceField[Module] = forms.ModelChoiceField(
        label=_("Module (for a module step)"),
        queryset=None,
        required=False,
        empty_label=_("— choose a published module —"),
    )
    project_template: forms.ModelChoiceField[ProjectTemplate] = forms.ModelChoiceField(
        label=_("Project template (for a project step)"),
        queryset=None,
        required=False,
        empty_label=_("— choose a project template —"),
    )
    conversation_template: forms.ModelChoiceField[ConversationTemplate] = forms.ModelChoiceField(
        label=_("Conversation template (for a coaching step)"),
        queryset=None,
        required=False,
        empty_label=_("— choose a conversation template —"),
    )
    stage: forms.ModelChoiceField[Stage] = forms.ModelChoiceField(
        label=_("Stage"), queryset=None, empty_label=None
    )
    title = forms.CharField(
        label=_("Title shown to learners"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the module's or template's own title."),
    )
    available_offset_days = forms.IntegerField(
        label=_("Opens (days after cohort start)"),
        min_value=0,
        max_value=MAX_OFFSET_DAYS,
        initial=0,
    )
    due_offset_days = forms.IntegerField(
        label=_("Due (days after cohort start, optional)"),
        min_value=0,
        max_value=MAX_OFFSET_DAYS,
        required=False,
    )

    def __init__(self, *args: Any, version_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(self, "module", forms.ModelChoiceField).queryset = queries.library_modules()
        typed_field(
            self, "project_template", forms.ModelChoiceField
        ).queryset = queries.library_project_templates()
        typed_field(
            self, "conversation_template", forms.ModelChoiceField
        ).queryset = queries.library_conversation_templates()
        typed_field(self, "stage", forms.ModelChoiceField).queryset = Stage.objects.filter(
            version_id=version_id
        ).order_by("position", "id")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind = data.get("kind")  # missing when the choice was invalid
        if kind is None:
            return data
        needed = {
            Step.Kind.MODULE: ("module", _("Choose the module this step opens.")),
            Step.Kind.PROJECT: ("project_template", _("Choose the project template.")),
            Step.Kind.COACHING: (
                "conversation_template",
                _("Choose the coaching conversation template."),
            ),
        }.get(kind)
        if needed and not data.get(needed[0]):
            self.add_error(needed[0], needed[1])
        return data


class StepSettingsForm(forms.Form):
    title = StepForm.base_fields["title"]
    available_offset_days = StepForm.base_fields["available_offset_days"]
    due_offset_days = StepForm.base_fields["due_offset_days"]


class StepStageForm(forms.Form):
    stage: forms.ModelChoiceField[Stage] = forms.ModelChoiceField(
        label=_("Move to stage"), queryset=None, empty_label=None
    )

    def __init__(self, *args: Any, version_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(self, "stage", forms.ModelChoiceField).queryset = Stage.objects.filter(
            version_id=version_id
        ).order_by("position", "id")


class PrerequisiteForm(forms.Form):
    requires = StepChoiceField(
        label=_("Steps that must be done first"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for the default: the previous step."),
    )

    def __init__(self, *args: Any, step: Step, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only earlier steps can be prerequisites; the service checks again.
        earlier = [
            s.pk
            for s in Step.objects.filter(version_id=step.version_id).order_by(
                "stage__position", "stage_id", "position", "id"
            )
        ]
        earlier = earlier[: earlier.index(step.pk)] if step.pk in earlier else []
        typed_field(self, "requires", forms.ModelChoiceField).queryset = (
            Step.objects.filter(pk__in=earlier)
            .select_related("module", "project_template", "conversation_template")
            .order_by("stage__position", "stage_id", "position", "id")
        )


class RuleForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Rule"),
        choices=PersonalisationRule.Action.choices,
        help_text=_(
            "“Below” keeps the step for learners who need it; “at least” makes it a stretch step "
            "for stronger learners. A learner without a baseline always gets the step."
        ),
    )
    threshold = forms.IntegerField(
        label=_("Level"),
        min_value=1,
        max_value=10,
        help_text=_("A level of the competency's proficiency scale."),
    )
    competency = SingleCompetencyField(
        label=_("on the competency"), queryset=None, empty_label=_("— choose a competency —")
    )
    source = forms.ChoiceField(
        label=_("as rated in"),
        choices=PersonalisationRule.Source.choices,
        initial=PersonalisationRule.Source.SELF_ASSESSMENT,
        required=False,
        help_text=_("The 360 baseline reads others' mean (1–5) once the learner's report exists."),
    )

    def clean_source(self) -> str:
        return self.cleaned_data.get("source") or PersonalisationRule.Source.SELF_ASSESSMENT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(
            self, "competency", forms.ModelChoiceField
        ).queryset = queries.competency_choices()


class ElectiveGroupForm(forms.Form):
    title = forms.CharField(
        label=_("Group title"),
        max_length=200,
        help_text=_("Learners see it, e.g. “Choose your focus”."),
    )
    choose = forms.IntegerField(label=_("Learners choose (k)"), min_value=1, max_value=50)
    steps = StepChoiceField(
        label=_("Steps to choose from (n)"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, version_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(self, "steps", forms.ModelChoiceField).queryset = (
            Step.objects.filter(version_id=version_id)
            .select_related("module", "project_template", "conversation_template")
            .order_by("stage__position", "stage_id", "position", "id")
        )


class PublishForm(forms.Form):
    move_enrollments = forms.TypedChoiceField(
        label=_("Learners already on an earlier version"),
        choices=[
            (
                "move",
                _(
                    "Move active learners to this version (their completed steps stay "
                    "completed; new and changed steps appear in their pathway)"
                ),
            ),
            ("stay", _("Leave them on their version until they finish")),
        ],
        coerce=lambda value: value == "move",
        widget=forms.RadioSelect,
        initial="stay",
    )


class PreviewForm(forms.Form):
    cohort = forms.TypedChoiceField(label=_("Cohort"), coerce=int)

    def __init__(self, *args: Any, cohorts: list[tuple[int, str, int]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(self, "cohort", forms.ChoiceField).choices = [
            (pk, _("%(name)s (%(n)s active learners)") % {"name": name, "n": n})
            for pk, name, n in cohorts
        ]
