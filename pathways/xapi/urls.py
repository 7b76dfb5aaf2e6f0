from __future__ import annotations

from django.urls import path

from pathways.xapi import views

urlpatterns = [
    path("learn/record.xapi.json", views.my_learning_record, name="my_learning_record"),
    path(
        "cohorts/<int:cohort_id>/statements.xapi.json",
        views.cohort_statements,
        name="cohort_statements",
    ),
]
