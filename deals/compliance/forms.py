"""Forms of the review pages: they parse input; `services.py` decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from deals.forms import DateInput
from origination.models import DataAsset, DataRight

from .choices import DECISIONS, ItemOutcome, Severity
from .evidence import ACCEPT_ATTRIBUTE, ACCEPTED_TYPES, MAX_EVIDENCE_BYTES
from .models import Evidence


class AnswerForm(forms.Form):
    """The originator's answer to an item (a new version each time)."""

    text = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000)


class EvidenceForm(forms.Form):
    """A document for an item, the data asset it covers, and optionally the current document it replaces."""

    file = forms.FileField(
        label=_("Document"),
        help_text=_("%(types)s; up to %(mb)d MB. The type is checked from the content, not the name.")
        % {"types": ACCEPTED_TYPES, "mb": MAX_EVIDENCE_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        required=False,  # a missing file gets the service's message, like any other refusal
    )
    data_asset = forms.ModelChoiceField(
        queryset=DataAsset.objects.none(),
        required=False,
        label=_("Covers"),
        empty_label=_("Every data asset of the deal"),
    )
    replaces = forms.ModelChoiceField(
        queryset=Evidence.objects.none(), required=False, label=_("Replaces"), empty_label=_("Nothing (a new document)")
    )

    def __init__(self, *args: Any, data_assets: QuerySet[DataAsset] | list[DataAsset], current: QuerySet[Evidence],
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        assets = (
            data_assets
            if isinstance(data_assets, QuerySet)
            else DataAsset.objects.filter(pk__in=[a.pk for a in data_assets])
        )
        self.fields["data_asset"].queryset = assets
        self.fields["replaces"].queryset = current


class AssessmentForm(forms.Form):
    """The officer's finding on an item."""

    outcome = forms.ChoiceField(
        label=pgettext_lazy("the officer's outcome on an item", "Finding"),
        choices=ItemOutcome.choices,
        widget=forms.RadioSelect,
    )
    severity = forms.ChoiceField(
        label=_("Severity (for a finding)"), choices=[("", _("The item's default")), *Severity.choices], required=False
    )
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10_000
    )


class DecisionForm(forms.Form):
    """Start review, request changes, approve or reject, with the reason the move needs."""

    decision = forms.ChoiceField(choices=[(d, d) for d in DECISIONS])
    reason = forms.CharField(required=False, max_length=10_000)


class RightRenewalForm(forms.ModelForm):
    """A renewed registration of a data right, recorded from the review (where an expiring right is flagged)."""

    data_asset = forms.ModelChoiceField(queryset=DataAsset.objects.none(), label=_("Data asset"))

    class Meta:
        model = DataRight
        fields = ["data_asset", "right_type", "holder", "certificate_no", "registry", "registry_type", "issued_on",
                  "expires_on"]  # fmt: skip
        widgets = {"issued_on": DateInput(), "expires_on": DateInput()}

    def __init__(self, *args: Any, data_assets: list[DataAsset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["data_asset"].queryset = DataAsset.objects.filter(pk__in=[a.pk for a in data_assets])

    def service_fields(self) -> dict[str, Any]:
        """The right's fields for `data_right_create`, without the asset."""
        return {name: value for name, value in self.cleaned_data.items() if name != "data_asset"}
