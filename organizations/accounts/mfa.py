"""Two-step sign-in with allauth's authenticators (TOTP and recovery codes).

allauth keeps the authenticators (``allauth.mfa.models.Authenticator``), checks codes (with a
replay marker per code) and generates recovery codes; the sign-in flow around it is ours, so the
e-mail login, throttling, invitations and the organisation picker stay as they are.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, validate_totp_code
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from organizations.accounts import services
from organizations.models import Membership, Organization, SecurityEvent, User
from organizations.tenancy import user_context


def _fernets() -> list[Fernet]:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"pathwise.mfa:{k}".encode()).digest()))
        for k in keys
    ]


class EncryptingMFAAdapter(DefaultMFAAdapter):
    """TOTP secrets and recovery seeds are stored encrypted with a key derived from
    ``SECRET_KEY`` (old keys in ``SECRET_KEY_FALLBACKS`` still decrypt)."""

    def encrypt(self, text: str) -> str:
        return _fernets()[0].encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        for fernet in _fernets():
            try:
                return fernet.decrypt(encrypted_text.encode()).decode()
            except InvalidToken:
                continue
        raise ValueError("An MFA secret cannot be decrypted with the configured keys.")


# --- Sign-in with a second step ---------------------------------------------------------------

Kind = SecurityEvent.Kind
# The signed-in session passed the second step (or enrolled in it just now).
VERIFIED_KEY = "pathwise_mfa_verified"
# Between the password and the code: who is signing in, how, and since when.
PENDING_KEY = "pathwise_mfa_pending"
PENDING_FOR = dt.timedelta(minutes=5)
# The secret shown while a person sets up their authenticator app (not yet saved).
SETUP_KEY = "pathwise_mfa_setup_secret"


def has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def requires_mfa(org: Organization, membership: Membership) -> bool:
    """Whether ``org`` requires a two-step sign-in of this member."""
    required = org.mfa_required
    return required == Organization.MfaRequirement.EVERYONE or (
        required == Organization.MfaRequirement.ADMINS and membership.is_admin
    )


def organizations_requiring_mfa(user: User) -> list[str]:
    """Names of the organisations that require a two-step sign-in of ``user`` (1 query)."""
    with user_context(user.pk):
        memberships = (
            Membership.objects.unscoped()
            .filter(user_id=user.pk, is_active=True)
            .select_related("organization")
        )
        return [m.organization.name for m in memberships if requires_mfa(m.organization, m)]


def session_is_verified(request: HttpRequest) -> bool:
    return bool(request.session.get(VERIFIED_KEY))


def start_second_step(request: HttpRequest, user: User, backend: str) -> None:
    """The password was right and the account has TOTP: remember who is signing in (not yet
    signed in) until the code arrives."""
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": backend,
        "since": timezone.now().timestamp(),
    }


def pending_user(request: HttpRequest) -> tuple[User, str] | None:
    pending: dict[str, Any] | None = request.session.get(PENDING_KEY)
    if not pending:
        return None
    if timezone.now().timestamp() - pending["since"] > PENDING_FOR.total_seconds():
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.filter(pk=pending["user_id"], is_active=True).first()
    return (user, pending["backend"]) if user is not None else None


def check_code(user: User, code: str) -> str:
    """Return ``"totp"`` or ``"recovery"`` for a right code (a recovery code is used up), or
    raise ``ValidationError``. A TOTP code is accepted once (allauth keeps a replay marker)."""
    code = "".join(code.split())
    for authenticator in Authenticator.objects.filter(user_id=user.pk).order_by("type"):
        wrapped = authenticator.wrap()
        if authenticator.type == Authenticator.Type.TOTP and wrapped.validate_code(code):
            authenticator.record_usage()
            return "totp"
        if authenticator.type == Authenticator.Type.RECOVERY_CODES and wrapped.validate_code(code):
            authenticator.record_usage()
            return "recovery"
    raise ValidationError(
        _("That code is not right. Use the current code from your app, or a recovery code."),
        code="wrong_code",
    )


def do_finish_second_step(request: HttpRequest, code: str) -> User:
    """Check the code of the person between password and code; on success sign them in.
    Wrong codes count as failed sign-ins (the same lockout applies)."""
    found = pending_user(request)
    if found is None:
        raise ValidationError(_("Your sign-in took too long. Please sign in again."), code="gone")
    user, backend = found
    services.check_sign_in_allowed(user.email, request)
    try:
        kind = check_code(user, code)
    except ValidationError:
        services.record_event(Kind.MFA_FAILED, request=request, user=user)
        services.record_sign_in_failure(user.email, request)
        raise
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend=backend)
    request.session[VERIFIED_KEY] = True
    if kind == "recovery":
        services.record_event(Kind.RECOVERY_CODE_USED, request=request, user=user)
    return user


def setup_secret(request: HttpRequest) -> str:
    secret = request.session.get(SETUP_KEY)
    if not secret:
        secret = request.session[SETUP_KEY] = generate_totp_secret()
    return str(secret)


def do_enable_totp(request: HttpRequest, user: User, code: str) -> list[str]:
    """Save the authenticator app the person just set up (after a right code from it) and make
    recovery codes. Returns the recovery codes, to show once."""
    secret = setup_secret(request)
    if not validate_totp_code(secret, "".join(code.split())):
        raise ValidationError(
            _("That code does not match. Check the time on your phone and try the next code."),
            code="wrong_code",
        )
    with transaction.atomic():
        Authenticator.objects.filter(
            user_id=user.pk,
            type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES],
        ).delete()
        TOTP.activate(user, secret)
        codes = RecoveryCodes.activate(user).generate_codes()
        services.record_event(Kind.MFA_ENABLED, request=request, user=user)
    request.session.pop(SETUP_KEY, None)
    request.session[VERIFIED_KEY] = True
    return codes


def do_verify_session(request: HttpRequest, user: User, code: str) -> None:
    """A person already enrolled confirms a code in a session signed in before MFA applied."""
    services.check_sign_in_allowed(user.email, request)
    try:
        check_code(user, code)
    except ValidationError:
        services.record_event(Kind.MFA_FAILED, request=request, user=user)
        services.record_sign_in_failure(user.email, request)
        raise
    request.session[VERIFIED_KEY] = True


def do_renew_recovery_codes(request: HttpRequest, user: User) -> list[str]:
    with transaction.atomic():
        Authenticator.objects.filter(
            user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES
        ).delete()
        codes = RecoveryCodes.activate(user).generate_codes()
        services.record_event(Kind.RECOVERY_CODES_RENEWED, request=request, user=user)
    return codes


def check_can_disable(user: User) -> None:
    required_by = organizations_requiring_mfa(user)
    if required_by:
        raise ValidationError(
            _("%(orgs)s require(s) two-step sign-in for you, so it stays on.")
            % {"orgs": ", ".join(required_by)}
        )


def do_disable_mfa(request: HttpRequest, user: User, code: str) -> None:
    check_can_disable(user)
    check_code(user, code)
    Authenticator.objects.filter(user_id=user.pk).delete()
    request.session.pop(VERIFIED_KEY, None)
    services.record_event(Kind.MFA_DISABLED, request=request, user=user)
