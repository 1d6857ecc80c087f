"""Choices of the originator side: roles, ownership, data classification, revenue types."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """What a user does on the platform: originator, compliance officer, investor or arranger."""

    ORIGINATOR = "originator", _("Originator")
    COMPLIANCE = "compliance", _("Compliance officer")
    INVESTOR = "investor", _("Investor")
    ARRANGER = "arranger", _("Arranger / admin")


class OwnershipType(models.TextChoices):
    """Who owns the originator; SOE types count as state-owned initiators."""

    CENTRAL_SOE = "central_soe", _("Central SOE")
    LOCAL_SOE = "local_soe", _("Local SOE")
    PRIVATE = "private", _("Private")
    LISTED = "listed", _("Listed")
    FOREIGN = "foreign", _("Foreign-invested")


SOE_OWNERSHIP = frozenset({OwnershipType.CENTRAL_SOE, OwnershipType.LOCAL_SOE})


class CreditRating(models.TextChoices):
    """Chinese domestic rating scale, best first."""

    AAA = "AAA", "AAA"
    AA_PLUS = "AA+", "AA+"
    AA = "AA", "AA"
    AA_MINUS = "AA-", "AA-"
    A_PLUS = "A+", "A+"
    A = "A", "A"
    A_MINUS = "A-", "A-"
    BBB_PLUS = "BBB+", "BBB+"
    BBB = "BBB", "BBB"
    BBB_MINUS = "BBB-", "BBB-"
    BB = "BB", "BB"
    B = "B", "B"
    CCC = "CCC", "CCC"
    NR = "NR", _("Not rated")


RATING_ORDER = [choice.value for choice in CreditRating if choice != CreditRating.NR]


class DataCategory(models.TextChoices):
    """Sector the data comes from."""

    TRANSPORT = "transport", _("Transport")
    ENERGY = "energy", _("Energy")
    HEALTHCARE = "healthcare", _("Healthcare")
    FINANCE = "finance", _("Finance")
    AGRICULTURE = "agriculture", _("Agriculture")
    GOVERNMENT_OPEN = "government_open", _("Government open data")
    CONSUMER = "consumer", _("Consumer")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    GEOSPATIAL = "geospatial", _("Geospatial")
    TELECOM = "telecom", _("Telecommunications")


class ClassificationGrade(models.TextChoices):
    """Data classification and grading under GB/T 43697-2024."""

    GENERAL = "general", _("General data")
    IMPORTANT = "important", _("Important data")
    CORE = "core", _("Core data")


class UpdateFrequency(models.TextChoices):
    """How often the data set is refreshed."""

    REALTIME = "realtime", _("Real time")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class AccountingStatus(models.TextChoices):
    """Accounting under the 2024 interim rules for enterprise data resources."""

    NOT_RECOGNISED = "not_recognised", _("Not recognised")
    INTANGIBLE_ASSET = "intangible_asset", _("Intangible asset")
    INVENTORY = "inventory", _("Inventory")


class RightType(models.TextChoices):
    """The three separated data rights of the 'Data 20 Articles'."""

    RESOURCE_HOLDING = "resource_holding", _("Data resource holding right")
    PROCESSING_USE = "processing_use", _("Data processing and use right")
    PRODUCT_OPERATION = "product_operation", _("Data product operation right")


class RegistryType(models.TextChoices):
    """Where a data right is registered."""

    DATA_EXCHANGE = "data_exchange", _("Data exchange")
    PUBLIC_RESOURCE_CENTRE = "public_resource_centre", _("Public resource trading centre")


class RevenueType(models.TextChoices):
    """How a data asset earns its cash."""

    LICENCE = "licence", _("Licence")
    API_USAGE = "api_usage", _("API usage")
    SUBSCRIPTION = "subscription", _("Subscription")
    DATA_PRODUCT_SALE = "data_product_sale", _("Data product sale")
    SERVICE = "service", _("Service")
