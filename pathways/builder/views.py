"""Pathway builder pages (admin): thin views that validate a form, call one service, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from organizations.exports import requested_format, tabular_response
from organizations.html_parts import blocktranslate, url_with_id, value_html
from organizations.http import TenantRequest
from organizations.roles import role_required
from pathways.builder import forms, queries, services
from pathways.models import ElectiveGroup, PathwayVersion, PersonalisationRule, Stage, Step


def _version(version_id: int) -> PathwayVersion:
    return get_object_or_404(PathwayVersion.objects.select_related("pathway"), pk=version_id)


def _step(step_id: int) -> Step:
    return get_object_or_404(
        Step.objects.select_related(
            "version__pathway", "stage", "module", "project_template", "conversation_template"
        ),
        pk=step_id,
    )


def _attempt(request: TenantRequest, action: Callable[[], Any], success: str) -> bool:
    """Run a service; put its outcome in a message. True when it succeeded."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    messages.success(request, success)
    return True


def _to_editor(request: TenantRequest, version_id: int) -> HttpResponse:
    return redirect("version_editor", org_slug=request.org.slug, version_id=version_id)


def _refuse_unless_draft(request: TenantRequest, version: PathwayVersion) -> HttpResponse | None:
    """Forms that change a version send the admin back with the reason when it is not a draft."""
    try:
        services.check_version_editable(version)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _to_editor(request, version.pk)
    return None


@role_required("admin")
def pathway_list(request: TenantRequest, org_slug: str) -> HttpResponse:
    rows = queries.pathway_list()
    fmt = requested_format(request)
    if fmt is not None:
        export = queries.pathway_export_rows(rows)
        return tabular_response(fmt, f"{org_slug}-pathways", queries.PATHWAY_EXPORT_HEADERS, export)
    context = {"rows": rows, "cards": _pathway_cards(rows, org_slug) if rows else ""}
    return render(request, "pathways/builder/pathway_list.html", context)


def _pathway_cards(rows: list[queries.PathwayRow], org_slug: str) -> SafeString:
    """Each pathway's card with its versions' table, as the list's template loop wrote them
    (the words translated once, the editor's link joined to one reversed URL)."""
    editor = url_with_id("version_editor", org_slug)
    head = (
        f'<thead><tr><th scope="col">{conditional_escape(_("Version"))}</th>'
        f'<th scope="col">{conditional_escape(_("Status"))}</th>'
        f'<th scope="col" class="num">{conditional_escape(_("Steps"))}</th>'
        f'<th scope="col" class="num">{conditional_escape(_("Cohorts"))}</th>'
        f'<th scope="col" class="num">{conditional_escape(_("Active learners"))}</th>'
        f'<th scope="col">{conditional_escape(_("Published"))}</th></tr></thead>'
    )
    not_yet = f'<span class="muted">{conditional_escape(_("not yet"))}</span>'
    parts: list[str] = []
    for row in rows:
        name = conditional_escape(row.name)
        current, draft = row.current, row.draft
        title = f'<a href="{editor(current.id)}">{name}</a>' if current else name
        draft_link = (
            f'<a class="btn btn--secondary btn--small" href="{editor(draft.id)}">'
            f"{blocktranslate('Continue draft v%(n)s', n=draft.number)}</a>"
            if draft
            else ""
        )
        purpose = (
            '<p class="muted">'
            f"{conditional_escape(Truncator(row.purpose).words(40, truncate=' …'))}</p>"
            if row.purpose
            else ""
        )
        versions = "".join(
            "\n        <tr>\n"
            f'          <th scope="row"><a href="{editor(v.id)}">v{value_html(v.number)}</a></th>\n'
            f'          <td><span class="badge badge--{conditional_escape(v.status)}">'
            f"{conditional_escape(v.status_label)}</span></td>\n"
            f'          <td class="num">{value_html(v.steps)}</td>\n'
            f'          <td class="num">{value_html(v.cohorts)}</td>\n'
            f'          <td class="num">{value_html(v.active_learners)}</td>\n'
            "          <td>"
            + (
                conditional_escape(formats.date_format(timezone.localtime(v.published_at), "j M Y"))
                if v.published_at
                else not_yet
            )
            + "</td>\n        </tr>\n      "
            for v in row.versions
        )
        parts.append(
            f'\n  <section class="card stack" aria-labelledby="pathway-{row.id}">\n'
            '    <div class="split">\n'
            f'      <h2 class="card__title" id="pathway-{row.id}">{title}</h2>\n'
            f"      {draft_link}\n"
            "    </div>\n"
            f"    {purpose}\n"
            '    <div class="table-wrap">\n'
            '    <table class="table">\n'
            '      <caption class="visually-hidden">'
            f"{blocktranslate('Versions of %(name)s', name=row.name)}</caption>\n"
            f"      {head}\n"
            f"      <tbody>\n      {versions}\n      </tbody>\n"
            "    </table>\n"
            "    </div>\n"
            "  </section>\n"
        )
    return SafeString("".join(parts))


