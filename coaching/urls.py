from __future__ import annotations

from django.urls import path

from coaching import template_views, views

urlpatterns = [
    path("coaching/", views.coach_home, name="coach_home"),
    path(
        "conversation-templates/",
        template_views.conversation_template_list,
        name="conversation_template_list",
    ),
    path(
        "conversation-templates/new/",
        template_views.conversation_template_create,
        name="conversation_template_create",
    ),
    path(
        "conversation-templates/<int:template_id>/",
        template_views.conversation_template_edit,
        name="conversation_template_edit",
    ),
    path(
        "conversation-templates/<int:template_id>/delete/",
        template_views.conversation_template_delete,
        name="conversation_template_delete",
    ),
]
