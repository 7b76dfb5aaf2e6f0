"""Coaching forms: conversation templates, engagements, sessions and their logs, goals,
experiments, journal, observations, peer feedback, notes and rehearsals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coaching.models import (
    CoachingEngagement,
    CoachingSession,
    ConversationTemplate,
    Experiment,
    Goal,
    SessionParticipant,
)
from competencies.models import BehaviouralIndicator, Competency, ProficiencyLevel
from organizations.models import Membership
from pathways.models import Cohort, Enrollment, Scenario
from projects.queries import projects_of_learners


class CompetencyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.framework.name})"


class ConversationTemplateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    purpose = forms.CharField(
        label=_("Purpose"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What this conversation should achieve for the learner."),
    )
    questions = forms.CharField(
        label=_("Questions for the coach"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One question per line, in the order the coach might ask them."),
    )
    suggested_timing = forms.CharField(
        label=_("Suggested timing"),
        max_length=200,
        required=False,
        help_text=_(
            "When it fits relative to other steps, e.g. “After the project's first milestone, "
            "before Stage 3”."
        ),
    )
    focus_competencies = CompetencyChoiceField(
        label=_("Focus competencies"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["focus_competencies"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Competency.objects.select_related("framework").order_by(
            "framework__name", "position", "name"
        )


# --- Engagements and sessions -------------------------------------------------------------------

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.user.display_name} ({obj.user.email})"


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.user.display_name


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def _members(**roles: bool) -> Any:
    return (
        Membership.objects.filter(is_active=True, **roles)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


class EngagementForm(forms.Form):
    coach = PersonChoiceField(label=_("Coach"), queryset=None)
    coachee = PersonChoiceField(label=_("Coachee"), queryset=None)
    cohort: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Cohort"), queryset=None, required=False
    )
    sponsor = PersonChoiceField(
        label=_("Sponsor for three-way notes"),
        queryset=None,
        required=False,
        help_text=_("Optional: sees the three-way notes only, never the rest of the coaching."),
    )
    sessions_contracted = forms.IntegerField(
        label=_("Sessions contracted"), min_value=1, max_value=50, initial=6
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput)
    focus_competencies = CompetencyChoiceField(
        label=_("Focus competencies"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Leave empty to use the suggestion: the competencies the coachee rated lowest in "
            "their diagnostic (and, once it exists, their 360 baseline)."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = _members(is_coach=True)  # type: ignore[attr-defined]
        self.fields["coachee"].queryset = _members(is_learner=True)  # type: ignore[attr-defined]
        self.fields["sponsor"].queryset = _members(is_sponsor=True)  # type: ignore[attr-defined]
        self.fields["cohort"].queryset = Cohort.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["focus_competencies"].queryset = Competency.objects.select_related(  # type: ignore[attr-defined]
            "framework"
        ).order_by("framework__name", "position", "name")


class PairCohortForm(forms.Form):
    cohort: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Cohort"), queryset=None)
    coach = PersonChoiceField(label=_("Coach"), queryset=None)
    sponsor = PersonChoiceField(
        label=_("Sponsor for three-way notes"), queryset=None, required=False
    )
    sessions_contracted = forms.IntegerField(
        label=_("Sessions contracted"), min_value=1, max_value=50, initial=6
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coach"].queryset = _members(is_coach=True)  # type: ignore[attr-defined]
        self.fields["sponsor"].queryset = _members(is_sponsor=True)  # type: ignore[attr-defined]
        self.fields["cohort"].queryset = Cohort.objects.order_by("name")  # type: ignore[attr-defined]


class SessionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=CoachingSession.Kind.choices, widget=forms.RadioSelect
    )
    engagement: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Coachee (1:1)"), queryset=None, required=False
    )
    cohort: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Cohort (group)"), queryset=None, required=False
    )
    participants = PeopleChoiceField(
        label=_("Participants (group)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    capacity = forms.IntegerField(
        label=_("Capacity (group)"), min_value=1, max_value=30, initial=8, required=False
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        widget=DateTimeInput,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        help_text=_("In the organisation's time zone."),
    )
    minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=10, max_value=480, initial=60
    )
    mode = forms.ChoiceField(label=_("Mode"), choices=CoachingSession.Mode.choices)
    location = forms.CharField(label=_("Place or meeting link"), max_length=300, required=False)
    conversation_template: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Conversation template"),
        queryset=None,
        required=False,
        help_text=_(
            "Logging a session that follows a template completes the matching coaching step "
            "in each attending learner's pathway."
        ),
    )
    project = forms.TypedChoiceField(
        label=_("Project (1:1)"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Optional: the coachee's project this session works on."),
        error_messages={"invalid_choice": _("Choose one of the coachee's own projects.")},
    )

    def __init__(self, coach: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        engagements = CoachingEngagement.objects.filter(
            coach=coach, status=CoachingEngagement.Status.ACTIVE
        ).select_related("coachee__user")
        field = self.fields["engagement"]
        field.queryset = engagements  # type: ignore[attr-defined]
        field.label_from_instance = lambda e: e.coachee.user.display_name  # type: ignore[attr-defined]
        # The coachees' projects, grouped by coachee; the service checks the one chosen is the
        # chosen coachee's (check_coachee_project). No field when no coachee has a project.
        coachees = {e.coachee_id: e.coachee.user.display_name for e in engagements}
        projects = projects_of_learners(list(coachees))
        if projects:
            self.fields["project"].choices = [  # type: ignore[attr-defined]
                ("", _("No project")),
                *[(coachees[c], projects[c]) for c in coachees if c in projects],
            ]
        else:
            del self.fields["project"]
        self.fields["cohort"].queryset = coach.coached_cohorts.order_by("name")  # type: ignore[attr-defined]
        self.fields["participants"].queryset = (  # type: ignore[attr-defined]
            Membership.objects.filter(enrollments__cohort__coaches=coach, is_active=True)
            .exclude(enrollments__status=Enrollment.Status.WITHDRAWN)
            .select_related("user")
            .distinct()
            .order_by("user__full_name")
        )
        self.fields["conversation_template"].queryset = ConversationTemplate.objects.order_by(  # type: ignore[attr-defined]
            "title"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == CoachingSession.Kind.ONE_TO_ONE and not data.get("engagement"):
            self.add_error("engagement", _("Choose the coachee for a 1:1 session."))
        if data.get("kind") == CoachingSession.Kind.GROUP and not data.get("capacity"):
            self.add_error("capacity", _("Say how many people the group holds."))
        return data


class RescheduleForm(forms.Form):
    starts_at = SessionForm.base_fields["starts_at"]
    minutes = SessionForm.base_fields["minutes"]
    mode = SessionForm.base_fields["mode"]
    location = SessionForm.base_fields["location"]


EVERY_PARTICIPANT = 0


class SessionLogForm(forms.Form):
    """Attendance per participant (fields ``attendance_<learner id>``), then the log."""

    actual_minutes = forms.IntegerField(
        label=_("Actual length (minutes)"), min_value=1, max_value=480
    )
    competencies = CompetencyChoiceField(
        label=_("Competencies worked on"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    private_notes = forms.CharField(
        label=_("Private notes (only you)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("Never shown to the coachee, HR or sponsors."),
    )
    shared_summary = forms.CharField(
        label=_("Shared summary (you and the participants)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    exp_learner = forms.TypedChoiceField(label=_("Experiment for"), coerce=int, required=False)
    exp_action = forms.CharField(
        label=_("Experiment or action agreed"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("What they will try at work. Leave empty if nothing was agreed."),
    )
    exp_hypothesis = forms.CharField(
        label=_("What they expect to happen"), max_length=500, required=False
    )
    exp_where = forms.CharField(label=_("Where"), max_length=200, required=False)
    exp_due_on = forms.DateField(label=_("By when"), widget=DateInput, required=False)

    project = forms.TypedChoiceField(
        label=_("Project this session worked on"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Its page lists this session's date, never your notes or the summary."),
        error_messages={"invalid_choice": _("Choose one of the coachee's own projects.")},
    )

    def __init__(
        self,
        participants: list[tuple[int, str]],
        *args: Any,
        projects: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        """``projects``: the 1:1 coachee's projects, offered as the session's project (no
        field without any)."""
        super().__init__(*args, **kwargs)
        self.participants = participants
        if projects:
            self.fields["project"].choices = [("", _("No project")), *projects]  # type: ignore[attr-defined]
        else:
            del self.fields["project"]
        for learner_id, name in participants:
            self.fields[f"attendance_{learner_id}"] = forms.ChoiceField(
                label=name,
                choices=SessionParticipant.Attendance.choices,
                initial=SessionParticipant.Attendance.ATTENDED,
                widget=forms.RadioSelect,
            )
        choices: list[tuple[int, str]] = list(participants)
        if len(participants) > 1:
            choices.insert(0, (EVERY_PARTICIPANT, str(_("Every participant who attended"))))
        self.fields["exp_learner"].choices = choices  # type: ignore[attr-defined]
        self.fields["competencies"].queryset = Competency.objects.select_related(  # type: ignore[attr-defined]
            "framework"
        ).order_by("framework__name", "position", "name")

    def attendance_fields(self) -> list[Any]:
        return [self[f"attendance_{learner_id}"] for learner_id, _name in self.participants]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("exp_action", "").strip() and not data.get("exp_due_on"):
            self.add_error("exp_due_on", _("Say by when the experiment should be tried."))
        return data


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How useful was this session?"),
        coerce=int,
        choices=[(i, str(i)) for i in range(1, 6)],
        widget=forms.RadioSelect,
        help_text=_("1 not useful, 5 very useful."),
    )


class GoalForm(forms.Form):
    title = forms.CharField(label=_("Goal"), max_length=200)
    competency: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Competency"), queryset=None, required=False
    )
    success_measure = forms.CharField(label=_("How you will know"), max_length=300)
    target_date = forms.DateField(label=_("Target date"), widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["competency"].queryset = Competency.objects.order_by("name")  # type: ignore[attr-defined]


class GoalUpdateForm(forms.Form):
    progress = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    status = forms.ChoiceField(label=_("Status"), choices=Goal.Status.choices)
    reflection = forms.CharField(
        label=_("Reflection"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ExperimentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Experiment.Kind.choices)
    hypothesis = forms.CharField(
        label=_("What you expect to happen"), max_length=500, required=False
    )
    action = forms.CharField(label=_("What you will try"), widget=forms.Textarea(attrs={"rows": 2}))
    where = forms.CharField(label=_("Where"), max_length=200, required=False)
    # The coachee's projects are offered; the service refuses any other (check_coachee_project).
    project = forms.IntegerField(
        label=_("Project"), required=False, min_value=1, widget=forms.Select
    )
    due_on = forms.DateField(label=_("By when"), widget=DateInput)

    def __init__(self, *args: Any, projects: Sequence[tuple[int, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["project"]
        field.widget.choices = [("", _("No project")), *projects]
        if not projects:
            field.widget = forms.HiddenInput()


class ExperimentCloseForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (Experiment.Status.DONE, _("Tried it")),
            (Experiment.Status.DROPPED, _("Dropped")),
        ],
    )
    what_happened = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 2})
    )
    learned = forms.CharField(
        label=_("What you learned"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class JournalForm(forms.Form):
    prompt = forms.CharField(widget=forms.HiddenInput, required=False)
    text = forms.CharField(
        label=_("Your reflection"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Private: only you see it, unless you share this entry with your coach."),
    )


class ObservationForm(forms.Form):
    competency: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Competency"), queryset=None
    )
    indicator: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Behavioural indicator"), queryset=None, required=False
    )
    level: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Level seen"), queryset=None)
    situation = forms.CharField(label=_("Situation"), widget=forms.Textarea(attrs={"rows": 2}))
    behaviour = forms.CharField(
        label=_("What you saw them do or say"), widget=forms.Textarea(attrs={"rows": 3})
    )
    observed_on = forms.DateField(label=_("Observed on"), widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["competency"].queryset = Competency.objects.order_by("name")  # type: ignore[attr-defined]
        indicator = self.fields["indicator"]
        indicator.queryset = BehaviouralIndicator.objects.select_related("competency").order_by(  # type: ignore[attr-defined]
            "competency__name", "position"
        )
        indicator.label_from_instance = lambda i: f"{i.competency.name}: {i.text}"  # type: ignore[attr-defined]
        level = self.fields["level"]
        level.queryset = ProficiencyLevel.objects.select_related("framework").order_by(  # type: ignore[attr-defined]
            "framework__name", "value"
        )
        level.label_from_instance = lambda lv: f"{lv.value} {lv.label} ({lv.framework.name})"  # type: ignore[attr-defined]


class InviteObserverForm(forms.Form):
    peer = PersonChoiceField(label=_("Colleague"), queryset=None)

    def __init__(self, learner: Membership, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["peer"].queryset = _members().exclude(pk=learner.pk)  # type: ignore[attr-defined]


class PeerFeedbackForm(forms.Form):
    recipient = forms.TypedChoiceField(label=_("For"), coerce=int)
    what_worked = forms.CharField(label=_("What worked"), widget=forms.Textarea(attrs={"rows": 2}))
    what_to_try = forms.CharField(
        label=_("What to try"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, others: list[tuple[int, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].choices = others  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class RehearsalForm(forms.Form):
    scenario: forms.ModelChoiceField = forms.ModelChoiceField(label=_("Scenario"), queryset=None)
    note = forms.CharField(label=_("Why this one"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scenario"].queryset = Scenario.objects.filter(  # type: ignore[attr-defined]
            status=Scenario.Status.PUBLISHED
        ).order_by("title")