@role_required("admin")
def pathway_create(request: TenantRequest, org_slug: str) -> HttpResponse:
    form = forms.PathwayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.do_create_pathway(request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(
                request, _("Pathway created as draft version 1. Add its stages and steps.")
            )
            return _to_editor(request, version.pk)
    return render(request, "pathways/builder/pathway_form.html", {"form": form, "version": None})


@role_required("admin")
def version_details(request: TenantRequest, org_slug: str, version_id: int) -> HttpResponse:
    version = _version(version_id)
    if refused := _refuse_unless_draft(request, version):
        return refused
    initial = {
        "name": version.pathway.name,
        "purpose": version.pathway.purpose,
        "target_roles": version.target_roles,
        "competencies": list(version.competencies.all()),
    }
    form = forms.PathwayForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_details(request.user, version, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Pathway details saved."))
            return _to_editor(request, version.pk)
    return render(request, "pathways/builder/pathway_form.html", {"form": form, "version": version})


@role_required("admin")
def pathway_copy(request: TenantRequest, org_slug: str, version_id: int) -> HttpResponse:
    version = _version(version_id)
    form = forms.CopyPathwayForm(
        request.POST or None, initial={"name": _("%(name)s (copy)") % {"name": version.pathway}}
    )
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.do_copy_pathway(request.user, version, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            messages.success(request, _("Copy created as draft version 1. Make it your own."))
            return _to_editor(request, copy.pk)
    return render(request, "pathways/builder/pathway_copy.html", {"form": form, "version": version})


@role_required("admin")
def version_editor(request: TenantRequest, org_slug: str, version_id: int) -> HttpResponse:
    try:
        editor = queries.version_editor(version_id)
    except PathwayVersion.DoesNotExist as exc:
        raise Http404 from exc
    return render(
        request,
        "pathways/builder/version_editor.html",
        {"editor": editor, "stage_form": forms.StageForm()},
    )


def _structure(request: TenantRequest, version_id: int, **extra: Any) -> HttpResponse:
    """The stages-and-steps partial, for htmx swaps after a move."""
    editor = queries.version_editor(version_id)
    return render(
        request, "pathways/builder/version_editor.html#structure", {"editor": editor, **extra}
    )


@require_POST
@role_required("admin")
def stage_add(request: TenantRequest, org_slug: str, version_id: int) -> HttpResponse:
    version = _version(version_id)
    form = forms.StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the new stage a title."))
    else:
        title = form.cleaned_data["title"]
        _attempt(
            request,
            lambda: services.do_add_stage(request.user, version, title=title),
            _("Stage “%(title)s” added.") % {"title": title},
        )
    return _to_editor(request, version.pk)


@role_required("admin")
def stage_rename(request: TenantRequest, org_slug: str, stage_id: int) -> HttpResponse:
    stage = get_object_or_404(Stage.objects.select_related("version__pathway"), pk=stage_id)
    form = forms.StageForm(request.POST or None, initial={"title": stage.title})
    if request.method == "POST" and form.is_valid():
        try:
            services.do_rename_stage(request.user, stage, title=form.cleaned_data["title"])
        except ValidationError as exc:
            form.add_error("title", exc)
        else:
            messages.success(request, _("Stage renamed."))
            return _to_editor(request, stage.version_id)
    return render(request, "pathways/builder/stage_form.html", {"form": form, "stage": stage})


@require_POST
@role_required("admin")
def stage_move(request: TenantRequest, org_slug: str, stage_id: int) -> HttpResponse:
    stage = get_object_or_404(Stage.objects.select_related("version__pathway"), pk=stage_id)
    form = forms.MoveForm(request.POST)
    direction = form.cleaned_data["direction"] if form.is_valid() else ""
    _attempt(
        request,
        lambda: services.do_move_stage(request.user, stage, direction=direction),
        _("Stage “%(title)s” moved %(direction)s.")
        % {"title": stage.title, "direction": _("up") if direction == "up" else _("down")},
    )
    return _to_editor(request, stage.version_id)


@require_POST
@role_required("admin")
def stage_delete(request: TenantRequest, org_slug: str, stage_id: int) -> HttpResponse:
    stage = get_object_or_404(Stage.objects.select_related("version__pathway"), pk=stage_id)
    _attempt(
        request,
        lambda: services.do_delete_stage(request.user, stage),
        _("Stage “%(title)s” and its steps deleted.") % {"title": stage.title},
    )
    return _to_editor(request, stage.version_id)


@role_required("admin")
def step_add(request: TenantRequest, org_slug: str, version_id: int) -> HttpResponse:
    version = _version(version_id)
    if refused := _refuse_unless_draft(request, version):
        return refused
    initial = {"stage": request.GET.get("stage"), "kind": Step.Kind.MODULE}
    form = forms.StepForm(request.POST or None, version_id=version.pk, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = services.StepTarget(
            kind=data["kind"],
            module=data["module"],
            project_template=data["project_template"],
            conversation_template=data["conversation_template"],
        )
        try:
            step = services.do_add_step(
                request.user,
                version,
                stage=data["stage"],
                target=target,
                title=data["title"],
                available_offset_days=data["available_offset_days"],
                due_offset_days=data["due_offset_days"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Step “%(title)s” added.") % {"title": step})
            return _to_editor(request, version.pk)
    return render(request, "pathways/builder/step_add.html", {"form": form, "version": version})


@role_required("admin")
def step_edit(request: TenantRequest, org_slug: str, step_id: int) -> HttpResponse:
    step = _step(step_id)
    initial = {
        "title": step.title,
        "available_offset_days": step.available_offset_days,
        "due_offset_days": step.due_offset_days,
    }
    form = forms.StepSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_update_step(request.user, step, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Step settings saved."))
            return redirect("step_edit", org_slug=org_slug, step_id=step.pk)
    return _render_step(request, step, settings_form=form)


def _render_step(request: TenantRequest, step: Step, **forms_: Any) -> HttpResponse:
    editor = queries.version_editor(step.version_id)
    row = next(s for s in editor.steps if s.id == step.pk)
    context: dict[str, Any] = {
        "editor": editor,
        "step": step,
        "row": row,
        "settings_form": forms_.get("settings_form")
        or forms.StepSettingsForm(
            initial={
                "title": step.title,
                "available_offset_days": step.available_offset_days,
                "due_offset_days": step.due_offset_days,
            }
        ),
        "stage_form": forms_.get("stage_form")
        or forms.StepStageForm(version_id=step.version_id, initial={"stage": step.stage_id}),
        "prerequisite_form": forms_.get("prerequisite_form")
        or forms.PrerequisiteForm(
            step=step,
            initial={"requires": list(step.prerequisite_links.values_list("requires", flat=True))},
        ),
        "rule_form": forms_.get("rule_form") or forms.RuleForm(),
    }
    if not editor.editable:
        for field in context["settings_form"].fields.values():
            field.disabled = True
    return render(request, "pathways/builder/step_edit.html", context)


@require_POST
@role_required("admin")
def step_move(request: TenantRequest, org_slug: str, step_id: int) -> HttpResponse:
    step = _step(step_id)
    form = forms.MoveForm(request.POST)
    direction = form.cleaned_data["direction"] if form.is_valid() else ""
    try:
        moved = services.do_move_step(request.user, step, direction=direction)
    except ValidationError as exc:
        status, note = "error", " ".join(exc.messages)
    else:
        status = "success"
        note = _("Moved “%(title)s” %(direction)s (now in “%(stage)s”).") % {
            "title": moved.display_title,
            "direction": _("up") if direction == "up" else _("down"),
            "stage": moved.stage.title if moved.stage else "",
        }
    if request.htmx:
        return _structure(
            request,
            step.version_id,
            moved_id=step.pk,
            moved_direction=direction,
            note=note,
            note_status=status,
        )
    getattr(messages, status)(request, note)
    return _to_editor(request, step.version_id)


@require_POST
@role_required("admin")
def step_stage(request: TenantRequest, org_slug: str, step_id: int) -> HttpResponse:
    step = _step(step_id)
    form = forms.StepStageForm(request.POST, version_id=step.version_id)
    stage = form.cleaned_data["stage"] if form.is_valid() else None
    _attempt(
        request,
        lambda: services.do_move_step_to_stage(request.user, step, stage=stage),
        _("“%(step)s” moved to “%(stage)s”.") % {"step": step, "stage": stage},
    )
    return redirect("step_edit", org_slug=org_slug, step_id=step.pk)


@require_POST
@role_required("admin")
def step_delete(request: TenantRequest, org_slug: str, step_id: int) -> HttpResponse:
    step = _step(step_id)
    version_id = step.version_id
    ok = _attempt(
        request,
        lambda: services.do_delete_step(request.user, step),
        _("Step “%(title)s” deleted.") % {"title": step.display_title},
    )
    if ok:
        return _to_editor(request, version_id)
    return redirect("step_edit", org_slug=org_slug, step_id=step_id)


@require_POST
@role_required("admin")
def step_prerequisites(request: TenantRequest, org_slug: str, step_id: int) -> HttpResponse:
    step = _step(step_id)
    form = forms.PrerequisiteForm(request.POST, step=step)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return _render_step(request, step, prerequisite_form=form)
    _attempt(
        request,
        lambda: services.do_set_prerequisites(
            request.user, step, requires=form.cleaned_data["requires"]
        ),
        _("Prerequisites saved."),
    )
    return redirect("step_edit", org_slug=org_slug, step_id=step.pk)


@require_POST
@role_required("admin")
def rule_add(request: TenantRequest, org_slug: str, step_id: int) -> HttpResponse:
    step = _step(step_id)
    form = forms.RuleForm(request.POST)
    if form.is_valid():
        try:
            services.do_add_rule(request.user, step, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Personalisation rule added."))
            return redirect("step_edit", org_slug=org_slug, step_id=step.pk)
    return _render_step(request, step, rule_form=form)


@require_POST
@role_required("admin")
def rule_delete(request: TenantRequest, org_slug: str, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(
        PersonalisationRule.objects.select_related("step__version__pathway", "step__module"),
        pk=rule_id,
    )
    _attempt(
        request,
        lambda: services.do_delete_rule(request.user, rule),
        _("Personalisation rule removed."),
    )
    return redirect("step_edit", org_slug=org_slug, step_id=rule.step_id)


@role_required("admin")
def group_form(
    request: TenantRequest, org_slug: str, version_id: int, group_id: int | None = None
) -> HttpResponse:
    version = _version(version_id)
    if refused := _refuse_unless_draft(request, version):
        return refused
    group = get_object_or_404(ElectiveGroup, pk=group_id, version=version) if group_id else None
    initial = (
        {
            "title": group.title,
            "choose": group.choose,
            "steps": list(group.steps.values_list("pk", flat=True)),
        }
        if group
        else {"choose": 1}
    )
    form = forms.ElectiveGroupForm(request.POST or None, version_id=version.pk, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_elective_group(request.user, version, group=group, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Elective group saved."))
            return _to_editor(request, version.pk)
    return render(
        request,
        "pathways/builder/group_form.html",
        {"form": form, "version": version, "group": group},
    )


@require_POST
@role_required("admin")
def group_delete(request: TenantRequest, org_slug: str, group_id: int) -> HttpResponse:
    group = get_object_or_404(ElectiveGroup.objects.select_related("version__pathway"), pk=group_id)
    _attempt(
        request,
        lambda: services.do_delete_elective_group(request.user, group),
        _("Elective group “%(title)s” removed; its steps are now core steps.")
        % {"title": group.title},
    )
    return _to_editor(request, group.version_id)


@role_required("admin")
def rule_preview(request: TenantRequest, org_slug: str, version_id: int) -> HttpResponse:
    version = _version(version_id)
    cohorts = queries.preview_cohorts(version.pk)
    form = forms.PreviewForm(request.GET or None, cohorts=cohorts)
    preview = None
    if form.is_bound and form.is_valid():
        preview = queries.rule_preview(version.pk, form.cleaned_data["cohort"])
    fmt = requested_format(request)
    if fmt is not None and preview is not None:
        rows = queries.rule_preview_export_rows(preview)
        name = f"{version.pathway.name} v{version.number} {preview.cohort} rules"
        return tabular_response(fmt, name, queries.RULE_PREVIEW_EXPORT_HEADERS, rows)
    context = {"version": version, "form": form, "preview": preview, "cohorts": cohorts}
    if preview is not None:
        context["preview_query"] = f"cohort={preview.cohort_id}"
    if request.htmx:
        return render(request, "pathways/builder/rule_preview.html#preview", context)
    return render(request, "pathways/builder/rule_preview.html", context)


@role_required("admin")
def version_publish(request: TenantRequest, org_slug: str, version_id: int) -> HttpResponse:
    version = _version(version_id)
    form = forms.PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.do_publish(
                request.user, version, move_enrollments=form.cleaned_data["move_enrollments"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _(
                    "Version %(number)s published. %(moved)s learners moved to it; "
                    "retired versions: %(retired)s."
                )
                % {
                    "number": version.number,
                    "moved": result.moved_enrollments,
                    "retired": ", ".join(f"v{n}" for n in result.retired_versions) or _("none"),
                },
            )
            return _to_editor(request, version.pk)
    context = {
        "version": version,
        "form": form,
        "problems": services.publish_problems(version)
        if version.status == PathwayVersion.Status.DRAFT
        else [],
        "has_learners": services.pathway_has_learners(version),
        "diff": queries.version_diff(version)
        if version.status == PathwayVersion.Status.DRAFT
        else None,
    }
    return render(request, "pathways/builder/publish.html", context)


@require_POST
@role_required("admin")
def version_new_draft(request: TenantRequest, org_slug: str, version_id: int) -> HttpResponse:
    version = _version(version_id)
    draft, created = services.do_start_new_draft(request.user, version)
    if created:
        messages.success(
            request,
            _(
                "Draft version %(number)s started from version %(source)s. Learners see no change "
                "until you publish it."
            )
            % {"number": draft.number, "source": version.number},
        )
    else:
        messages.info(
            request,
            _("This pathway already has a draft (version %(number)s); carry on editing it.")
            % {"number": draft.number},
        )
    return _to_editor(request, draft.pk)


@require_POST
@role_required("admin")
def version_discard(request: TenantRequest, org_slug: str, version_id: int) -> HttpResponse:
    version = _version(version_id)
    try:
        pathway = services.do_discard_draft(request.user, version)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _to_editor(request, version.pk)
    messages.success(
        request,
        _("Draft discarded.")
        if pathway
        else _("Draft discarded; the pathway had no other version."),
    )
    return redirect("pathway_list", org_slug=org_slug)
