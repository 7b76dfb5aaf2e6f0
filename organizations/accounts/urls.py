"""Account URLs (no organisation): the security page and password views that record events."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from organizations.accounts import views
from organizations.gdpr import views as gdpr_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/code/", views.mfa_sign_in, name="mfa_sign_in"),
    path("sso/", views.sso_start, name="sso_start"),
    path("privacy/", gdpr_views.my_data, name="my_data"),
    path("privacy/export/", gdpr_views.request_export, name="request_export"),
    path("privacy/exports/<int:export_id>/", gdpr_views.export_progress, name="export_progress"),
    path(
        "privacy/exports/<int:export_id>/download/",
        gdpr_views.export_download,
        name="export_download",
    ),
    path("security/two-step/", views.mfa_settings, name="mfa_settings"),
    path("security/two-step/recovery-codes/", views.mfa_renew_codes, name="mfa_renew_codes"),
    path("security/two-step/off/", views.mfa_disable, name="mfa_disable"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password_change/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("security/", views.my_security, name="my_security"),
    path("security/name/", views.change_own_name, name="change_own_name"),
    path("security/sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("security/sessions/<int:session_id>/end/", views.end_session, name="end_session"),
]

# allauth: the OpenID Connect provider (one app per organisation). The pages allauth redirects to
# by name (errors, cancel, a sign-up it cannot finish, connections) are ours.
urlpatterns += [
    path("oidc/", include("allauth.socialaccount.providers.openid_connect.urls")),
    path(
        "sso/error/",
        views.sso_problem,
        {"reason": "error"},
        name="socialaccount_login_error",
    ),
    path(
        "sso/cancelled/",
        views.sso_problem,
        {"reason": "cancelled"},
        name="socialaccount_login_cancelled",
    ),
    path("sso/signup/", views.sso_problem, {"reason": "signup"}, name="socialaccount_signup"),
    path("security/", views.my_security, name="socialaccount_connections"),
]
