"""Project template forms: the template's fields and its milestone rows."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from competencies.models import Competency
from organizations.listed_fields import ListedCheckboxInput, ListedSelect, ListedTextInput
from projects.models import BenefitClaim, ProjectTemplate, StatusUpdate
from projects.services import (
    MAX_OFFSET_WEEKS,
    CharterInput,
    ClaimInput,
    MilestoneInput,
    MilestonePlan,
    StakeholderInput,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class CompetencyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.framework.name})"


class ProjectTemplateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    brief = forms.CharField(
        label=_("Brief"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The real piece of work the learner takes on, and why it matters now."),
    )
    expected_outcomes = forms.CharField(
        label=_("Expected outcomes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What is different at the end: results for the business and for the team."),
    )
    scope = forms.ChoiceField(
        label=_("Scope (the learner's level of influence)"),
        choices=ProjectTemplate.Scope.choices,
        widget=forms.RadioSelect,
        initial=ProjectTemplate.Scope.TEAM,
    )
    sponsor_required = forms.BooleanField(
        label=_("A sponsor must sign off the project"), required=False
    )
    competencies = CompetencyChoiceField(
        label=_("Competencies practised"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["competencies"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Competency.objects.select_related("framework").order_by(
            "framework__name", "position", "name"
        )


class MilestoneForm(forms.Form):
    title = forms.CharField(
        label=_("Milestone"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
    )
    offset_weeks = forms.IntegerField(
        label=_("Week (after the project starts)"),
        min_value=0,
        max_value=MAX_OFFSET_WEEKS,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("title") and data.get("offset_weeks") is None:
            self.add_error("offset_weeks", _("Say in which week this milestone falls."))
        if data.get("offset_weeks") is not None and not data.get("title"):
            self.add_error("title", _("Give this milestone a title or clear its week."))
        return data


MilestoneFormSet = forms.formset_factory(MilestoneForm, extra=1, can_delete=True, max_num=30)


def milestones_from(formset: Any) -> list[MilestoneInput]:
    """The milestone rows the admin kept: filled in and not marked for removal."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or not data.get("title"):
            continue
        rows.append(MilestoneInput(data["title"], data["offset_weeks"]))
    return sorted(rows, key=lambda m: m.offset_weeks)


def with_extra_row(post: Any, prefix: str = "milestones") -> dict[str, Any]:
    """Unbound initial values from a posted form, plus one empty milestone row."""
    total = int(post.get(f"{prefix}-TOTAL_FORMS", 0) or 0)
    rows = []
    for i in range(min(total, 30)):
        if post.get(f"{prefix}-{i}-DELETE"):
            continue
        rows.append(
            {
                "title": post.get(f"{prefix}-{i}-title", ""),
                "offset_weeks": post.get(f"{prefix}-{i}-offset_weeks") or None,
            }
        )
    return {"rows": rows}


# --- Running projects ------------------------------------------------------------------------

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_STAKEHOLDER_LINE = re.compile(r"^(?P<name>.*?)[\s,;]*<?(?P<email>[^\s<>,;]+@[^\s<>,;]+?)>?$")


def split_list(text: str) -> list[str]:
    """Comma-, semicolon- or line-separated items, stripped, empty ones dropped."""
    return [item.strip() for item in re.split(r"[,;\n]", text or "") if item.strip()]


def parse_stakeholders(text: str) -> list[StakeholderInput]:
    """One stakeholder a line: ``Name <e-mail>`` or ``Name, e-mail`` (a bare e-mail is named
    after its address)."""
    people = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        match = _STAKEHOLDER_LINE.match(line)
        if match is None:
            people.append(StakeholderInput(line, line))  # refused as "not an e-mail address"
            continue
        email = match["email"]
        name = match["name"].strip(" ,;<") or email.split("@")[0]
        people.append(StakeholderInput(name, email))
    return people


