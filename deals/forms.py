"""Forms of the deal pages: they parse input; the services in deals/services.py and deals/workflow.py decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from origination.choices import CreditRating
from origination.limits import MONEY_RANGE, PAYMENT_PRIORITY_RANGE, POSITIVE_MONEY_RANGE, RATE_RANGE
from origination.models import DataAsset

from .choices import (
    ALLOWED_TRANSITIONS,
    SUPPORT_KINDS,
    CashSource,
    CollateralKind,
    EnhancementKind,
    GuarantorType,
    PoolAssetKind,
    RepaymentSource,
    SupportCoverage,
    TrancheClass,
)
from .models import DEAL_STRUCTURE_FIELDS, DEAL_TERMS_FIELDS, CreditEnhancement, Deal, Pledge, PoolAsset, Tranche

# A rate typed as a percentage: RATE_RANGE times 100 (2.04 % is stored as the fraction 0.0204).
PERCENT_FIELD = {
    "max_digits": 7,
    "decimal_places": 4,
    "validators": [MinValueValidator(RATE_RANGE.low * 100), MaxValueValidator(RATE_RANGE.high * 100)],
}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _fraction(percent: Decimal | None) -> Decimal | None:
    """A percentage typed by a user (2.04) as the fraction the models store (0.0204)."""
    return None if percent is None else (percent / 100).quantize(Decimal("0.0001"))


def _percent(fraction: Decimal | None) -> Decimal | None:
    """A stored fraction (0.0204) as the percentage a user types (2.04), for a form's initial value."""
    if fraction is None:
        return None
    value = fraction * 100
    # normalize() alone would show 100 as 1E+2.
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


