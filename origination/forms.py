"""Forms of the originator pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class RevenueUploadForm(forms.Form):
    """One revenue file (CSV or Excel); its rows are checked by the revenue import, not here."""

    file = forms.FileField(
        label=_("Revenue file (CSV or Excel)"),
        help_text=_("One row per month, counterparty and revenue type. Up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
