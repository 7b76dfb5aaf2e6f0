from __future__ import annotations

from django.urls import path

from measurement.feedback import views

urlpatterns = [
    path("360/", views.my_feedback, name="my_feedback"),
    path("360/cycles/", views.cycle_list, name="feedback_cycles"),
    path("360/cycles/new/", views.launch_cycle, name="feedback_launch"),
    path("360/cycles/<int:cycle_id>/", views.cycle_detail, name="feedback_cycle"),
    path("360/cycles/<int:cycle_id>/action/", views.cycle_action, name="feedback_cycle_action"),
    path("360/p/<int:participant_id>/", views.participant_detail, name="feedback_participant"),
    path(
        "360/p/<int:participant_id>/action/",
        views.participant_action,
        name="feedback_participant_action",
    ),
    path(
        "360/p/<int:participant_id>/raters/",
        views.participant_add_rater,
        name="feedback_participant_add_rater",
    ),
    path("360/p/<int:participant_id>/self/", views.self_rating, name="feedback_self"),
    path("360/reports/<int:report_id>/", views.report_detail, name="feedback_report"),
    path("360/reports/<int:report_id>/pdf/", views.report_pdf, name="feedback_report_pdf"),
    path("360/reports/<int:report_id>/share/", views.report_share, name="feedback_report_share"),
]
