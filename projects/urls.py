from __future__ import annotations

from django.urls import path

from projects import views

urlpatterns = [
    path("project-templates/", views.project_template_list, name="project_template_list"),
    path("project-templates/new/", views.project_template_create, name="project_template_create"),
    path(
        "project-templates/<int:template_id>/",
        views.project_template_edit,
        name="project_template_edit",
    ),
    path(
        "project-templates/<int:template_id>/delete/",
        views.project_template_delete,
        name="project_template_delete",
    ),
    path("projects/", views.project_list, name="project_list"),
    path("projects/<int:project_id>/", views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/charter/", views.project_edit, name="project_edit"),
    path("projects/<int:project_id>/submit/", views.project_submit, name="project_submit"),
    path("projects/<int:project_id>/review/", views.project_review, name="project_review"),
    path("projects/<int:project_id>/updates/", views.project_update, name="project_update"),
    path("projects/<int:project_id>/close/", views.project_close, name="project_close"),
    path("projects/<int:project_id>/sign-off/", views.project_signoff, name="project_signoff"),
    path(
        "projects/<int:project_id>/milestones/<int:milestone_id>/done/",
        views.milestone_done,
        name="project_milestone_done",
    ),
    path(
        "projects/<int:project_id>/milestones/<int:milestone_id>/move/",
        views.milestone_move,
        name="project_milestone_move",
    ),
    path(
        "projects/<int:project_id>/milestones/<int:milestone_id>/ratings/",
        views.milestone_ratings,
        name="project_milestone_ratings",
    ),
    path(
        "projects/<int:project_id>/claims/<int:claim_id>/",
        views.claim_decide,
        name="project_claim_decide",
    ),
    path(
        "learn/enrollments/<int:enrollment_id>/steps/<int:step_id>/project/",
        views.project_for_step,
        name="project_for_step",
    ),
    path("cohorts/<int:cohort_id>/projects/", views.cohort_projects, name="cohort_projects"),
]
