"""Every write for coaching conversation templates: check_* validates, do_* changes state."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from coaching.models import ConversationFocus, ConversationTemplate
from competencies.models import Competency
from organizations.audit import record_change, snapshot
from organizations.integrity import refuse_duplicate
from organizations.models import User

MAX_QUESTIONS = 20


def clean_questions(text: str) -> str:
    """One question per line, blank lines and surrounding spaces removed."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def check_conversation_template(
    *, title: str, purpose: str, questions: str, exclude: ConversationTemplate | None = None
) -> None:
    """Raise ValidationError (all problems at once, keyed by the form field each is about)
    unless the template can be saved."""
    problems: dict[str, list[str]] = {}
    if not title.strip():
        problems["title"] = [_("Give the conversation template a title.")]
    else:
        clash = ConversationTemplate.objects.filter(title__iexact=title.strip())
        if exclude is not None:
            clash = clash.exclude(pk=exclude.pk)
        if clash.exists():
            problems["title"] = [_template_title_taken(title)]
    if not purpose.strip():
        problems["purpose"] = [
            _("Say what the conversation is for, so coach and learner arrive ready.")
        ]
    lines = clean_questions(questions).splitlines()
    if not lines:
        problems["questions"] = [_("Write at least one question for the coach, one per line.")]
    elif len(lines) > MAX_QUESTIONS:
        problems["questions"] = [
            _("Keep to %(max)s questions or fewer; a coaching hour rarely covers more.")
            % {"max": MAX_QUESTIONS}
        ]
    if any(len(line) > 500 for line in lines):
        problems.setdefault("questions", []).append(
            _("Keep each question to 500 characters or fewer.")
        )
    if problems:
        raise ValidationError(problems)


def _template_title_taken(title: str) -> str:
    return _("A conversation template called “%(title)s” already exists.") % {
        "title": title.strip()
    }


def _state(template: ConversationTemplate) -> dict:
    return {
        **snapshot(template),
        "focus_competencies": sorted(
            ConversationFocus.objects.filter(template=template).values_list(
                "competency_id", flat=True
            )
        ),
    }


def do_save_conversation_template(
    actor: User | None,
    template: ConversationTemplate | None,
    *,
    title: str,
    purpose: str,
    questions: str,
    suggested_timing: str = "",
    focus_competencies: Iterable[Competency] = (),
) -> ConversationTemplate:
    """Create (``template`` None) or update a conversation template and its focus."""
    # The title check cannot see a template another request is saving at the same moment.
    taken = ValidationError({"title": [_template_title_taken(title)]})
    with refuse_duplicate(ConversationTemplate, "conversationtpl_unique_title_ci", taken):
        check_conversation_template(
            title=title, purpose=purpose, questions=questions, exclude=template
        )
        before = _state(template) if template is not None else None
        if template is None:
            template = ConversationTemplate()
        template.title = title.strip()
        template.purpose = purpose.strip()
        template.questions = clean_questions(questions)
        template.suggested_timing = suggested_timing.strip()
        template.save()
        ConversationFocus.objects.filter(template=template).delete()
        ConversationFocus.objects.bulk_create(
            [
                ConversationFocus(
                    organization_id=template.organization_id, template=template, competency=c
                )
                for c in {c.pk: c for c in focus_competencies}.values()
            ]
        )
        record_change(
            actor,
            "created" if before is None else "updated",
            template,
            before=before,
            after=_state(template),
        )
    return template


def check_can_delete_conversation_template(template: ConversationTemplate) -> None:
    from pathways.services import check_template_not_in_steps

    check_template_not_in_steps(template.title, conversation_template=template)


def do_delete_conversation_template(actor: User | None, template: ConversationTemplate) -> None:
    with transaction.atomic():
        check_can_delete_conversation_template(template)
        record_change(actor, "deleted", template, before=_state(template))
        template.delete()
