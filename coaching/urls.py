from __future__ import annotations

from django.urls import path

from coaching import template_views, views

urlpatterns = [
    path("coaching/", views.coach_home, name="coach_home"),
    path("coaching/sessions/", views.coach_sessions, name="coach_sessions"),
    path("coaching/sessions/new/", views.session_new, name="session_new"),
    path("coaching/sessions/<int:session_id>/", views.session_detail, name="session_detail"),
    path("coaching/sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path("coaching/sessions/<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("coaching/sessions/<int:session_id>/log/", views.session_log, name="session_log"),
    path("coaching/sessions/<int:session_id>/rate/", views.session_rate, name="session_rate"),
    path(
        "coaching/sessions/<int:session_id>/feedback/",
        views.session_feedback,
        name="session_feedback",
    ),
    path("coaching/engagements/", views.engagement_list, name="engagement_list"),
    path("coaching/engagements/new/", views.engagement_new, name="engagement_new"),
    path(
        "coaching/engagements/<int:engagement_id>/",
        views.engagement_detail,
        name="engagement_detail",
    ),
    path("coaching/engagements/<int:engagement_id>/goals/", views.goal_new, name="goal_new"),
    path(
        "coaching/engagements/<int:engagement_id>/experiments/",
        views.experiment_new,
        name="experiment_new",
    ),
    path("coaching/engagements/<int:engagement_id>/notes/", views.note_new, name="note_new"),
    path(
        "coaching/engagements/<int:engagement_id>/observations/",
        views.observation_new,
        name="observation_new",
    ),
    path(
        "coaching/engagements/<int:engagement_id>/rehearsals/",
        views.rehearsal_new,
        name="rehearsal_new",
    ),
    path("coaching/goals/<int:goal_id>/", views.goal_update, name="goal_update"),
    path(
        "coaching/experiments/<int:experiment_id>/close/",
        views.experiment_close,
        name="experiment_close",
    ),
    path(
        "coaching/rehearsals/<int:rehearsal_id>/consent/",
        views.rehearsal_consent,
        name="rehearsal_consent",
    ),
    path("my-coaching/", views.my_coaching, name="my_coaching"),
    path("my-coaching/journal/", views.journal, name="journal"),
    path("my-coaching/journal/<int:entry_id>/share/", views.journal_share, name="journal_share"),
    path("my-coaching/observers/", views.observer_invite, name="observer_invite"),
    path("coaching/observe/<int:learner_id>/", views.observe_peer, name="observe_peer"),
    path("coaching/calendar/", views.my_calendar, name="my_calendar"),
    path("coaching/report/", views.coaching_report, name="coaching_report"),
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
