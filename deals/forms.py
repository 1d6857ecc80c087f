"""Forms of the deal pages: they parse input; the services in deals/services.py and deals/workflow.py decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from origination.choices import CreditRating
from origination.models import DataAsset

from .choices import ALLOWED_TRANSITIONS, EnhancementKind, GuarantorType, PoolAssetKind, TrancheClass
from .models import Deal

PERCENT_FIELD = {
    "max_digits": 7,
    "decimal_places": 4,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _fraction(percent: Decimal | None) -> Decimal | None:
    """A percentage typed by a user (2.04) as the fraction the models store (0.0204)."""
    return None if percent is None else (percent / 100).quantize(Decimal("0.0001"))


class DealForm(forms.ModelForm):
    """The terms of a new deal application."""

    class Meta:
        model = Deal
        fields = [
            "name",
            "deal_type",
            "target_size",
            "tenor_months",
            "payment_frequency",
            "exchange",
            "manager",
            "trustee",
            "expected_issue_date",
            "legal_maturity_date",
        ]
        widgets = {"expected_issue_date": DateInput(), "legal_maturity_date": DateInput()}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        expected, maturity = data.get("expected_issue_date"), data.get("legal_maturity_date")
        if expected and maturity and maturity <= expected:
            self.add_error("legal_maturity_date", _("The legal maturity must come after the expected issue date."))
        return data


class TransitionForm(forms.Form):
    """One workflow move asked for from a button on the deal page."""

    action = forms.ChoiceField(choices=[(a, t.label) for a, t in ALLOWED_TRANSITIONS.items()])
    reason = forms.CharField(label=_("Reason"), required=False, max_length=4000, widget=forms.Textarea)
    issue_date = forms.DateField(label=_("Issue date"), required=False, widget=DateInput())


class PoolAssetForm(forms.Form):
    """An underlying claim of the pool; rates are typed as percentages."""

    obligor = forms.CharField(label=_("Obligor"), max_length=200)
    obligor_city = forms.CharField(label=_("Obligor city"), max_length=100, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=PoolAssetKind.choices)
    principal = forms.DecimalField(
        label=_("Principal or expected cash flow (CNY)"), max_digits=18, decimal_places=2, min_value=Decimal("0.01")
    )
    rate_pct = forms.DecimalField(label=_("Annual rate (%)"), initial=Decimal("0"), **PERCENT_FIELD)
    maturity_date = forms.DateField(label=_("Maturity"), widget=DateInput())
    default_probability_pct = forms.DecimalField(
        label=_("Annual default probability (%)"), initial=Decimal("0"), **PERCENT_FIELD
    )
    recovery_rate_pct = forms.DecimalField(label=_("Recovery rate (%)"), initial=Decimal("0"), **PERCENT_FIELD)
    data_assets = forms.ModelMultipleChoiceField(
        label=_("Data assets (revenue source or pledge)"),
        queryset=DataAsset.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )

    def __init__(self, *args: Any, data_assets: QuerySet[DataAsset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["data_assets"].queryset = data_assets

    def service_fields(self) -> dict[str, Any]:
        """The cleaned input in the shape `pool_asset_create` takes."""
        data = self.cleaned_data
        return {
            "obligor": data["obligor"],
            "obligor_city": data["obligor_city"],
            "kind": data["kind"],
            "principal": data["principal"],
            "rate": _fraction(data["rate_pct"]),
            "maturity_date": data["maturity_date"],
            "default_probability": _fraction(data["default_probability_pct"]),
            "recovery_rate": _fraction(data["recovery_rate_pct"]),
            "data_assets": list(data["data_assets"]),
        }


class TrancheForm(forms.Form):
    """A class of notes; the coupon is typed as a percentage."""

    name = forms.CharField(label=_("Name"), max_length=50)
    tranche_class = forms.ChoiceField(label=_("Class"), choices=TrancheClass.choices)
    size = forms.DecimalField(label=_("Size (CNY)"), max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    coupon_pct = forms.DecimalField(label=_("Coupon (%)"), required=False, **PERCENT_FIELD)
    target_rating = forms.ChoiceField(label=_("Target rating"), choices=CreditRating.choices, initial="NR")
    payment_priority = forms.IntegerField(label=_("Payment priority (1 is paid first)"), min_value=1, max_value=99)

    def service_fields(self) -> dict[str, Any]:
        """The cleaned input in the shape `tranche_create` takes."""
        data = dict(self.cleaned_data)
        data["coupon"] = _fraction(data.pop("coupon_pct"))
        return data


class CreditEnhancementForm(forms.Form):
    """A guarantee, reserve account, overcollateralisation or subordination."""

    kind = forms.ChoiceField(label=_("Kind"), choices=EnhancementKind.choices)
    guarantor_type = forms.ChoiceField(
        label=_("Guarantor type"), choices=[("", "—"), *GuarantorType.choices], required=False
    )
    provider = forms.CharField(label=_("Provider"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), max_digits=18, decimal_places=2, min_value=Decimal("0"), initial=Decimal("0")
    )
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == EnhancementKind.EXTERNAL_GUARANTEE and not data.get("guarantor_type"):
            self.add_error("guarantor_type", _("An external guarantee needs its guarantor type."))
        return data


class PledgeForm(forms.Form):
    """A data asset pledged to the deal, with its filing in the PBoC movable-property registry."""

    data_asset = forms.ModelChoiceField(label=_("Data asset"), queryset=DataAsset.objects.none())
    registry_filing_no = forms.CharField(label=_("Registry filing number"), max_length=100, required=False)
    filed_on = forms.DateField(label=_("Filing date"), required=False, widget=DateInput())

    def __init__(self, *args: Any, data_assets: QuerySet[DataAsset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["data_asset"].queryset = data_assets
