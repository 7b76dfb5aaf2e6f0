"""Admin pages of the module library: modules, practice, retrieval items and scenarios."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.exports import requested_format, tabular_response
from organizations.http import TenantRequest
from organizations.roles import role_required
from pathways.library import page_parts, queries, services
from pathways.library.forms import (
    ChoiceForm,
    LibraryFilterForm,
    ModuleForm,
    NodeForm,
    PracticeTaskForm,
    RetrievalItemForm,
    ScenarioForm,
    apply_service_errors,
)
from pathways.markdown import render_markdown
from pathways.models import Module, RetrievalItem, Scenario, ScenarioChoice, ScenarioNode

admin_only = role_required("admin")


def _module(module_id: int) -> Module:
    return get_object_or_404(Module, pk=module_id)


def _scenario(scenario_id: int) -> Scenario:
    return get_object_or_404(Scenario, pk=scenario_id)


def _node(scenario: Scenario, node_id: int) -> ScenarioNode:
    return get_object_or_404(ScenarioNode, pk=node_id, scenario=scenario)


# ---------------------------------------------------------------------------------------------
# Library and modules
# ---------------------------------------------------------------------------------------------


@admin_only
def module_library(request: TenantRequest, org_slug: str) -> HttpResponse:
    filters = _filters(request.GET)
    fmt = requested_format(request)  # a download; the module format filter is another value
    if fmt is not None:
        rows = queries.library_export_rows(filters)
        return tabular_response(fmt, f"{org_slug}-modules", queries.LIBRARY_EXPORT_HEADERS, rows)
    data = queries.library_page(filters, request.GET.get("page"), org_slug)
    urls = page_parts.urls_of(org_slug)
    query = _query(request)
    context: dict[str, Any] = {"results": page_parts.results(data, filters, query, urls)}
    template = "pathways/library/library.html"
    if request.htmx:
        return render(request, f"{template}#results", context)
    fields = page_parts.filter_fields(data, request.GET or None)
    if fields is None:  # a value not among its field's choices: the form draws its error
        form = LibraryFilterForm(
            request.GET or None, data.competencies, data.roles, data.functions, data.impacts
        )
        fields = SafeString(
            "\n    ".join(form.listed[name] for name, _label, _empty in page_parts.FILTER_FIELDS)
        )
    context["top"] = page_parts.top(urls, filters, fields)
    return render(request, template, context)


def _filters(params: Any) -> queries.LibraryFilters:
    competency = params.get("competency", "")
    # "format" also asks for a download (?format=csv); the module format is the value among
    # the module formats.
    fmt = next((f for f in params.getlist("format") if f in Module.Format.values), "")
    status = params.get("status", "")
    return queries.LibraryFilters(
        text=params.get("q", "")[:200],
        competency_id=int(competency) if competency.isdigit() else None,
        role=params.get("role", ""),
        function=params.get("function", ""),
        impact=params.get("impact", ""),
        format=fmt if fmt in Module.Format.values else "",
        status=status if status in Module.Status.values else "",
    )


def _query(request: TenantRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    params.setlist("format", [f for f in params.getlist("format") if f in Module.Format.values])
    return params.urlencode()


def _module_form_page(
    request: TenantRequest, form: ModuleForm, module: Module | None, preview: Any = None
) -> HttpResponse:
    context: dict[str, Any] = {"form": form, "module": module, "body_preview": preview}
    if module is not None:
        context["detail"] = queries.module_detail(module)
        context["practice_form"] = _practice_form(context["detail"])
        context.update(_items_context(module))
    return render(request, "pathways/library/module_form.html", context)


@admin_only
def module_new(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = ModuleForm(
        request.POST or None,
        initial={"minutes": 10, "difficulty": 2, "is_core": "core", "format": "read"},
    )
    if request.method == "POST" and "preview" in request.POST:
        return _module_form_page(request, form, None, render_markdown(request.POST.get("body", "")))
    if request.method == "POST" and form.is_valid():
        try:
            module = services.do_save_module(request.user, None, form.to_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Module created as a draft. Add a practice task and retrieval questions, then publish."
                ),
            )
            return redirect("library_module_edit", org_slug=org_slug, module_id=module.pk)
    return _module_form_page(request, form, None)


@admin_only
def module_edit(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    module = _module(module_id)
    if request.method != "POST":
        detail = queries.module_detail(module)
        ids = list(module.competencies.values_list("id", flat=True))
        form = ModuleForm(initial=ModuleForm.initial_for(module, ids, detail.row.tags))
        return _module_form_page(request, form, module)
    form = ModuleForm(request.POST)
    if "preview" in request.POST:
        return _module_form_page(
            request, form, module, render_markdown(request.POST.get("body", ""))
        )
    if form.is_valid():
        try:
            services.do_save_module(request.user, module, form.to_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes to “%(title)s” saved.") % {"title": module.title})
            return redirect("library_module_edit", org_slug=org_slug, module_id=module.pk)
    return _module_form_page(request, form, module)


@admin_only
@require_POST
def body_preview(request: TenantRequest, org_slug: str) -> HttpResponse:
    """The Markdown body as learners will see it (htmx partial of the module form)."""
    html = render_markdown(request.POST.get("body", ""))
    return render(request, "pathways/library/module_form.html#body-preview", {"body_preview": html})


@admin_only
def module_preview(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    detail = queries.module_detail(_module(module_id))
    return render(request, "pathways/library/module_preview.html", {"detail": detail})


@admin_only
@require_POST
def module_status(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    module = _module(module_id)
    try:
        services.do_set_module_status(
            request.user,
            module,
            request.POST.get("status", ""),
            reason=request.POST.get("reason", "")[:500],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("“%(title)s” is now %(status)s.")
            % {"title": module.title, "status": module.get_status_display().lower()},
        )
    return redirect("library_module_edit", org_slug=org_slug, module_id=module.pk)


# ---------------------------------------------------------------------------------------------
# Practice task
# ---------------------------------------------------------------------------------------------


def _practice_form(detail: queries.ModuleDetail, data: Any = None) -> PracticeTaskForm:
    task = detail.practice
    initial = {"kind": task.kind, "prompt": task.prompt} if task else {"kind": "reflect"}
    return PracticeTaskForm(data, initial=initial)


@admin_only
@require_POST
def practice_save(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    module = _module(module_id)
    form = PracticeTaskForm(request.POST)
    if form.is_valid():
        try:
            services.do_save_practice_task(
                request.user, module, form.cleaned_data["kind"], form.cleaned_data["prompt"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Practice task saved."))
            return redirect(
                reverse("library_module_edit", args=[org_slug, module.pk]) + "#practice"
            )
    detail = queries.module_detail(module)
    ids = list(module.competencies.values_list("id", flat=True))
    page_form = ModuleForm(initial=ModuleForm.initial_for(module, ids, detail.row.tags))
    context = {"form": page_form, "module": module, "detail": detail, "practice_form": form}
    context.update(_items_context(module))
    return render(request, "pathways/library/module_form.html", context)


@admin_only
@require_POST
def practice_delete(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    module = _module(module_id)
    try:
        services.do_delete_practice_task(request.user, module)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Practice task removed."))
    return redirect(reverse("library_module_edit", args=[org_slug, module.pk]) + "#practice")


# ---------------------------------------------------------------------------------------------
# Retrieval items (inline with htmx; full pages without)
# ---------------------------------------------------------------------------------------------


def _items_context(
    module: Module,
    *,
    editing: int | None = None,
    edit_form: RetrievalItemForm | None = None,
    new_form: RetrievalItemForm | None = None,
    notice: str = "",
) -> dict[str, Any]:
    return {
        "module": module,
        "items": queries.retrieval_items(module),
        "editing": editing,
        "edit_form": edit_form,
        "new_form": new_form
        or RetrievalItemForm(initial={"kind": "mc", "level": "medium"}, prefix="new"),
        "new_open": new_form is not None and new_form.is_bound,
        "notice": notice,
    }


def _items_response(
    request: TenantRequest, module: Module, org_slug: str, notice: str, **kw: Any
) -> HttpResponse:
    if request.htmx:
        context = _items_context(module, notice=notice, **kw)
        return render(request, "pathways/library/module_form.html#items", context)
    messages.success(request, notice)
    return redirect(reverse("library_module_edit", args=[org_slug, module.pk]) + "#retrieval-items")


def _save_item(
    request: TenantRequest, module: Module, item: RetrievalItem | None, form: RetrievalItemForm
) -> bool:
    if not form.is_valid():
        return False
    try:
        services.do_save_retrieval_item(request.user, module, item, form.to_data())
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return False
    return True


@admin_only
def item_new(request: TenantRequest, org_slug: str, module_id: int) -> HttpResponse:
    module = _module(module_id)
    form = RetrievalItemForm(
        request.POST or None, prefix="new", initial={"kind": "mc", "level": "medium"}
    )
    if request.method == "POST" and _save_item(request, module, None, form):
        return _items_response(request, module, org_slug, _("Question added."))
    if request.htmx:
        return render(
            request,
            "pathways/library/module_form.html#items",
            _items_context(module, new_form=form),
        )
    return render(
        request, "pathways/library/item_form.html", {"module": module, "form": form, "item": None}
    )


@admin_only
def item_edit(request: TenantRequest, org_slug: str, module_id: int, item_id: int) -> HttpResponse:
    module = _module(module_id)
    item = get_object_or_404(RetrievalItem, pk=item_id, module=module)
    view = next(i for i in queries.retrieval_items(module) if i.id == item.pk)
    form = RetrievalItemForm(
        request.POST or None, initial=RetrievalItemForm.initial_for(view), prefix=f"item{item.pk}"
    )
    if request.method == "POST" and _save_item(request, module, item, form):
        return _items_response(request, module, org_slug, _("Question saved."))
    if request.htmx:
        context = _items_context(module, editing=item.pk, edit_form=form)
        return render(request, "pathways/library/module_form.html#items", context)
    return render(
        request, "pathways/library/item_form.html", {"module": module, "form": form, "item": view}
    )


@admin_only
@require_POST
def item_delete(
    request: TenantRequest, org_slug: str, module_id: int, item_id: int
) -> HttpResponse:
    module = _module(module_id)
    item = get_object_or_404(RetrievalItem, pk=item_id, module=module)
    services.do_delete_retrieval_item(request.user, item)
    return _items_response(request, module, org_slug, _("Question deleted."))


# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------


@admin_only
def scenario_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    rows = queries.scenario_rows()
    fmt = requested_format(request)
    if fmt is not None:
        export = queries.scenario_export_rows(rows)
        return tabular_response(
            fmt, f"{org_slug}-scenarios", queries.SCENARIO_EXPORT_HEADERS, export
        )
    return render(request, "pathways/library/scenario_list.html", {"rows": rows})


@admin_only
def scenario_new(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = ScenarioForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            scenario = services.do_save_scenario(
                request.user, None, title=d["title"], summary=d["summary"], module_id=d["module"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Scenario created. Add the opening situation first."))
            return redirect("scenario_edit", org_slug=org_slug, scenario_id=scenario.pk)
    return render(request, "pathways/library/scenario_new.html", {"form": form})


def _editor(request: TenantRequest, scenario: Scenario, **forms: Any) -> HttpResponse:
    detail = queries.scenario_detail(scenario)
    nodes = [(n.id, n.key) for n in detail.nodes]
    context: dict[str, Any] = {
        "detail": detail,
        "form": forms.get("form")
        or ScenarioForm(
            nodes=nodes,
            initial={
                "title": scenario.title,
                "summary": scenario.summary,
                "module": scenario.module_id,
                "start_node": scenario.start_node_id,
            },
        ),
        "node_form": forms.get("node_form") or NodeForm(prefix="node"),
    }
    return render(request, "pathways/library/scenario_edit.html", context)


@admin_only
def scenario_edit(request: TenantRequest, org_slug: str, scenario_id: int) -> HttpResponse:
    scenario = _scenario(scenario_id)
    if request.method != "POST":
        return _editor(request, scenario)
    nodes = list(ScenarioNode.objects.filter(scenario=scenario).values_list("id", "key"))
    form = ScenarioForm(request.POST, nodes=nodes)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.do_save_scenario(
                request.user,
                scenario,
                title=d["title"],
                summary=d["summary"],
                module_id=d["module"],
                start_node_id=d["start_node"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Scenario settings saved."))
            return redirect("scenario_edit", org_slug=org_slug, scenario_id=scenario.pk)
    scenario.refresh_from_db()
    return _editor(request, scenario, form=form)


@admin_only
@require_POST
def scenario_status(request: TenantRequest, org_slug: str, scenario_id: int) -> HttpResponse:
    scenario = _scenario(scenario_id)
    try:
        services.do_set_scenario_status(request.user, scenario, request.POST.get("status", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("“%(title)s” is now %(status)s.")
            % {"title": scenario.title, "status": scenario.get_status_display().lower()},
        )
    return redirect("scenario_edit", org_slug=org_slug, scenario_id=scenario.pk)


@admin_only
def scenario_preview(request: TenantRequest, org_slug: str, scenario_id: int) -> HttpResponse:
    """Play the scenario as a learner would; nothing is stored."""
    detail = queries.scenario_detail(_scenario(scenario_id))
    path = [int(p) for p in request.GET.get("path", "").split(",") if p.strip().isdigit()]
    state = queries.play(detail, path)
    path_prefix = ",".join(str(step.choice.id) for step in state.history)
    context = {"detail": detail, "state": state, "path_prefix": path_prefix}
    return render(request, "pathways/library/scenario_preview.html", context)


@admin_only
def node_new(request: TenantRequest, org_slug: str, scenario_id: int) -> HttpResponse:
    scenario = _scenario(scenario_id)
    form = NodeForm(request.POST or None, prefix="node")
    if request.method == "POST" and form.is_valid():
        try:
            node = services.do_save_node(request.user, scenario, None, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("“%(key)s” added.") % {"key": node.key})
            return redirect(
                reverse("scenario_edit", args=[org_slug, scenario.pk]) + f"#node-{node.pk}"
            )
    return _editor(request, scenario, node_form=form)


def _node_page(
    request: TenantRequest, scenario: Scenario, node: ScenarioNode, **forms: Any
) -> HttpResponse:
    detail = queries.scenario_detail(scenario)
    nodes = _leads_to([(n.id, n.key) for n in detail.nodes], node)
    initial = {
        "key": node.key,
        "text": node.text,
        "is_ending": node.is_ending,
        "debrief": node.debrief,
    }
    context = {
        "detail": detail,
        "node": detail.node(node.pk),
        "form": forms.get("form") or NodeForm(initial=initial, prefix="node"),
        "choice_form": forms.get("choice_form")
        or ChoiceForm(nodes=nodes, competencies=detail.competencies, prefix="choice"),
        # A lone situation: a choice could only lead back to it, so say what to add first.
        "nowhere_to_lead": len(detail.nodes) < 2,
    }
    return render(request, "pathways/library/node_edit.html", context)


@admin_only
def node_edit(
    request: TenantRequest, org_slug: str, scenario_id: int, node_id: int
) -> HttpResponse:
    scenario = _scenario(scenario_id)
    node = _node(scenario, node_id)
    if request.method != "POST":
        return _node_page(request, scenario, node)
    form = NodeForm(request.POST, prefix="node")
    if form.is_valid():
        try:
            services.do_save_node(request.user, scenario, node, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("“%(key)s” saved.") % {"key": node.key})
            return redirect(
                "scenario_node_edit", org_slug=org_slug, scenario_id=scenario.pk, node_id=node.pk
            )
    node.refresh_from_db()
    return _node_page(request, scenario, node, form=form)


@admin_only
@require_POST
def node_delete(
    request: TenantRequest, org_slug: str, scenario_id: int, node_id: int
) -> HttpResponse:
    scenario = _scenario(scenario_id)
    node = _node(scenario, node_id)
    try:
        services.do_delete_node(request.user, node)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("“%(key)s” deleted.") % {"key": node.key})
    return redirect("scenario_edit", org_slug=org_slug, scenario_id=scenario.pk)


def _leads_to(nodes: list[tuple[int, str]], node: ScenarioNode) -> list[tuple[int, str]]:
    """Where a choice of ``node`` may lead: any node of the scenario, its own situation named
    as such (a "try again" that brings the learner back to decide once more)."""
    again = _("%(key)s (this situation again)")
    return [(pk, again % {"key": key} if pk == node.pk else key) for pk, key in nodes]


def _choice_form(
    request: TenantRequest, node: ScenarioNode, data: Any = None, initial: Any = None
) -> ChoiceForm:
    from competencies.models import Competency

    in_scenario = ScenarioNode.objects.filter(scenario_id=node.scenario_id)
    nodes = _leads_to(list(in_scenario.values_list("id", "key")), node)
    competencies = list(Competency.objects.order_by("name").values_list("id", "name"))
    return ChoiceForm(
        data, nodes=nodes, competencies=competencies, initial=initial, prefix="choice"
    )


@admin_only
@require_POST
def choice_new(
    request: TenantRequest, org_slug: str, scenario_id: int, node_id: int
) -> HttpResponse:
    scenario = _scenario(scenario_id)
    node = _node(scenario, node_id)
    form = _choice_form(request, node, request.POST)
    if form.is_valid():
        try:
            services.do_save_choice(request.user, node, None, form.to_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Choice added to “%(key)s”.") % {"key": node.key})
            return redirect(
                "scenario_node_edit", org_slug=org_slug, scenario_id=scenario.pk, node_id=node.pk
            )
    return _node_page(request, scenario, node, choice_form=form)


@admin_only
def choice_edit(
    request: TenantRequest, org_slug: str, scenario_id: int, node_id: int, choice_id: int
) -> HttpResponse:
    scenario = _scenario(scenario_id)
    node = _node(scenario, node_id)
    choice = get_object_or_404(ScenarioChoice, pk=choice_id, node=node)
    initial = {
        "text": choice.text,
        "next_node": choice.next_node_id,
        "feedback": choice.feedback,
        "is_effective": choice.is_effective,
        **{f"score_{s.competency_id}": s.score for s in choice.scores.all()},
    }
    form = _choice_form(request, node, request.POST or None, initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_choice(request.user, node, choice, form.to_data())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Choice saved."))
            return redirect(
                "scenario_node_edit", org_slug=org_slug, scenario_id=scenario.pk, node_id=node.pk
            )
    context = {"scenario": scenario, "node": node, "choice": choice, "form": form}
    return render(request, "pathways/library/choice_edit.html", context)


@admin_only
@require_POST
def choice_delete(
    request: TenantRequest, org_slug: str, scenario_id: int, node_id: int, choice_id: int
) -> HttpResponse:
    scenario = _scenario(scenario_id)
    node = _node(scenario, node_id)
    choice = get_object_or_404(ScenarioChoice, pk=choice_id, node=node)
    try:
        services.do_delete_choice(request.user, choice)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Choice deleted."))
    return redirect(
        "scenario_node_edit", org_slug=org_slug, scenario_id=scenario.pk, node_id=node.pk
    )
