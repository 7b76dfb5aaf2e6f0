from __future__ import annotations

from django.urls import path

from pathways.learning import views

urlpatterns = [
    path("learn/history/", views.history, name="learning_history"),
    path("learn/modules/<int:module_id>/", views.module_detail, name="learning_module"),
    path("learn/modules/<int:module_id>/answer/", views.save_answer, name="learning_answer"),
    path("learn/modules/<int:module_id>/reaction/", views.save_reaction, name="learning_reaction"),
    path("learn/modules/<int:module_id>/done/", views.module_done, name="learning_module_done"),
    path("learn/modules/<int:module_id>/undo/", views.module_undo, name="learning_module_undo"),
    path(
        "learn/enrollments/<int:enrollment_id>/steps/<int:step_id>/undo/",
        views.step_undo,
        name="learning_step_undo",
    ),
    path(
        "learn/enrollments/<int:enrollment_id>/diagnostic/",
        views.diagnostic,
        name="learning_diagnostic",
    ),
    path(
        "learn/enrollments/<int:enrollment_id>/electives/",
        views.electives,
        name="learning_electives",
    ),
    path(
        "learn/enrollments/<int:enrollment_id>/steps/<int:step_id>/",
        views.step_detail,
        name="learning_step",
    ),
    path(
        "learn/enrollments/<int:enrollment_id>/steps/<int:step_id>/done/",
        views.step_done,
        name="learning_step_done",
    ),
]
