"""HTML views for the competency model (admins only): resolve, validate, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from competencies import portability, queries, services
from competencies.forms import (
    AlignmentForm,
    CompetencyForm,
    FrameworkForm,
    ImportForm,
    IndicatorForm,
    LevelForm,
    LevelValueForm,
    PriorityForm,
    ScaleForm,
    add_service_error,
)
from competencies.models import (
    BehaviouralIndicator,
    Competency,
    Framework,
    PriorityAlignment,
    StrategicPriority,
)
from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.roles import role_required

GET_POST = ["GET", "POST"]


def _bound(request: TenantRequest) -> QueryDict | None:
    """The POST data (even an empty POST binds the form, so it reports what is missing)."""
    return request.POST if request.method == "POST" else None


def _detail(framework_id: int) -> queries.FrameworkDetail:
    try:
        return queries.framework_detail(framework_id)
    except Framework.DoesNotExist as exc:
        raise Http404(_("No such framework in this organisation.")) from exc


def _card(request: TenantRequest, competency_id: int, **extra: object) -> HttpResponse:
    context = {"competency": queries.competency_card(competency_id), **extra}
    return render(request, "competencies/framework_detail.html#competency-card", context)


def _back_to(org_slug: str, competency: Competency) -> HttpResponse:
    url = reverse("framework_detail", args=[org_slug, competency.framework_id])
    return redirect(f"{url}#competency-{competency.pk}")


# ----- frameworks ---------------------------------------------------------------------------


@require_GET
@role_required("admin")
def framework_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    overview = queries.framework_list()
    fmt = requested_format(request)
    if fmt is not None:
        rows = queries.framework_export_rows(overview)
        return tabular_response(
            fmt, f"{org_slug}-frameworks", queries.FRAMEWORK_EXPORT_HEADERS, rows
        )
    return render(request, "competencies/framework_list.html", {"overview": overview})


@require_http_methods(GET_POST)
@role_required("admin")
def framework_create(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = FrameworkForm(_bound(request))
    if request.method == "POST" and form.is_valid():
        try:
            framework = services.do_create_framework(request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc, "name")
        else:
            messages.success(request, _("Framework created with the default 1–5 scale."))
            return redirect("framework_detail", org_slug, framework.pk)
    return render(request, "competencies/framework_form.html", {"form": form})


@require_GET
@role_required("admin")
def framework_detail(request: TenantRequest, org_slug: str, framework_id: int) -> HttpResponse:
    detail = _detail(framework_id)
    fmt = requested_format(request)
    if fmt is not None:  # the proficiency scale; the whole framework exports as JSON
        return tabular_response(fmt, f"{detail.name} scale", *queries.scale_export(detail))
    form = CompetencyForm(auto_id="new_competency_%s")
    return render(
        request, "competencies/framework_detail.html", {"framework": detail, "form": form}
    )


@require_http_methods(GET_POST)
@role_required("admin")
def framework_edit(request: TenantRequest, org_slug: str, framework_id: int) -> HttpResponse:
    framework = get_object_or_404(Framework, pk=framework_id)
    initial = {"name": framework.name, "description": framework.description}
    form = FrameworkForm(_bound(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_framework(request.user, framework, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc, "name")
        else:
            messages.success(request, _("Framework saved."))
            return redirect("framework_detail", org_slug, framework.pk)
    return render(
        request, "competencies/framework_form.html", {"form": form, "framework": framework}
    )


@require_http_methods(GET_POST)
@role_required("admin")
def framework_delete(request: TenantRequest, org_slug: str, framework_id: int) -> HttpResponse:
    framework = get_object_or_404(Framework, pk=framework_id)
    if request.method == "POST":
        try:
            services.do_delete_framework(request.user, framework)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("“%(name)s” deleted.") % {"name": framework.name})
            return redirect("framework_list", org_slug)
    try:
        services.check_framework_deletable(framework)
        refusal = ""
    except ValidationError as exc:
        refusal = " ".join(exc.messages)
    context = {
        "framework": framework,
        "impact": queries.framework_impact(framework),
        "refusal": refusal,
    }
    return render(request, "competencies/framework_delete.html", context)


def _scale(framework_id: int) -> queries.ScalePage:
    try:
        return queries.scale_page(framework_id)
    except Framework.DoesNotExist as exc:
        raise Http404(_("No such framework in this organisation.")) from exc


def _removal_refusal(scale: queries.ScalePage) -> str:
    """Why the top level cannot be removed now, or "" when it can."""
    try:
        services.check_top_level_removable(
            scale.levels, scale.top.value if scale.top else 0, scale.top_usage
        )
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


def _render_scale(
    request: TenantRequest,
    scale: queries.ScalePage,
    form: ScaleForm | None = None,
    add_form: LevelForm | None = None,
) -> HttpResponse:
    context = {
        "framework": scale,
        "refusal": _removal_refusal(scale),
        "form": form or ScaleForm(levels=scale.levels),
        "add_form": add_form
        or LevelForm(initial={"value": scale.next_value}, auto_id="new_level_%s"),
    }
    return render(request, "competencies/scale_form.html", context)


@require_http_methods(GET_POST)
@role_required("admin")
def scale_edit(request: TenantRequest, org_slug: str, framework_id: int) -> HttpResponse:
    scale = _scale(framework_id)
    form = ScaleForm(_bound(request), levels=scale.levels)
    if request.method == "POST" and form.is_valid():
        framework = get_object_or_404(Framework, pk=framework_id)
        try:
            changed = services.do_update_scale(request.user, framework, form.changes())
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "Scale saved: %(n)d level changed.",
                    "Scale saved: %(n)d levels changed.",
                    changed,
                )
                % {"n": changed},
            )
            return redirect("framework_detail", org_slug, framework_id)
    return _render_scale(request, scale, form=form)


@require_POST
@role_required("admin")
def scale_level_add(request: TenantRequest, org_slug: str, framework_id: int) -> HttpResponse:
    framework = get_object_or_404(Framework, pk=framework_id)
    form = LevelForm(request.POST, auto_id="new_level_%s")
    if form.is_valid():
        try:
            level = services.do_add_level(request.user, framework, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc, "label")
        else:
            messages.success(
                request,
                _("Level %(value)d “%(label)s” added; the scale now runs 1–%(value)d.")
                % {"value": level.value, "label": level.label},
            )
            return redirect("scale_edit", org_slug, framework_id)
    return _render_scale(request, _scale(framework_id), add_form=form)


@require_http_methods(GET_POST)
@role_required("admin")
def scale_level_remove(request: TenantRequest, org_slug: str, framework_id: int) -> HttpResponse:
    """GET: what removing the top level loses, or why it cannot go. POST: remove it."""
    framework = get_object_or_404(Framework, pk=framework_id)
    form = LevelValueForm(_bound(request))
    if request.method == "POST" and form.is_valid():
        try:
            level = services.do_remove_top_level(
                request.user, framework, form.cleaned_data["value"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Level %(value)d “%(label)s” removed; the scale now runs 1–%(top)d.")
                % {"value": level.value, "label": level.label, "top": level.value - 1},
            )
            return redirect("scale_edit", org_slug, framework_id)
    scale = _scale(framework_id)
    context = {"framework": scale, "refusal": _removal_refusal(scale)}
    return render(request, "competencies/scale_remove.html", context)


@require_GET
@role_required("admin")
def framework_export(request: TenantRequest, org_slug: str, framework_id: int) -> HttpResponse:
    framework = get_object_or_404(Framework, pk=framework_id)
    include = request.GET.get("priorities", "1") != "0"
    body = portability.export_json(framework, include_priorities=include)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"{slugify(framework.name) or 'framework'}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(GET_POST)
@role_required("admin")
def framework_import(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = ImportForm(_bound(request), request.FILES if request.method == "POST" else None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            data = portability.parse_json(form.raw())
            result = portability.do_import_framework(
                request.user,
                data,
                include_priorities=form.cleaned_data["include_priorities"],
                name=form.cleaned_data["name"],
            )
        except ValidationError as exc:
            problems = exc.messages
        else:
            messages.success(request, result.summary())
            return redirect("framework_detail", org_slug, result.framework.pk)
    return render(
        request, "competencies/framework_import.html", {"form": form, "problems": problems}
    )


# ----- competencies and indicators ----------------------------------------------------------


@require_http_methods(GET_POST)
@role_required("admin")
def competency_create(request: TenantRequest, org_slug: str, framework_id: int) -> HttpResponse:
    framework = get_object_or_404(Framework, pk=framework_id)
    form = CompetencyForm(_bound(request), auto_id="new_competency_%s")
    if request.method == "POST" and form.is_valid():
        try:
            competency = services.do_create_competency(request.user, framework, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc, "name")
        else:
            messages.success(
                request,
                _("“%(name)s” added. Now describe what it looks like in practice.")
                % {"name": competency.name},
            )
            return _back_to(org_slug, competency)
    detail = _detail(framework_id)
    return render(
        request, "competencies/framework_detail.html", {"framework": detail, "form": form}
    )


@require_GET
@role_required("admin")
def competency_card(request: TenantRequest, org_slug: str, competency_id: int) -> HttpResponse:
    """The competency's card (htmx: e.g. after cancelling an inline edit); else its page."""
    competency = get_object_or_404(Competency, pk=competency_id)
    if request.htmx:
        return _card(request, competency.pk)
    return _back_to(org_slug, competency)


