"""Forms of the originator pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import DataAsset
from .sign_in import authenticate_throttled


class RevenueUploadForm(forms.Form):
    """One revenue file (CSV or Excel); its rows are checked by the revenue import, not here."""

    file = forms.FileField(
        label=_("Revenue file (CSV or Excel)"),
        help_text=_("One row per month, counterparty and revenue type. Up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


class DataAssetForm(forms.ModelForm):
    """The attributes, privacy facts and quality scores of a data asset (the service decides what a change does)."""

    class Meta:
        model = DataAsset
        fields = [
            "name",
            "category",
            "description",
            "volume",
            "update_frequency",
            "source",
            "classification_grade",
            "has_personal_info",
            "has_sensitive_personal_info",
            "deidentification_method",
            "cross_border_flow",
            "accounting_status",
            "book_value",
            *DataAsset.QUALITY_FIELDS,
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class RightRevocationForm(forms.Form):
    """Why a registration is revoked."""

    reason = forms.CharField(label=_("Reason for revocation"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ThrottledAuthenticationForm(AuthenticationForm):
    """The sign-in form, checked through django-axes one attempt at a time (origination.sign_in)."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            self.user_cache = authenticate_throttled(request=self.request, username=username, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class ThrottledAdminAuthenticationForm(ThrottledAuthenticationForm, AdminAuthenticationForm):
    """The admin's sign-in form under the same throttle (staff only, as the admin's own form)."""
