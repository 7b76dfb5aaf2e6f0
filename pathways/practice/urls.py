from __future__ import annotations

from django.urls import path

from pathways.practice import views

urlpatterns = [
    path("practice/", views.review_session, name="review_session"),
    path("practice/cards/<int:card_id>/answer/", views.review_answer, name="review_answer"),
    path("practice/settings/", views.practice_settings, name="practice_settings"),
]