@require_http_methods(GET_POST)
@role_required("admin")
def competency_edit(request: TenantRequest, org_slug: str, competency_id: int) -> HttpResponse:
    competency = get_object_or_404(Competency.objects.select_related("framework"), pk=competency_id)
    initial = {f: getattr(competency, f) for f in ("name", "category", "description")}
    form = CompetencyForm(_bound(request), initial=initial, auto_id=f"c{competency.pk}_%s")
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_competency(request.user, competency, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc, "name")
        else:
            if request.htmx:
                return _card(request, competency.pk, status=_("Competency saved."))
            messages.success(request, _("Competency saved."))
            return _back_to(org_slug, competency)
    template = "competencies/competency_edit.html"
    context = {"form": form, "competency": competency}
    return render(request, f"{template}#competency-form" if request.htmx else template, context)


@require_POST
@role_required("admin")
def competency_delete(request: TenantRequest, org_slug: str, competency_id: int) -> HttpResponse:
    competency = get_object_or_404(Competency, pk=competency_id)
    try:
        services.do_delete_competency(request.user, competency)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back_to(org_slug, competency)
    messages.success(request, _("“%(name)s” deleted.") % {"name": competency.name})
    return redirect("framework_detail", org_slug, competency.framework_id)


@require_POST
@role_required("admin")
def competency_move(request: TenantRequest, org_slug: str, competency_id: int) -> HttpResponse:
    competency = get_object_or_404(Competency, pk=competency_id)
    try:
        services.do_move_competency(request.user, competency, request.POST.get("direction", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        context = {"framework": _detail(competency.framework_id), "moved": competency}
        return render(request, "competencies/framework_detail.html#competency-list", context)
    return _back_to(org_slug, competency)


@require_POST
@role_required("admin")
def indicator_add(request: TenantRequest, org_slug: str, competency_id: int) -> HttpResponse:
    competency = get_object_or_404(Competency, pk=competency_id)
    form = IndicatorForm(request.POST)
    error, status = "", ""
    try:
        services.do_add_indicator(request.user, competency, request.POST.get("text", ""))
        status = _("Indicator added.")
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        return _card(request, competency.pk, status=status, error=error, text=form.data.get("text"))
    if error:
        messages.error(request, error)
    else:
        messages.success(request, status)
    return _back_to(org_slug, competency)


@require_http_methods(GET_POST)
@role_required("admin")
def indicator_edit(request: TenantRequest, org_slug: str, indicator_id: int) -> HttpResponse:
    indicator = get_object_or_404(
        BehaviouralIndicator.objects.select_related("competency"), pk=indicator_id
    )
    form = IndicatorForm(
        request.POST or None, initial={"text": indicator.text}, auto_id=f"i{indicator.pk}_%s"
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_indicator(request.user, indicator, form.cleaned_data["text"])
        except ValidationError as exc:
            add_service_error(form, exc, "text")
        else:
            if request.htmx:
                return _card(request, indicator.competency_id, status=_("Indicator saved."))
            messages.success(request, _("Indicator saved."))
            return _back_to(org_slug, indicator.competency)
    template = "competencies/indicator_edit.html"
    context = {"form": form, "indicator": indicator}
    if not request.htmx:
        return render(request, template, context)
    response = render(request, f"{template}#indicator-form", context)
    return reswap(retarget(response, f"#indicator-{indicator.pk}"), "outerHTML")


@require_POST
@role_required("admin")
def indicator_delete(request: TenantRequest, org_slug: str, indicator_id: int) -> HttpResponse:
    indicator = get_object_or_404(
        BehaviouralIndicator.objects.select_related("competency"), pk=indicator_id
    )
    services.do_delete_indicator(request.user, indicator)
    if request.htmx:
        return _card(request, indicator.competency_id, status=_("Indicator removed."))
    messages.success(request, _("Indicator removed."))
    return _back_to(org_slug, indicator.competency)


@require_POST
@role_required("admin")
def indicator_move(request: TenantRequest, org_slug: str, indicator_id: int) -> HttpResponse:
    indicator = get_object_or_404(
        BehaviouralIndicator.objects.select_related("competency"), pk=indicator_id
    )
    try:
        services.do_move_indicator(request.user, indicator, request.POST.get("direction", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        return _card(request, indicator.competency_id, status=_("Indicator moved."))
    return _back_to(org_slug, indicator.competency)


# ----- strategic priorities and alignment ---------------------------------------------------


@require_GET
@role_required("admin")
def priority_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    context = {"priorities": queries.priority_list(), "form": PriorityForm()}
    return render(request, "competencies/priority_list.html", context)


@require_http_methods(GET_POST)
@role_required("admin")
def priority_create(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = PriorityForm(_bound(request))
    if request.method == "POST" and form.is_valid():
        try:
            priority = services.do_create_priority(request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc, "title")
        else:
            messages.success(request, _("Priority added. Now link the competencies that serve it."))
            return redirect("priority_detail", org_slug, priority.pk)
    return render(request, "competencies/priority_form.html", {"form": form})


@require_http_methods(GET_POST)
@role_required("admin")
def priority_detail(request: TenantRequest, org_slug: str, priority_id: int) -> HttpResponse:
    priority = get_object_or_404(StrategicPriority, pk=priority_id)
    fmt = requested_format(request)
    if fmt is not None and request.method != "POST":
        table = queries.priority_export(queries.priority_detail(priority.pk))
        return tabular_response(fmt, f"{priority.title} competencies", *table)
    initial = {"title": priority.title, "description": priority.description}
    form = PriorityForm(_bound(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_priority(request.user, priority, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc, "title")
        else:
            messages.success(request, _("Priority saved."))
            return redirect("priority_detail", org_slug, priority.pk)
    return _render_priority(request, priority.pk, form)


def _render_priority(
    request: TenantRequest,
    priority_id: int,
    form: PriorityForm,
    link_form: AlignmentForm | None = None,
) -> HttpResponse:
    choices = queries.competency_choices()
    context = {
        "priority": queries.priority_detail(priority_id),
        "form": form,
        "link_form": link_form or AlignmentForm(choices=choices),
        "has_competencies": bool(choices),
    }
    return render(request, "competencies/priority_detail.html", context)


@require_POST
@role_required("admin")
def priority_delete(request: TenantRequest, org_slug: str, priority_id: int) -> HttpResponse:
    priority = get_object_or_404(StrategicPriority, pk=priority_id)
    services.do_delete_priority(request.user, priority)
    messages.success(request, _("“%(title)s” deleted.") % {"title": priority.title})
    return redirect("priority_list", org_slug)


@require_POST
@role_required("admin")
def alignment_set(request: TenantRequest, org_slug: str, priority_id: int) -> HttpResponse:
    priority = get_object_or_404(StrategicPriority, pk=priority_id)
    form = AlignmentForm(request.POST, choices=queries.competency_choices())
    if form.is_valid():
        competency = get_object_or_404(Competency, pk=form.cleaned_data["competency"])
        try:
            services.do_set_alignment(
                request.user, priority, competency, form.cleaned_data["weight"]
            )
        except ValidationError as exc:
            add_service_error(form, exc, "weight")
        else:
            messages.success(
                request,
                _("“%(name)s” serves this priority with weight %(w)d of 5.")
                % {"name": competency.name, "w": form.cleaned_data["weight"]},
            )
            return redirect("priority_detail", org_slug, priority.pk)
    return _render_priority(
        request,
        priority.pk,
        PriorityForm(initial={"title": priority.title, "description": priority.description}),
        form,
    )


@require_POST
@role_required("admin")
def alignment_remove(request: TenantRequest, org_slug: str, link_id: int) -> HttpResponse:
    link = get_object_or_404(
        PriorityAlignment.objects.select_related("priority", "competency"), pk=link_id
    )
    services.do_remove_alignment(request.user, link)
    messages.success(
        request,
        _("“%(name)s” no longer linked to “%(title)s”.")
        % {"name": link.competency.name, "title": link.priority.title},
    )
    return redirect("priority_detail", org_slug, link.priority_id)


@require_GET
@role_required("admin")
def alignment_map(request: TenantRequest, org_slug: str) -> HttpResponse:
    raw = request.GET.get("framework", "")
    framework_id = int(raw) if raw.isdigit() else None
    amap = queries.alignment_map(framework_id)
    fmt = requested_format(request)
    if fmt is not None:
        return tabular_response(fmt, f"{org_slug}-alignment-map", *queries.alignment_export(amap))
    query = f"framework={amap.framework_id}" if amap.framework_id else ""
    return render(request, "competencies/alignment_map.html", {"map": amap, "query": query})
