"""Account security: security events, sign-in and reset throttling, sessions.

Accounts are global (one person, several organisations), so everything here works outside any
tenant context. Throttling counts the security events themselves, in PostgreSQL: a lockout
holds across web processes and does not depend on Redis.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import ngettext

from organizations.models import Organization, SecurityEvent, User, UserSession

Kind = SecurityEvent.Kind


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` events of a kind within ``window``."""

    attempts: int
    window: dt.timedelta


# Failed sign-ins: per account (stops guessing one person's password) and per address (stops
# one machine spraying many accounts). ASVS 2.2.1 asks for no more than 100 failures an hour.
SIGN_IN_PER_ACCOUNT = Limit(10, dt.timedelta(minutes=15))
SIGN_IN_PER_ADDRESS = Limit(50, dt.timedelta(minutes=15))
# Password-reset requests: each sends an e-mail, so fewer.
RESET_PER_ACCOUNT = Limit(3, dt.timedelta(hours=1))
RESET_PER_ADDRESS = Limit(20, dt.timedelta(hours=1))
# A session's last-seen time is written at most this often (one UPDATE per browser a minute).
LAST_SEEN_EVERY = dt.timedelta(minutes=1)
# The session key holding when this browser was last active (epoch seconds), for the idle
# timeout; written at most every LAST_SEEN_EVERY so most requests save no session.
SEEN_KEY = "pathwise_seen"


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address. Behind ``PATHWISE_PROXY_COUNT`` trusted proxies (the bundled nginx
    is one) it is read from ``X-Forwarded-For``, counted from the right: only the entries our own
    proxies appended can be trusted."""
    if request is None:
        return None
    proxies = getattr(settings, "PATHWISE_PROXY_COUNT", 0)
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies] or None
    return request.META.get("REMOTE_ADDR") or None


def _user_agent(request: HttpRequest | None) -> str:
    return (request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300]


def record_event(
    kind: str,
    *,
    request: HttpRequest | None = None,
    user: User | None = None,
    email: str = "",
    organization: Organization | None = None,
    **detail: Any,
) -> SecurityEvent:
    """Append a security event (global table; works inside or outside a tenant context)."""
    return SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        email=(email or (user.email if user is not None else ""))[:254].lower(),
        organization=organization,
        ip_address=client_ip(request),
        user_agent=_user_agent(request),
        detail=detail,
    )


# --- Throttling ------------------------------------------------------------------------------


def _wait(kind: str, limit: Limit, now: dt.datetime, **match: Any) -> dt.timedelta | None:
    """How long until one more event of ``kind`` matching ``match`` is allowed, or None."""
    since = now - limit.window
    recent = list(
        SecurityEvent.objects.filter(kind=kind, created_at__gt=since, **match)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: limit.attempts]
    )
    if len(recent) < limit.attempts:
        return None
    # The oldest of the last ``attempts`` events leaves the window first.
    return recent[-1] + limit.window - now


def _too_many(wait: dt.timedelta) -> ValidationError:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return ValidationError(
        ngettext(
            "Too many attempts. For your security, please wait %(n)s minute and try again.",
            "Too many attempts. For your security, please wait %(n)s minutes and try again.",
            minutes,
        )
        % {"n": minutes},
        code="throttled",
    )


def check_sign_in_allowed(email: str, request: HttpRequest | None) -> None:
    """Raise ``ValidationError`` (code ``throttled``, with the time to wait) while the account or
    the client address has failed too often; records the refusal as a lockout."""
    now = timezone.now()
    email = email.strip().lower()
    ip = client_ip(request)
    waits = [_wait(Kind.SIGN_IN_FAILED, SIGN_IN_PER_ACCOUNT, now, email=email)]
    if ip:
        waits.append(_wait(Kind.SIGN_IN_FAILED, SIGN_IN_PER_ADDRESS, now, ip_address=ip))
    longest = max((w for w in waits if w is not None), default=None)
    if longest is None:
        return
    record_event(
        Kind.LOCKED_OUT,
        request=request,
        user=User.objects.filter(email=email).first(),
        email=email,
    )
    raise _too_many(longest)


def record_sign_in_failure(email: str, request: HttpRequest | None) -> None:
    email = email.strip().lower()
    record_event(
        Kind.SIGN_IN_FAILED,
        request=request,
        user=User.objects.filter(email=email).first(),
        email=email,
    )


def check_password_reset_allowed(email: str, request: HttpRequest | None) -> None:
    """Raise ``ValidationError`` when this address or client asked for too many reset links.
    The same answer whether or not an account uses the address."""
    now = timezone.now()
    email = email.strip().lower()
    ip = client_ip(request)
    waits = [_wait(Kind.PASSWORD_RESET_REQUESTED, RESET_PER_ACCOUNT, now, email=email)]
    if ip:
        waits.append(_wait(Kind.PASSWORD_RESET_REQUESTED, RESET_PER_ADDRESS, now, ip_address=ip))
    longest = max((w for w in waits if w is not None), default=None)
    if longest is not None:
        raise _too_many(longest)


def do_request_password_reset(email: str, request: HttpRequest) -> None:
    """Record the request and queue the e-mail. Whether an account uses ``email`` is looked up
    only by the task, so the page answers in the same time either way."""
    from organizations.accounts.tasks import send_password_reset

    email = email.strip().lower()
    # Outside any transaction (the account pages have none): the event is committed by now,
    # and the e-mail is not a fact that must survive a broker outage (the person asks again).
    record_event(Kind.PASSWORD_RESET_REQUESTED, request=request, email=email)
    send_password_reset.delay(email, request.get_host(), request.is_secure())


# --- Sessions --------------------------------------------------------------------------------


def _session_store() -> type[SessionBase]:
    engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    return engine  # type: ignore[no-any-return]


def do_start_session(request: HttpRequest, user: User) -> None:
    """Called when ``user`` signs in: remember the session so the person can see and end it."""
    key = request.session.session_key
    if not key:
        request.session.save()
        key = request.session.session_key
    if key is None:
        return
    now = timezone.now()
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "ip_address": client_ip(request),
            "user_agent": _user_agent(request),
            "created_at": now,
            "last_seen_at": now,
        },
    )
    request.session[SEEN_KEY] = int(now.timestamp())
    record_event(Kind.SIGNED_IN, request=request, user=user)


def do_end_session(request: HttpRequest, user: User | None) -> None:
    """Called when a person signs out of this browser."""
    key = request.session.session_key
    if key:
        UserSession.objects.filter(session_key=key).delete()
    if user is not None and user.is_authenticated:
        record_event(Kind.SIGNED_OUT, request=request, user=user)


def touch_session(request: HttpRequest) -> None:
    """Note that this signed-in browser is active: at most one session write and one UPDATE a
    minute per browser, none in between."""
    now = timezone.now()
    seen = request.session.get(SEEN_KEY)
    if isinstance(seen, int) and now.timestamp() - seen < LAST_SEEN_EVERY.total_seconds():
        return
    request.session[SEEN_KEY] = int(now.timestamp())
    key = request.session.session_key
    if key:
        UserSession.objects.filter(session_key=key).update(last_seen_at=now)


def idle_for(request: HttpRequest) -> dt.timedelta | None:
    """How long this browser has been idle (by its last noted activity), or None if unknown."""
    seen = request.session.get(SEEN_KEY)
    if not isinstance(seen, int):
        return None
    return dt.timedelta(seconds=max(0, timezone.now().timestamp() - seen))


def do_sign_out_idle(request: HttpRequest, org: Organization) -> None:
    """Sign this browser out because it passed ``org``'s idle timeout."""
    from django.contrib.auth import logout

    user = request.user if request.user.is_authenticated else None
    record_event(
        Kind.SESSION_IDLE,
        request=request,
        user=user,  # type: ignore[arg-type]
        organization=org,
        minutes=org.session_idle_minutes,
    )
    logout(request)


