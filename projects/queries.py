"""Reads for project template pages: plain dataclasses, a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from projects.models import MilestoneTemplate, ProjectTemplate, ProjectTemplateCompetency


@dataclass
class MilestoneRow:
    title: str
    offset_weeks: int


@dataclass
class ProjectTemplateRow:
    id: int
    title: str
    brief: str
    scope: str
    scope_label: str
    sponsor_required: bool
    competencies: list[str] = field(default_factory=list)
    milestones: list[MilestoneRow] = field(default_factory=list)
    used_by_steps: int = 0

    @property
    def weeks(self) -> int:
        return max((m.offset_weeks for m in self.milestones), default=0)


def project_template_list() -> list[ProjectTemplateRow]:
    """Every project template with its competencies, milestones and pathway use (4 queries)."""
    from pathways.models import Step

    rows = {
        t.pk: ProjectTemplateRow(
            id=t.pk,
            title=t.title,
            brief=t.brief,
            scope=t.scope,
            scope_label=t.get_scope_display(),
            sponsor_required=t.sponsor_required,
        )
        for t in ProjectTemplate.objects.order_by("title")
    }
    for template_id, name in (
        ProjectTemplateCompetency.objects.filter(template_id__in=rows)
        .order_by("competency__position", "competency__name")
        .values_list("template_id", "competency__name")
    ):
        rows[template_id].competencies.append(name)
    for m in MilestoneTemplate.objects.filter(template_id__in=rows).order_by("offset_weeks", "id"):
        rows[m.template_id].milestones.append(MilestoneRow(m.title, m.offset_weeks))
    uses: dict[int, int] = defaultdict(int)
    for template_id, n in (
        Step.objects.filter(project_template_id__in=rows)
        .values("project_template_id")
        .annotate(n=Count("id"))
        .values_list("project_template_id", "n")
    ):
        uses[template_id] = n
    for pk, row in rows.items():
        row.used_by_steps = uses[pk]
    return list(rows.values())
