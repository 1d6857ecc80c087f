"""Forms of the originator pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DataAsset


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