class CharterForm(forms.Form):
    title = forms.CharField(label=_("Project title"), max_length=200)
    problem = forms.CharField(
        label=_("The problem and why it matters"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What is not working today, for whom, and what it costs."),
    )
    scope = forms.ChoiceField(
        label=_("Scope (your level of influence)"),
        choices=ProjectTemplate.Scope.choices,
        widget=forms.RadioSelect,
    )
    scope_reason = forms.CharField(
        label=_("Why a wider scope than the template suggests"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expected_outcomes = forms.CharField(
        label=_("Expected outcomes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One a line. At the end you will say what was achieved against each."),
    )
    start_date = forms.DateField(label=_("Start date"), widget=DATE)
    end_date = forms.DateField(label=_("End date"), widget=DATE)
    sponsor_email = forms.EmailField(
        label=_("Sponsor's e-mail"),
        required=False,
        help_text=_("A leader in this organisation who cares about the result and signs it off."),
    )
    co_learners = forms.CharField(
        label=_("Co-learners' e-mails (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Colleagues from your cohort who take this project step with you."),
    )
    functions = forms.CharField(
        label=_("Functions involved"),
        required=False,
        help_text=_("Separated by commas, e.g. Operations, Finance, Customer service."),
    )
    stakeholders = forms.CharField(
        label=_("Stakeholders"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One a line as “Name <e-mail>”; colleagues or people outside. They are asked to "
            "rate the project at a milestone you choose and at the end."
        ),
    )

    def __init__(self, *args: Any, template_scope: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if template_scope:
            label = ProjectTemplate.Scope(template_scope).label
            self.fields["scope"].help_text = _(
                "The template suggests %(scope)s. A wider scope needs a reason below."
            ) % {"scope": label}


class PlannedMilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=200, required=False)
    due_on = forms.DateField(label=_("Date"), required=False, widget=DATE)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("title") and not data.get("due_on"):
            self.add_error("due_on", _("Give this milestone a date."))
        if data.get("due_on") and not data.get("title"):
            self.add_error("title", _("Give this milestone a title or clear its date."))
        return data


PlannedMilestoneFormSet = forms.formset_factory(
    PlannedMilestoneForm, extra=2, can_delete=True, max_num=30
)


def charter_input(form: CharterForm, formset: Any) -> CharterInput:
    data = form.cleaned_data
    milestones = []
    for mform in formset.forms:
        row = mform.cleaned_data
        if row and not row.get("DELETE") and row.get("title"):
            milestones.append(MilestonePlan(row["title"], row["due_on"]))
    return CharterInput(
        title=data["title"],
        problem=data["problem"],
        scope=data["scope"],
        scope_reason=data.get("scope_reason", ""),
        expected_outcomes=data["expected_outcomes"],
        start_date=data["start_date"],
        end_date=data["end_date"],
        sponsor_email=data.get("sponsor_email", ""),
        co_learner_emails=split_list(data.get("co_learners", "")),
        functions=split_list(data.get("functions", "")),
        stakeholders=parse_stakeholders(data.get("stakeholders", "")),
        milestones=milestones,
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[("approve", _("Approve the charter")), ("send_back", _("Send it back"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment for the learner"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you send it back: say what to change."),
    )


class UpdateForm(forms.Form):
    rag = forms.ChoiceField(
        label=_("Overall status"), choices=StatusUpdate.Rag.choices, widget=forms.RadioSelect
    )
    progress = forms.CharField(label=_("Progress"), widget=forms.Textarea(attrs={"rows": 3}))
    tried = forms.CharField(
        label=_("What you tried"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    blockers = forms.CharField(
        label=_("Blockers"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_steps = forms.CharField(
        label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MilestoneDoneForm(forms.Form):
    evidence = forms.CharField(
        label=_("Evidence"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was delivered, and who saw it."),
    )
    links = forms.CharField(
        label=_("Links (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One a line: documents, dashboards, recordings."),
    )
    done_on = forms.DateField(label=_("Done on"), required=False, widget=DATE)


class MilestoneMoveForm(forms.Form):
    new_date = forms.DateField(label=_("New date"), widget=DATE)
    reason = forms.CharField(label=_("Why it moves"), widget=forms.Textarea(attrs={"rows": 2}))


class ClaimForm(forms.Form):
    measure = forms.CharField(
        label=_("Measure"),
        max_length=200,
        required=False,
        help_text=_("e.g. Overtime hours in the warehouse"),
    )
    annual_value = forms.DecimalField(
        label=_("Annual change in value"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        error_messages={"min_value": _("Claim the size of the change: not a negative amount.")},
    )
    is_revenue = forms.BooleanField(label=_("This is revenue (not profit or cost)"), required=False)
    basis = forms.CharField(
        label=_("How you computed it"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    isolation_pct = forms.DecimalField(
        label=_("Share due to the project (%)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        error_messages={
            "min_value": _("Between 0 and 100 %."),
            "max_value": _("Between 0 and 100 %."),
        },
    )
    confidence_pct = forms.DecimalField(
        label=_("Your confidence (%)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        error_messages={
            "min_value": _("Between 0 and 100 %."),
            "max_value": _("Between 0 and 100 %."),
        },
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        filled = [
            k
            for k in ("measure", "annual_value", "basis", "isolation_pct", "confidence_pct")
            if data.get(k) not in (None, "")
        ]
        if filled:
            for name in ("measure", "annual_value", "basis", "isolation_pct", "confidence_pct"):
                if data.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, _("Needed for a claim (or clear the whole claim)."))
        return data


ClaimFormSet = forms.formset_factory(ClaimForm, extra=1, max_num=10)


def claims_from(formset: Any) -> list[ClaimInput]:
    claims = []
    for form in formset.forms:
        d = form.cleaned_data
        if d and d.get("measure"):
            claims.append(
                ClaimInput(
                    measure=d["measure"],
                    annual_value=d["annual_value"],
                    basis=d["basis"],
                    isolation_pct=d["isolation_pct"],
                    confidence_pct=d["confidence_pct"],
                    is_revenue=bool(d.get("is_revenue")),
                )
            )
    return claims


class CloseForm(forms.Form):
    """One "achieved" field per expected outcome."""

    def __init__(self, *args: Any, outcomes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outcomes = outcomes
        for i, outcome in enumerate(outcomes):
            self.fields[f"achieved_{i}"] = forms.CharField(
                label=outcome, widget=forms.Textarea(attrs={"rows": 2})
            )

    def achieved(self) -> list[str]:
        return [self.cleaned_data.get(f"achieved_{i}", "") for i in range(len(self.outcomes))]


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (BenefitClaim.Status.CONFIRMED, _("Confirm")),
            (BenefitClaim.Status.REJECTED, _("Reject")),
            (BenefitClaim.Status.EXCLUDED, _("Exclude (unsupported or extreme)")),
        ],
        widget=forms.RadioSelect,
    )
    adjusted_value = forms.DecimalField(
        label=_("Adjusted annual value (optional)"),
        required=False,
        max_digits=14,
        decimal_places=2,
        help_text=_("ROI uses the lower of the learner's and your value."),
    )
    reason = forms.CharField(
        label=_("Comment or reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


RATING_CHOICES = [(i, str(i)) for i in range(1, 6)]


class SignOffForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[("sign_off", _("Sign the project off")), ("more", _("Ask for more"))],
        widget=forms.RadioSelect,
    )
    rating = forms.TypedChoiceField(
        label=_("Rating of the result (1 poor – 5 excellent)"),
        choices=RATING_CHOICES,
        coerce=int,
        required=False,
        widget=forms.RadioSelect,
    )
    assessment = forms.CharField(
        label=_("Assessment or what more you need"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _rating_field(label: StrOrPromise) -> forms.TypedChoiceField:
    """One 1-5 question of the stakeholder rating page."""
    return forms.TypedChoiceField(
        label=label,
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )


class RatingForm(forms.Form):
    outcome_quality = _rating_field(_("Quality of the outcome"))
    collaboration = _rating_field(_("Collaboration with you"))
    communication = _rating_field(_("Communication"))
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shared only with other stakeholders' comments, never with your name."),
    )


class ProjectFilterForm(forms.Form):
    # Drawn on every request of the project lists: widgets written in Python, the markup of
    # Django's templates (organizations/listed_fields.py).
    q = forms.CharField(label=_("Search titles"), required=False, widget=ListedTextInput)
    status = forms.ChoiceField(label=_("Status"), required=False, widget=ListedSelect)
    late = forms.BooleanField(
        label=_("Only with late milestones"), required=False, widget=ListedCheckboxInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from projects.models import Project

        self.fields["status"].choices = [("", _("Any status")), *Project.Status.choices]  # type: ignore[attr-defined]
