"""Forms for the library: shape and field-level validation; the rules live in services."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from competencies.models import Competency
from organizations.forms import typed_field
from organizations.listed_fields import ListedFields, ListedSelect
from pathways.library import services
from pathways.models import Module, PracticeTask, RetrievalItem, ScenarioNode

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LEVEL_CHOICES = [
    ("easy", _("Easy")),
    ("medium", _("Medium")),
    ("hard", _("Hard")),
]
SCORE_CHOICES = [("", _("not scored"))] + [(str(s), f"{s:+d}") for s in range(-2, 3) if s != 0]


class LibraryFilterForm(ListedFields, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    competency = forms.TypedChoiceField(
        label=_("Competency"), required=False, coerce=int, empty_value=None, widget=ListedSelect
    )
    role = forms.ChoiceField(label=_("Role"), required=False, widget=ListedSelect)
    function = forms.ChoiceField(label=_("Function"), required=False, widget=ListedSelect)
    impact = forms.ChoiceField(label=_("Impact area"), required=False, widget=ListedSelect)
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[("", _("Any format")), *Module.Format.choices],
        widget=ListedSelect,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *Module.Status.choices],
        widget=ListedSelect,
    )

    def __init__(
        self,
        data: Any,
        competencies: list[tuple[int, str]],
        roles: list[str],
        functions: list[str],
        impacts: list[str],
    ) -> None:
        super().__init__(data)
        typed_field(self, "competency", forms.ChoiceField).choices = [
            ("", _("Any competency")),
            *competencies,
        ]
        for name, values, empty in (
            ("role", roles, _("Any role")),
            ("function", functions, _("Any function")),
            ("impact", impacts, _("Any impact area")),
        ):
            typed_field(self, name, forms.ChoiceField).choices = [
                ("", empty),
                *[(v, v) for v in values],
            ]


def _tags_field(label: StrOrPromise, help_text: StrOrPromise) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=1000, help_text=help_text)


class ModuleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        required=False,
        help_text=_("One sentence learners see in the library and on their pathway."),
    )
    body = forms.CharField(
        label=_("Body (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Headings (##), lists, **bold**, links. Scripts and styles are removed."),
    )
    format = forms.ChoiceField(label=_("Format"), choices=Module.Format.choices)
    minutes = forms.IntegerField(
        label=_("Estimated minutes"),
        help_text=_("Micro-modules take at most 15 minutes."),
        widget=forms.NumberInput(attrs={"min": 1, "max": 15}),
    )
    difficulty = forms.TypedChoiceField(
        label=_("Difficulty"),
        coerce=int,
        choices=[(i, str(i)) for i in range(1, 6)],
        help_text=_("1 = first-time manager, 5 = seasoned senior leader."),
    )
    is_core = forms.TypedChoiceField(
        label=_("Core or elective"),
        coerce=lambda v: v == "core",
        choices=[("core", _("Core")), ("elective", _("Elective"))],
        widget=forms.RadioSelect,
    )
    competencies = forms.TypedMultipleChoiceField(
        label=_("Competencies"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    roles = _tags_field(_("Roles"), _("Comma-separated, e.g. Team lead, Senior manager."))
    functions = _tags_field(_("Functions"), _("Comma-separated, e.g. Sales, Operations."))
    impacts = _tags_field(
        _("Impact areas"), _("Comma-separated, e.g. Engagement, Customer retention.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(self, "competencies", forms.ChoiceField).choices = list(
            Competency.objects.order_by("position", "name").values_list("id", "name")
        )

    def clean_minutes(self) -> int:
        minutes = self.cleaned_data["minutes"]
        services.check_minutes(minutes)
        return minutes

    def to_data(self) -> services.ModuleData:
        d = self.cleaned_data
        return services.ModuleData(
            title=d["title"],
            summary=d["summary"],
            body=d["body"],
            format=d["format"],
            minutes=d["minutes"],
            difficulty=d["difficulty"],
            is_core=d["is_core"],
            competency_ids=d["competencies"],
            roles=services.parse_tags(d["roles"]),
            functions=services.parse_tags(d["functions"]),
            impacts=services.parse_tags(d["impacts"]),
        )

    @classmethod
    def initial_for(cls, module: Module, competency_ids: list[int], tags: dict) -> dict:
        return {
            "title": module.title,
            "summary": module.summary,
            "body": module.body,
            "format": module.format,
            "minutes": module.minutes,
            "difficulty": module.difficulty,
            "is_core": "core" if module.is_core else "elective",
            "competencies": competency_ids,
            "roles": ", ".join(tags.get("role", [])),
            "functions": ", ".join(tags.get("function", [])),
            "impacts": ", ".join(tags.get("impact", [])),
        }


class PracticeTaskForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("The learner"), choices=PracticeTask.Kind.choices, widget=forms.RadioSelect
    )
    prompt = forms.CharField(
        label=_("Prompt"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A question answered in a few lines, or an action to plan for this week."),
    )


class RetrievalItemForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=RetrievalItem.Kind.choices, widget=forms.RadioSelect
    )
    prompt = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))
    competency = forms.TypedChoiceField(
        label=_("Competency"), coerce=int, empty_value=None, required=False
    )
    level = forms.ChoiceField(
        label=_("Starting difficulty"),
        choices=LEVEL_CHOICES,
        help_text=_("Pathwise refines it from learners' answers."),
    )
    model_answer = forms.CharField(
        label=_("Model answer (free recall)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(self, "competency", forms.ChoiceField).choices = [
            ("", _("None")),
            *self._competencies(),
        ]
        for i in range(1, services.MAX_OPTIONS + 1):
            self.fields[f"option_{i}_text"] = forms.CharField(
                label=_("Option %(n)d") % {"n": i}, required=False, max_length=300
            )
            self.fields[f"option_{i}_correct"] = forms.BooleanField(
                label=_("Correct"), required=False
            )
            self.fields[f"option_{i}_feedback"] = forms.CharField(
                label=_("Feedback on option %(n)d") % {"n": i}, required=False, max_length=500
            )

    @staticmethod
    def _competencies() -> list[tuple[int, str]]:
        return list(Competency.objects.order_by("position", "name").values_list("id", "name"))

    def option_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "number": i,
                "text": self[f"option_{i}_text"],
                "correct": self[f"option_{i}_correct"],
                "feedback": self[f"option_{i}_feedback"],
            }
            for i in range(1, services.MAX_OPTIONS + 1)
        ]

    def to_data(self) -> services.RetrievalItemData:
        d = self.cleaned_data
        return services.RetrievalItemData(
            kind=d["kind"],
            prompt=d["prompt"],
            level=d["level"],
            competency_id=d["competency"],
            model_answer=d["model_answer"],
            options=[
                services.OptionData(
                    text=d[f"option_{i}_text"],
                    is_correct=d[f"option_{i}_correct"],
                    feedback=d[f"option_{i}_feedback"],
                )
                for i in range(1, services.MAX_OPTIONS + 1)
            ],
        )

    @staticmethod
    def initial_for(item: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "kind": item.kind,
            "prompt": item.prompt,
            "competency": item.competency_id,
            "level": item.level,
            "model_answer": item.model_answer,
        }
        for i, option in enumerate(item.options, start=1):
            initial[f"option_{i}_text"] = option.text
            initial[f"option_{i}_correct"] = option.is_correct
            initial[f"option_{i}_feedback"] = option.feedback
        return initial


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError next to the fields it names (else above the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class ScenarioForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        required=False,
        help_text=_("What the learner practises, in one sentence."),
    )
    module = forms.TypedChoiceField(
        label=_("Module"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("The module this scenario belongs to, if any."),
    )
    start_node = forms.TypedChoiceField(
        label=_("Start node"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args: Any, nodes: list[tuple[int, str]] | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        typed_field(self, "module", forms.ChoiceField).choices = [
            ("", _("None")),
            *Module.objects.order_by("title").values_list("id", "title"),
        ]
        if nodes is None:
            del self.fields["start_node"]
        else:
            typed_field(self, "start_node", forms.ChoiceField).choices = [
                ("", _("Not chosen")),
                *nodes,
            ]


class NodeForm(forms.Form):
    key = forms.CharField(
        label=_("Key"),
        max_length=60,
        help_text=_("A short name, unique in this scenario, e.g. “first-reply”."),
    )
    text = forms.CharField(label=_("Situation"), widget=forms.Textarea(attrs={"rows": 4}))
    is_ending = forms.BooleanField(label=_("This is an ending"), required=False)
    debrief = forms.CharField(
        label=_("Debrief (endings)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened, and the behaviour to take away."),
    )


class ChoiceForm(forms.Form):
    text = forms.CharField(label=_("Choice"), max_length=300)
    next_node = forms.TypedChoiceField(label=_("Leads to"), coerce=int, empty_value=None)
    feedback = forms.CharField(label=_("Feedback"), widget=forms.Textarea(attrs={"rows": 2}))
    is_effective = forms.BooleanField(label=_("This is the effective behaviour"), required=False)

    def __init__(
        self,
        *args: Any,
        nodes: list[ScenarioNode] | list[tuple[int, str]],
        competencies: list[tuple[int, str]],
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        typed_field(self, "next_node", forms.ChoiceField).choices = [("", _("Choose…")), *nodes]
        self.competency_ids = [cid for cid, _name in competencies]
        for cid, name in competencies:
            self.fields[f"score_{cid}"] = forms.TypedChoiceField(
                label=name, coerce=int, empty_value=None, required=False, choices=SCORE_CHOICES
            )

    def score_fields(self) -> list[Any]:
        return [self[f"score_{cid}"] for cid in self.competency_ids]

    def to_data(self) -> services.ChoiceData:
        d = self.cleaned_data
        return services.ChoiceData(
            text=d["text"],
            next_node_id=d["next_node"],
            feedback=d["feedback"],
            is_effective=d["is_effective"],
            scores={cid: d[f"score_{cid}"] for cid in self.competency_ids},
        )
