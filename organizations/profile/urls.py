from __future__ import annotations

from django.urls import path

from organizations.profile import views

urlpatterns = [path("profile/", views.profile, name="profile")]
