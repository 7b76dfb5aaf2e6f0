"""Reads for coaching conversation template pages (a fixed number of queries)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from coaching.models import ConversationFocus, ConversationTemplate


@dataclass
class ConversationTemplateRow:
    id: int
    title: str
    purpose: str
    suggested_timing: str
    questions: list[str]
    focus: list[str] = field(default_factory=list)
    used_by_steps: int = 0


def conversation_template_list() -> list[ConversationTemplateRow]:
    """Every template with its focus competencies and pathway use (3 queries)."""
    from pathways.models import Step

    rows = {
        t.pk: ConversationTemplateRow(
            id=t.pk,
            title=t.title,
            purpose=t.purpose,
            suggested_timing=t.suggested_timing,
            questions=t.question_list,
        )
        for t in ConversationTemplate.objects.order_by("title")
    }
    for template_id, name in (
        ConversationFocus.objects.filter(template_id__in=rows)
        .order_by("competency__position", "competency__name")
        .values_list("template_id", "competency__name")
    ):
        rows[template_id].focus.append(name)
    for template_id, n in (
        Step.objects.filter(conversation_template_id__in=rows)
        .values("conversation_template_id")
        .annotate(n=Count("id"))
        .values_list("conversation_template_id", "n")
    ):
        rows[template_id].used_by_steps = n
    return list(rows.values())
