"""Investor choices: institution types and risk tolerance levels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InvestorType(models.TextChoices):
    """Kinds of institutional investor."""

    INSURER = "insurer", _("Insurer")
    BANK_WEALTH_MANAGEMENT = "bank_wm", _("Bank wealth management")
    MUTUAL_FUND = "mutual_fund", _("Mutual fund")
    SECURITIES_FIRM = "securities_firm", _("Securities firm")
    PENSION = "pension", _("Pension / annuity")
    TRUST = "trust", _("Trust")
    PRIVATE_FUND = "private_fund", _("Private fund")


class RiskTolerance(models.TextChoices):
    """Investor risk tolerance C1 (most conservative) to C5, per China's investor suitability rules."""

    C1 = "C1", _("C1 conservative")
    C2 = "C2", _("C2 cautious")
    C3 = "C3", _("C3 balanced")
    C4 = "C4", _("C4 growth")
    C5 = "C5", _("C5 aggressive")