def do_password_changed(
    request: HttpRequest, user: User, *, by_reset: bool, previous_key: str | None = None
) -> None:
    """After a password change or reset: other browsers are signed out by Django's session
    hash check; drop their rows so the sessions page agrees, and record the event.
    ``previous_key`` is this browser's session key before Django rotated it."""
    current = request.session.session_key
    if previous_key and current and previous_key != current:
        UserSession.objects.filter(session_key=previous_key).update(session_key=current)
    sessions = UserSession.objects.filter(user=user)
    if current:
        sessions = sessions.exclude(session_key=current)
    sessions.delete()
    record_event(
        Kind.PASSWORD_RESET if by_reset else Kind.PASSWORD_CHANGED, request=request, user=user
    )


def do_sign_out_everywhere(request: HttpRequest, user: User, *, keep_current: bool) -> int:
    """End every session of ``user`` (except this browser's when ``keep_current``). Returns how
    many were ended. Sessions signed in before this feature existed have no row; rotating the
    session auth hash would end those too, but it also changes the password, so it is not done.
    """
    current = request.session.session_key
    with transaction.atomic():
        sessions = UserSession.objects.select_for_update().filter(user=user)
        if keep_current and current:
            sessions = sessions.exclude(session_key=current)
        keys = list(sessions.values_list("session_key", flat=True))
        store = _session_store()
        for key in keys:
            store(session_key=key).delete()
        UserSession.objects.filter(session_key__in=keys).delete()
        record_event(Kind.SIGNED_OUT_EVERYWHERE, request=request, user=user, sessions=len(keys))
    return len(keys)


def do_end_session_by_id(request: HttpRequest, user: User, session_id: int) -> bool:
    """End one of the person's own sessions. False when it is not theirs or already ended."""
    session = UserSession.objects.filter(pk=session_id, user=user).first()
    if session is None:
        return False
    _session_store()(session_key=session.session_key).delete()
    session.delete()
    record_event(Kind.SIGNED_OUT, request=request, user=user, remote=True)
    return True


def do_update_security_settings(
    actor: User,
    org: Organization,
    *,
    session_idle_minutes: int | None,
    mfa_required: str,
    retention_days: int | None = None,
) -> None:
    """Change the organisation's idle timeout and two-step sign-in rule (audited). Runs in
    ``org``'s tenant context."""
    from organizations.audit import record_change

    with transaction.atomic():
        before = {
            "session_idle_minutes": org.session_idle_minutes,
            "mfa_required": org.mfa_required,
            "retention_days": org.retention_days,
        }
        Organization.objects.filter(pk=org.pk).update(
            session_idle_minutes=session_idle_minutes,
            mfa_required=mfa_required,
            retention_days=retention_days,
        )
        org.session_idle_minutes = session_idle_minutes
        org.mfa_required = mfa_required
        org.retention_days = retention_days
        after = {
            "session_idle_minutes": session_idle_minutes,
            "mfa_required": mfa_required,
            "retention_days": retention_days,
        }
        if before != after:
            record_change(
                actor,
                "updated",
                org,
                before=before,
                after=after,
                object_type="Security settings",
                object_repr=org.name,
            )


def do_change_own_name(user: User, full_name: str) -> None:
    """The person renames their own account (shown in every organisation they belong to)."""
    User.objects.filter(pk=user.pk).update(full_name=full_name.strip())
    user.full_name = full_name.strip()
