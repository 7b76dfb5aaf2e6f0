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
]
