"""The API's tenant-safe base: querysets always come from the scoped manager."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from rest_framework import viewsets
from rest_framework.permissions import BasePermission

from organizations.tenancy import TenantModel


class IsMember(BasePermission):
    """The tenant middleware already 404s non-members; this also requires a role if asked."""

    def has_permission(self, request: Any, view: Any) -> bool:
        membership = getattr(request._request, "membership", None)
        if membership is None:
            return False
        roles = getattr(view, "required_roles", ())
        return not roles or any(membership.has_role(r) for r in roles)


class TenantViewSet(viewsets.GenericViewSet):
    """Subclasses name ``model`` and may narrow with ``scope_queryset``; they may not override
    ``get_queryset``, so no endpoint can forget the tenant filter."""

    model: ClassVar[type[TenantModel]]
    required_roles: ClassVar[tuple[str, ...]] = ()
    permission_classes = [IsMember]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__} must not override get_queryset; use scope_queryset.")

    def scope_queryset(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        return queryset

    def get_queryset(self) -> models.QuerySet[Any]:
        return self.scope_queryset(self.model.objects.all())
