from __future__ import annotations

from django.urls import path

from pathways.builder import views

urlpatterns = [
    path("pathways/", views.pathway_list, name="pathway_list"),
    path("pathways/new/", views.pathway_create, name="pathway_create"),
    path("pathways/versions/<int:version_id>/", views.version_editor, name="version_editor"),
    path(
        "pathways/versions/<int:version_id>/details/",
        views.version_details,
        name="version_details",
    ),
    path("pathways/versions/<int:version_id>/copy/", views.pathway_copy, name="pathway_copy"),
    path(
        "pathways/versions/<int:version_id>/publish/",
        views.version_publish,
        name="version_publish",
    ),
    path(
        "pathways/versions/<int:version_id>/new-draft/",
        views.version_new_draft,
        name="version_new_draft",
    ),
    path(
        "pathways/versions/<int:version_id>/discard/",
        views.version_discard,
        name="version_discard",
    ),
    path(
        "pathways/versions/<int:version_id>/preview/",
        views.rule_preview,
        name="rule_preview",
    ),
    path("pathways/versions/<int:version_id>/stages/add/", views.stage_add, name="stage_add"),
    path("pathways/stages/<int:stage_id>/rename/", views.stage_rename, name="stage_rename"),
    path("pathways/stages/<int:stage_id>/move/", views.stage_move, name="stage_move"),
    path("pathways/stages/<int:stage_id>/delete/", views.stage_delete, name="stage_delete"),
    path("pathways/versions/<int:version_id>/steps/add/", views.step_add, name="step_add"),
    path("pathways/steps/<int:step_id>/", views.step_edit, name="step_edit"),
    path("pathways/steps/<int:step_id>/move/", views.step_move, name="step_move"),
    path("pathways/steps/<int:step_id>/stage/", views.step_stage, name="step_stage"),
    path("pathways/steps/<int:step_id>/delete/", views.step_delete, name="step_delete"),
    path(
        "pathways/steps/<int:step_id>/prerequisites/",
        views.step_prerequisites,
        name="step_prerequisites",
    ),
    path("pathways/steps/<int:step_id>/rules/add/", views.rule_add, name="rule_add"),
    path("pathways/rules/<int:rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("pathways/versions/<int:version_id>/groups/add/", views.group_form, name="group_add"),
    path(
        "pathways/versions/<int:version_id>/groups/<int:group_id>/",
        views.group_form,
        name="group_edit",
    ),
    path("pathways/groups/<int:group_id>/delete/", views.group_delete, name="group_delete"),
]
