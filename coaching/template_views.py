"""Coaching conversation template pages (admin): list, create, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coaching import template_queries, template_services
from coaching.forms import ConversationTemplateForm
from coaching.models import ConversationFocus, ConversationTemplate
from organizations.http import TenantRequest
from organizations.roles import role_required


@role_required("admin")
def conversation_template_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    rows = template_queries.conversation_template_list()
    return render(request, "coaching/templates/template_list.html", {"rows": rows})


def _edit(request: TenantRequest, template: ConversationTemplate | None) -> HttpResponse:
    initial = {}
    if template is not None:
        initial = {
            "title": template.title,
            "purpose": template.purpose,
            "questions": template.questions,
            "suggested_timing": template.suggested_timing,
            "focus_competencies": list(
                ConversationFocus.objects.filter(template=template).values_list(
                    "competency_id", flat=True
                )
            ),
        }
    form = ConversationTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = template_services.do_save_conversation_template(
                request.user, template, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Conversation template “%(title)s” saved.") % {"title": saved.title}
            )
            return redirect("conversation_template_list", org_slug=request.org.slug)
    return render(
        request, "coaching/templates/template_form.html", {"form": form, "template": template}
    )


@role_required("admin")
def conversation_template_create(request: TenantRequest, org_slug: str) -> HttpResponse:
    return _edit(request, None)


@role_required("admin")
def conversation_template_edit(
    request: TenantRequest, org_slug: str, template_id: int
) -> HttpResponse:
    return _edit(request, get_object_or_404(ConversationTemplate, pk=template_id))


@require_POST
@role_required("admin")
def conversation_template_delete(
    request: TenantRequest, org_slug: str, template_id: int
) -> HttpResponse:
    template = get_object_or_404(ConversationTemplate, pk=template_id)
    try:
        template_services.do_delete_conversation_template(request.user, template)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("conversation_template_edit", org_slug=org_slug, template_id=template.pk)
    messages.success(
        request, _("Conversation template “%(title)s” deleted.") % {"title": template.title}
    )
    return redirect("conversation_template_list", org_slug=org_slug)
