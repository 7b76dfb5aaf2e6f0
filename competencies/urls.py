from __future__ import annotations

from django.urls import path

from competencies import views

urlpatterns = [
    path("competencies/", views.framework_list, name="framework_list"),
    path("competencies/new/", views.framework_create, name="framework_create"),
    path("competencies/import/", views.framework_import, name="framework_import"),
    path("competencies/alignment/", views.alignment_map, name="alignment_map"),
    path("competencies/<int:framework_id>/", views.framework_detail, name="framework_detail"),
    path("competencies/<int:framework_id>/edit/", views.framework_edit, name="framework_edit"),
    path(
        "competencies/<int:framework_id>/delete/", views.framework_delete, name="framework_delete"
    ),
    path("competencies/<int:framework_id>/scale/", views.scale_edit, name="scale_edit"),
    path(
        "competencies/<int:framework_id>/scale/levels/add/",
        views.scale_level_add,
        name="scale_level_add",
    ),
    path(
        "competencies/<int:framework_id>/scale/levels/remove/",
        views.scale_level_remove,
        name="scale_level_remove",
    ),
    path(
        "competencies/<int:framework_id>/export/", views.framework_export, name="framework_export"
    ),
    path(
        "competencies/<int:framework_id>/competencies/new/",
        views.competency_create,
        name="competency_create",
    ),
    path(
        "competencies/competency/<int:competency_id>/",
        views.competency_card,
        name="competency_card",
    ),
    path(
        "competencies/competency/<int:competency_id>/edit/",
        views.competency_edit,
        name="competency_edit",
    ),
    path(
        "competencies/competency/<int:competency_id>/delete/",
        views.competency_delete,
        name="competency_delete",
    ),
    path(
        "competencies/competency/<int:competency_id>/move/",
        views.competency_move,
        name="competency_move",
    ),
    path(
        "competencies/competency/<int:competency_id>/indicators/add/",
        views.indicator_add,
        name="indicator_add",
    ),
    path(
        "competencies/indicators/<int:indicator_id>/edit/",
        views.indicator_edit,
        name="indicator_edit",
    ),
    path(
        "competencies/indicators/<int:indicator_id>/delete/",
        views.indicator_delete,
        name="indicator_delete",
    ),
    path(
        "competencies/indicators/<int:indicator_id>/move/",
        views.indicator_move,
        name="indicator_move",
    ),
    path("priorities/", views.priority_list, name="priority_list"),
    path("priorities/new/", views.priority_create, name="priority_create"),
    path("priorities/<int:priority_id>/", views.priority_detail, name="priority_detail"),
    path("priorities/<int:priority_id>/delete/", views.priority_delete, name="priority_delete"),
    path("priorities/<int:priority_id>/links/", views.alignment_set, name="alignment_set"),
    path("priorities/links/<int:link_id>/delete/", views.alignment_remove, name="alignment_remove"),
]
