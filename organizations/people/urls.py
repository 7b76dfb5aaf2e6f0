from __future__ import annotations

from django.urls import path

from organizations.people import views

urlpatterns = [
    path("people/", views.people_list, name="people_list"),
    path("people/invite/", views.person_invite, name="person_invite"),
    path("people/invite-all/", views.people_invite_all, name="people_invite_all"),
    path("people/import/", views.import_upload, name="import_upload"),
    path("people/import/<int:job_id>/", views.import_detail, name="import_detail"),
    path("people/import/<int:job_id>/confirm/", views.import_confirm, name="import_confirm"),
    path("people/<int:membership_id>/", views.person_detail, name="person_detail"),
    path("people/<int:membership_id>/invite/", views.person_resend, name="person_resend"),
    path(
        "people/<int:membership_id>/deactivate/", views.person_deactivate, name="person_deactivate"
    ),
    path(
        "people/<int:membership_id>/reactivate/", views.person_reactivate, name="person_reactivate"
    ),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:team_id>/", views.team_edit, name="team_edit"),
    path("teams/<int:team_id>/delete/", views.team_delete, name="team_delete"),
    path("audit/", views.audit_log, name="audit_log"),
]
