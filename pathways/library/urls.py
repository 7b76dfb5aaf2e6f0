from __future__ import annotations

from django.urls import path

from pathways.library import views

M = "library/modules/<int:module_id>/"
S = "library/scenarios/<int:scenario_id>/"
N = S + "nodes/<int:node_id>/"

urlpatterns = [
    path("library/", views.module_library, name="module_library"),
    path("library/modules/new/", views.module_new, name="library_module_new"),
    path(M, views.module_edit, name="library_module_edit"),
    path(M + "preview/", views.module_preview, name="library_module_preview"),
    path(M + "status/", views.module_status, name="library_module_status"),
    path("library/body-preview/", views.body_preview, name="library_body_preview"),
    path(M + "practice/", views.practice_save, name="library_practice"),
    path(M + "practice/delete/", views.practice_delete, name="library_practice_delete"),
    path(M + "items/new/", views.item_new, name="library_item_new"),
    path(M + "items/<int:item_id>/", views.item_edit, name="library_item_edit"),
    path(M + "items/<int:item_id>/delete/", views.item_delete, name="library_item_delete"),
    path("library/scenarios/", views.scenario_list, name="library_scenario_list"),
    path("library/scenarios/new/", views.scenario_new, name="scenario_new"),
    path(S, views.scenario_edit, name="scenario_edit"),
    path(S + "status/", views.scenario_status, name="scenario_status"),
    path(S + "preview/", views.scenario_preview, name="scenario_preview"),
    path(S + "nodes/new/", views.node_new, name="scenario_node_new"),
    path(N, views.node_edit, name="scenario_node_edit"),
    path(N + "delete/", views.node_delete, name="scenario_node_delete"),
    path(N + "choices/new/", views.choice_new, name="scenario_choice_new"),
    path(N + "choices/<int:choice_id>/", views.choice_edit, name="scenario_choice_edit"),
    path(N + "choices/<int:choice_id>/delete/", views.choice_delete, name="scenario_choice_delete"),
]
