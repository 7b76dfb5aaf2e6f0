"""Database sessions read together with the signed-in account (``SESSION_ENGINE``).

Django's database session store answers "who is this browser?" in two statements: the session
row, then the user. Every signed-in page pays both before its view runs. This store reads the
session row and the account it signed in (through ``UserSession``, which the sign-in hook writes
for every browser) in one statement, and ``signed_in_user`` verifies that account exactly as
``django.contrib.auth.get_user`` does.

Nothing about revocation changes: the session row is still the session. Signing out, "sign out
everywhere", ending one session and erasure delete the row, so the next request finds nothing;
a password change still fails the session hash check. A session with no ``UserSession`` row
(signed in before sessions were listed) is read the way Django reads it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from organizations.models import User, UserSession
from organizations.request_reads import model_columns, model_fields, model_instance

# The one backend whose ``get_user`` is a primary-key read with an is_active check, which the
# joined account replaces. Sessions of any other backend are read the way Django reads them.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@cache
def _session_with_account_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    # Identifiers from the models' own metadata, quoted; the values are parameters.
    return (
        f"SELECT {model_columns(User, 'u')}, s.{quote('session_data')} "  # noqa: S608
        f"FROM {quote(Session._meta.db_table)} s "
        f"LEFT JOIN {quote(UserSession._meta.db_table)} us "
        f"ON us.{quote('session_key')} = s.{quote('session_key')} "
        f"LEFT JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = us.{quote('user_id')} "
        f"WHERE s.{quote('session_key')} = %s AND s.{quote('expire_date')} > %s"
    )


class SessionStore(DatabaseSessionStore):
    """Django's database sessions; ``account`` is the user the session row is listed for
    (None when it has no ``UserSession`` row), read in the same statement as the session."""

    account: User | None = None

    def load(self) -> dict[str, Any]:
        self.account = None
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_session_with_account_sql(connection.vendor), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        width = len(model_fields(User))
        if row[_user_pk_index()] is not None:
            self.account = model_instance(User, row[:width])
        return self.decode(row[width])  # type: ignore[no-any-return]


@cache
def _user_pk_index() -> int:
    return [f.attname for f in model_fields(User)].index(User._meta.pk.attname)  # type: ignore[union-attr]


def signed_in_user(request: HttpRequest) -> Any:
    """The signed-in user of ``request`` or ``AnonymousUser``: ``django.contrib.auth.get_user``
    with the account the session store read alongside the session (no second statement)."""
    session = request.session
    try:
        user_id = auth._get_user_session_key(request)  # type: ignore[attr-defined]
        backend_path = session[auth.BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    account = getattr(session, "account", None)  # known once the session is loaded (above)
    if (
        account is None
        or backend_path != MODEL_BACKEND
        or backend_path not in settings.AUTHENTICATION_BACKENDS
        or account.pk != user_id
    ):
        return auth.get_user(request)
    backend = auth.load_backend(backend_path)
    if not backend.user_can_authenticate(account):  # type: ignore[attr-defined]
        return AnonymousUser()
    # The session hash check of django.contrib.auth.get_user: a password change (or a rotated
    # secret key without a fallback) ends every other session of the account.
    session_hash = session.get(auth.HASH_SESSION_KEY)
    session_auth_hash = account.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, session_auth_hash):
        return account
    if session_hash and any(
        constant_time_compare(session_hash, fallback)
        for fallback in account.get_session_auth_fallback_hash()
    ):
        session.cycle_key()
        session[auth.HASH_SESSION_KEY] = session_auth_hash
        return account
    session.flush()
    return AnonymousUser()
