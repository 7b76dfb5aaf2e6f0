"""A person's data page (export with progress, download), and the HR admin's erasure of a
person with its receipt."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from organizations.gdpr import services
from organizations.http import AuthenticatedRequest, TenantRequest
from organizations.models import DataExport, ErasureReceipt, Membership
from organizations.roles import role_required

RECENT_EXPORTS = 5
RECEIPTS_PER_PAGE = 50


@login_required
def my_data(request: AuthenticatedRequest) -> HttpResponse:
    exports = list(DataExport.objects.filter(user=request.user).defer("content")[:RECENT_EXPORTS])
    return render(request, "organizations/gdpr/my_data.html", {"exports": exports})


@require_POST
@login_required
def request_export(request: AuthenticatedRequest) -> HttpResponse:
    services.do_request_export(request.user)
    messages.info(request, _("We are gathering your data. You can leave this page; it stays here."))
    return redirect("my_data")


@login_required
def export_progress(request: AuthenticatedRequest, export_id: int) -> HttpResponse:
    export = get_object_or_404(DataExport.objects.defer("content"), pk=export_id, user=request.user)
    response = render(
        request, "organizations/gdpr/my_data.html#export", {"export": export, "polling": True}
    )
    if export.status not in {DataExport.Status.QUEUED, DataExport.Status.RUNNING}:
        response["HX-Refresh"] = "true"
    return response


@login_required
def export_download(request: AuthenticatedRequest, export_id: int) -> HttpResponse:
    export = get_object_or_404(
        DataExport, pk=export_id, user=request.user, status=DataExport.Status.DONE
    )
    if export.content is None:
        raise Http404(_("This export has no file."))
    response = HttpResponse(bytes(export.content), content_type="application/zip")
    response["Content-Disposition"] = (
        f'attachment; filename="pathwise-data-{export.created_at:%Y%m%d}.zip"'
    )
    return response


class EraseForm(forms.Form):
    confirmation = forms.CharField(
        label=gettext_lazy("Type the person's e-mail address to confirm"), max_length=254
    )


@role_required("admin")
def erase_person(request: TenantRequest, org_slug: str, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id)
    if membership.user.email.endswith("@erased.invalid"):
        raise Http404(_("This person has already been erased."))
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            receipt = services.do_erase_person(
                request.user, membership, form.cleaned_data["confirmation"]
            )
        except ValidationError as exc:
            form.add_error("confirmation", exc)
        else:
            return render(request, "organizations/gdpr/receipt.html", {"receipt": receipt})
    return render(request, "organizations/gdpr/erase.html", {"form": form, "person": membership})


@role_required("admin")
def erasure_receipts(request: TenantRequest, org_slug: str) -> HttpResponse:
    receipts = list(
        ErasureReceipt.objects.select_related("erased_by").order_by("-erased_at")[
            :RECEIPTS_PER_PAGE
        ]
    )
    return render(request, "organizations/gdpr/receipts.html", {"receipts": receipts})
