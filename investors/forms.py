"""Forms of the investor pages: the risk questionnaire and orders."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from origination.limits import POSITIVE_MONEY_RANGE

from .questionnaire import QUESTIONS


class QuestionnaireForm(forms.Form):
    """One radio group per question of the risk questionnaire."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        for question in QUESTIONS:
            self.fields[question.key] = forms.ChoiceField(
                label=question.text,
                choices=[(o.value, o.label) for o in question.options],
                widget=forms.RadioSelect,
            )


class OrderForm(forms.Form):
    """Amount in CNY and the yield asked in percent (2.10 means 2.10 %)."""

    # The smallest order is the book's 100,000 CNY unit; the largest, the money range (docs/limits.md).
    amount = forms.DecimalField(
        label=_("Amount (CNY)"), **{**POSITIVE_MONEY_RANGE.form(), "min_value": Decimal("100000")}
    )
    yield_pct = forms.DecimalField(
        label=_("Yield asked (%)"),
        min_value=Decimal("0.01"),
        max_value=Decimal("50"),
        decimal_places=2,
        max_digits=5,
        help_text=_("e.g. 2.10 for 2.10 %"),
    )

    @property
    def yield_rate(self) -> Decimal:
        return (self.cleaned_data["yield_pct"] / 100).quantize(Decimal("0.0001"))
