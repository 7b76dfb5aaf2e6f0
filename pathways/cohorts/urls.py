from __future__ import annotations

from django.urls import path

from pathways.cohorts import views

urlpatterns = [
    path("cohorts/", views.cohort_list, name="cohort_list"),
    path("cohorts/new/", views.cohort_create, name="cohort_create"),
    path("cohorts/<int:cohort_id>/", views.cohort_detail, name="cohort_detail"),
    path("cohorts/<int:cohort_id>/edit/", views.cohort_edit, name="cohort_edit"),
    path(
        "cohorts/<int:cohort_id>/remind-overdue/",
        views.cohort_remind_overdue,
        name="cohort_remind_overdue",
    ),
    path(
        "cohorts/<int:cohort_id>/learners/add/",
        views.cohort_add_learner,
        name="cohort_add_learner",
    ),
    path(
        "cohorts/<int:cohort_id>/learners/add-matching/",
        views.cohort_add_matching,
        name="cohort_add_matching",
    ),
    path(
        "cohorts/<int:cohort_id>/learners/<int:enrollment_id>/withdraw/",
        views.enrollment_withdraw,
        name="enrollment_withdraw",
    ),
    path(
        "cohorts/<int:cohort_id>/staff/<str:kind>/add/",
        views.cohort_staff_add,
        name="cohort_staff_add",
    ),
    path(
        "cohorts/<int:cohort_id>/staff/<str:kind>/people/",
        views.cohort_staff_people,
        name="cohort_staff_people",
    ),
    path(
        "cohorts/<int:cohort_id>/staff/<str:kind>/<int:membership_id>/remove/",
        views.cohort_staff_remove,
        name="cohort_staff_remove",
    ),
]