class DealForm(forms.ModelForm):
    """The terms and structure of a deal application (a new one, or a draft being edited)."""

    class Meta:
        model = Deal
        fields = (*DEAL_TERMS_FIELDS, *DEAL_STRUCTURE_FIELDS)
        widgets = {"expected_issue_date": DateInput(), "legal_maturity_date": DateInput(), "pricing_date": DateInput()}

    def terms_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in DEAL_TERMS_FIELDS]

    def structure_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in DEAL_STRUCTURE_FIELDS]

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
    principal = forms.DecimalField(label=_("Principal or expected cash flow (CNY)"), **POSITIVE_MONEY_RANGE.form())
    rate_pct = forms.DecimalField(label=_("Annual rate (%)"), initial=Decimal("0"), **PERCENT_FIELD)
    maturity_date = forms.DateField(label=_("Maturity"), widget=DateInput())
    default_probability_pct = forms.DecimalField(
        label=_("Annual default probability (%)"), initial=Decimal("0"), **PERCENT_FIELD
    )
    recovery_rate_pct = forms.DecimalField(label=_("Recovery rate (%)"), initial=Decimal("0"), **PERCENT_FIELD)
    default_probability_without_data_pct = forms.DecimalField(
        label=_("Annual default probability without the data (%)"),
        required=False,
        help_text=_("Empowerment deals: the obligor's default probability as priced without the data."),
        **PERCENT_FIELD,
    )
    cash_source = forms.ChoiceField(
        label=_("Where its cash comes from"),
        choices=[("", _("Derive it from the kind and the deal type")), *CashSource.choices],
        required=False,
    )
    repayment_source = forms.ChoiceField(
        label=_("Repayment source"),
        choices=[("", "—"), *RepaymentSource.choices],
        required=False,
        help_text=_("A claim secured by data names what the obligor repays out of."),
    )
    collateral_kind = forms.ChoiceField(
        label=_("Other collateral"), choices=CollateralKind.choices, initial=CollateralKind.NONE, required=False
    )
    collateral_value = forms.DecimalField(
        label=_("Value of the other collateral (CNY)"), initial=Decimal("0"), required=False, **MONEY_RANGE.form()
    )
    data_assets = forms.ModelMultipleChoiceField(
        label=_("Data assets (revenue source or pledge)"),
        queryset=DataAsset.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )

    def __init__(self, *args: Any, data_assets: QuerySet[DataAsset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["data_assets"].queryset = data_assets

    @staticmethod
    def initial_from(pool_asset: PoolAsset) -> dict[str, Any]:
        """The form's values for an existing claim (rates as percentages)."""
        return {
            "obligor": pool_asset.obligor,
            "obligor_city": pool_asset.obligor_city,
            "kind": pool_asset.kind,
            "principal": pool_asset.principal,
            "rate_pct": _percent(pool_asset.rate),
            "maturity_date": pool_asset.maturity_date,
            "default_probability_pct": _percent(pool_asset.default_probability),
            "recovery_rate_pct": _percent(pool_asset.recovery_rate),
            "default_probability_without_data_pct": _percent(pool_asset.default_probability_without_data),
            "cash_source": pool_asset.cash_source,
            "repayment_source": pool_asset.repayment_source,
            "collateral_kind": pool_asset.collateral_kind,
            "collateral_value": pool_asset.collateral_value,
            "data_assets": [asset.pk for asset in pool_asset.data_assets.all()],
        }

    def service_fields(self) -> dict[str, Any]:
        """The cleaned input in the shape `pool_asset_create` and `pool_asset_update` take."""
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
            "default_probability_without_data": _fraction(data["default_probability_without_data_pct"]),
            "cash_source": data["cash_source"],
            "repayment_source": data["repayment_source"],
            "collateral_kind": data["collateral_kind"] or CollateralKind.NONE,
            "collateral_value": data["collateral_value"] or Decimal("0"),
            "data_assets": list(data["data_assets"]),
        }


class TrancheForm(forms.Form):
    """A class of notes; the coupon is typed as a percentage."""

    name = forms.CharField(label=_("Name"), max_length=50)
    tranche_class = forms.ChoiceField(label=_("Class"), choices=TrancheClass.choices)
    size = forms.DecimalField(label=_("Size (CNY)"), **POSITIVE_MONEY_RANGE.form())
    coupon_pct = forms.DecimalField(label=_("Coupon (%)"), required=False, **PERCENT_FIELD)
    target_rating = forms.ChoiceField(label=_("Target rating"), choices=CreditRating.choices, initial="NR")
    payment_priority = forms.IntegerField(
        label=_("Payment priority (1 is paid first)"), **PAYMENT_PRIORITY_RANGE.form()
    )

    @staticmethod
    def initial_from(tranche: Tranche) -> dict[str, Any]:
        """The form's values for an existing tranche (the coupon as a percentage)."""
        return {
            "name": tranche.name,
            "tranche_class": tranche.tranche_class,
            "size": tranche.size,
            "coupon_pct": _percent(tranche.coupon),
            "target_rating": tranche.target_rating,
            "payment_priority": tranche.payment_priority,
        }

    def service_fields(self) -> dict[str, Any]:
        """The cleaned input in the shape `tranche_create` and `tranche_update` take."""
        data = dict(self.cleaned_data)
        data["coupon"] = _fraction(data.pop("coupon_pct"))
        return data


class CreditEnhancementForm(forms.Form):
    """A guarantee, shortfall undertaking, reserve account, overcollateralisation or subordination."""

    kind = forms.ChoiceField(label=_("Kind"), choices=EnhancementKind.choices)
    guarantor_type = forms.ChoiceField(
        label=_("Guarantor type"), choices=[("", "—"), *GuarantorType.choices], required=False
    )
    provider = forms.CharField(label=_("Provider"), max_length=200, required=False)
    amount = forms.DecimalField(label=_("Amount (CNY)"), initial=Decimal("0"), **MONEY_RANGE.form())
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    covered_classes = forms.MultipleChoiceField(
        label=_("Classes covered"),
        choices=TrancheClass.choices,
        required=False,
        initial=[TrancheClass.SENIOR],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Guarantees and shortfall undertakings: the classes whose payments they support."),
    )
    coverage = forms.ChoiceField(label=_("Coverage"), choices=SupportCoverage.choices, initial=SupportCoverage.TIMELY)
    provider_rating = forms.ChoiceField(
        label=_("Provider's own rating"), choices=CreditRating.choices, initial=CreditRating.NR
    )

    @staticmethod
    def initial_from(enhancement: CreditEnhancement) -> dict[str, Any]:
        """The form's values for an existing enhancement."""
        return {
            "kind": enhancement.kind,
            "guarantor_type": enhancement.guarantor_type,
            "provider": enhancement.provider,
            "amount": enhancement.amount,
            "description": enhancement.description,
            "covered_classes": list(enhancement.covered_classes or []),
            "coverage": enhancement.coverage,
            "provider_rating": enhancement.provider_rating,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") in SUPPORT_KINDS:
            if not data.get("guarantor_type"):
                self.add_error("guarantor_type", _("A guarantee or shortfall undertaking needs its provider type."))
            if "covered_classes" in data and not data["covered_classes"]:
                self.add_error("covered_classes", _("Tick at least one class the support covers."))
        return data

    def service_fields(self) -> dict[str, Any]:
        """The cleaned input in the shape `credit_enhancement_create` and `credit_enhancement_update` take."""
        data = dict(self.cleaned_data)
        data["covered_classes"] = list(data["covered_classes"])
        return data


class PledgeForm(forms.Form):
    """A data asset pledged to the deal, with its filing in the PBoC movable-property registry."""

    data_asset = forms.ModelChoiceField(label=_("Data asset"), queryset=DataAsset.objects.none())
    registry_filing_no = forms.CharField(label=_("Registry filing number"), max_length=100, required=False)
    filed_on = forms.DateField(label=_("Filing date"), required=False, widget=DateInput())

    def __init__(self, *args: Any, data_assets: QuerySet[DataAsset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["data_asset"].queryset = data_assets


class PledgeFilingForm(forms.Form):
    """The filing of an active pledge in the PBoC unified movable-property registry (the asset stays as it is)."""

    registry_filing_no = forms.CharField(label=_("Registry filing number"), max_length=100, required=False)
    filed_on = forms.DateField(label=_("Filing date"), required=False, widget=DateInput())

    @staticmethod
    def initial_from(pledge: Pledge) -> dict[str, Any]:
        """The form's values for an existing pledge."""
        return {"registry_filing_no": pledge.registry_filing_no, "filed_on": pledge.filed_on}

    def service_fields(self) -> dict[str, Any]:
        """The cleaned input in the shape `pledge_update` takes."""
        return dict(self.cleaned_data)
