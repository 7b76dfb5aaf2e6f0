"""Forms for the impact set-up: metrics, values, imports, the measurement plan, costs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from measurement.models import CostLine, MeasurementPlan, Metric
from organizations.forms import typed_field
from organizations.models import Membership, Team

DATE = forms.DateInput(attrs={"type": "date"})
MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class MetricForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    unit = forms.CharField(label=_("Unit"), max_length=20, help_text=_("e.g. %, points, EUR, days"))
    direction = forms.ChoiceField(label=_("Which way is good"), choices=Metric.Direction.choices)
    level = forms.ChoiceField(label=_("Level"), choices=Metric.Level.choices)
    min_value = forms.DecimalField(label=_("Lowest possible value"), required=False)
    max_value = forms.DecimalField(label=_("Highest possible value"), required=False)
    is_revenue = forms.BooleanField(
        label=_("A revenue figure (turned into profit with the plan's margin)"), required=False
    )


class MonthField(forms.DateField):
    input_formats = ["%Y-%m", "%Y-%m-%d"]
    widget = MONTH


class MetricValueForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.unscoped().none())
    period = MonthField(label=_("Month"), help_text=_("YYYY-MM"))
    value = forms.CharField(label=_("Value"), max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(self, "team", forms.ModelChoiceField).queryset = Team.objects.order_by("name")


class MetricImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("Columns metric, team, period (YYYY-MM) and value; a header row first."),
    )


class PlanForm(forms.Form):
    baseline_on = forms.DateField(label=_("360 baseline"), required=False, widget=DATE)
    follow_up_on = forms.DateField(label=_("360 follow-up"), required=False, widget=DATE)
    evaluation_start = forms.DateField(label=_("Evaluation period starts"), widget=DATE)
    evaluation_end = forms.DateField(label=_("Evaluation period ends"), widget=DATE)
    comparison = forms.ChoiceField(
        label=_("Comparison group"),
        choices=MeasurementPlan.Comparison.choices,
        help_text=_("Without one, results are before/after trends and labelled weaker evidence."),
    )
    comparison_teams = forms.ModelMultipleChoiceField(
        label=_("Comparison teams"), queryset=Team.objects.unscoped().none(), required=False
    )
    comparison_function = forms.CharField(label=_("Comparison function"), required=False)
    comparison_people = forms.ModelMultipleChoiceField(
        label=_("Comparison people"), queryset=Membership.objects.unscoped().none(), required=False
    )
    profit_margin_pct = forms.DecimalField(
        label=_("Profit margin (%)"), min_value=Decimal(0), max_value=Decimal(100), initial=15
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    intangibles = forms.CharField(
        label=_("Intangibles (one a line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, metrics: list[Metric], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        typed_field(
            self, "comparison_teams", forms.ModelMultipleChoiceField
        ).queryset = Team.objects.order_by("name")
        typed_field(self, "comparison_people", forms.ModelMultipleChoiceField).queryset = (
            Membership.objects.filter(is_active=True)
            .select_related("user")
            .order_by("user__full_name")
        )
        self.metric_rows = []
        for metric in metrics:
            use = f"metric_{metric.pk}"
            self.fields[use] = forms.BooleanField(label=metric.name, required=False)
            self.fields[f"{use}_population"] = forms.IntegerField(
                label=_("People affected"), min_value=0, required=False
            )
            self.fields[f"{use}_unit_value"] = forms.DecimalField(
                label=_("Standard value of one unit or event"), min_value=Decimal(0), required=False
            )
            self.metric_rows.append(
                (metric, self[use], self[f"{use}_population"], self[f"{use}_unit_value"])
            )
        self.metrics = metrics

    def chosen_metrics(self) -> tuple[tuple[int, int, Decimal | None], ...]:
        data = self.cleaned_data
        return tuple(
            (
                m.pk,
                data.get(f"metric_{m.pk}_population") or 0,
                data.get(f"metric_{m.pk}_unit_value"),
            )
            for m in self.metrics
            if data.get(f"metric_{m.pk}")
        )


class CostForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=CostLine.Category.choices)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=_("Amount"), required=False, help_text=_("The line's full amount.")
    )
    shared_by = forms.IntegerField(
        label=_("Shared by how many cohorts"),
        min_value=1,
        initial=1,
        help_text=_("A needs analysis for three cohorts: 3, and this cohort carries a third."),
    )
    people = forms.IntegerField(label=_("People"), min_value=1, required=False)
    hours = forms.DecimalField(label=_("Hours each"), required=False)
    hourly_rate = forms.DecimalField(label=_("Loaded hourly rate"), required=False)
