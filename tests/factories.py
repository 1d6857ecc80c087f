"""factory_boy factories and helpers that build deals the way users do."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from deals.choices import DealType, Exchange, PoolAssetKind, TrancheClass
from deals.models import CreditEnhancement, Deal, PoolAsset, Tranche
from investors.models import Investor, RiskProfile
from origination.choices import ClassificationGrade, DataCategory, OwnershipType, Role, UpdateFrequency
from origination.models import DataAsset, DataRight, Originator, RevenueRecord, User
from origination.validators import USCC_ALPHABET, uscc_check_character

PASSWORD = "pass-for-tests-1"


def make_uscc(seed: int) -> str:
    """A valid unified social credit code (check character computed by GB 32100-2015)."""
    rng = random.Random(seed)
    body = "91" + "110000" + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_character(body)


class OriginatorFactory(DjangoModelFactory):
    class Meta:
        model = Originator

    name = factory.Sequence(lambda n: f"Originator {n} Co., Ltd.")
    uscc = factory.Sequence(lambda n: make_uscc(n))
    ownership_type = OwnershipType.LOCAL_SOE
    industry = "Transport"
    region = "Beijing"
    credit_rating = "AA+"


class InvestorFactory(DjangoModelFactory):
    class Meta:
        model = Investor

    name = factory.Sequence(lambda n: f"Investor {n}")
    investor_type = "insurer"


class RiskProfileFactory(DjangoModelFactory):
    class Meta:
        model = RiskProfile

    investor = factory.SubFactory(InvestorFactory)
    risk_tolerance = "C3"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.ARRANGER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def originator_user(originator: Originator | None = None, **kwargs) -> User:
    """A staff member of an originator company."""
    return UserFactory(role=Role.ORIGINATOR, originator=originator or OriginatorFactory(), **kwargs)


def investor_user(investor: Investor | None = None, **kwargs) -> User:
    """A staff member of an investor institution."""
    return UserFactory(role=Role.INVESTOR, investor=investor or InvestorFactory(), **kwargs)


class DataAssetFactory(DjangoModelFactory):
    class Meta:
        model = DataAsset

    originator = factory.SubFactory(OriginatorFactory)
    name = factory.Sequence(lambda n: f"Data asset {n}")
    category = DataCategory.TRANSPORT
    volume = "1 TB"
    update_frequency = UpdateFrequency.DAILY
    source = "Own operations"
    classification_grade = ClassificationGrade.GENERAL
    book_value = Decimal("1000000.00")
    quality_accuracy = Decimal("90")
    quality_consistency = Decimal("88")
    quality_completeness = Decimal("92")
    quality_conformity = Decimal("95")
    quality_timeliness = Decimal("85")
    quality_accessibility = Decimal("80")


class DataRightFactory(DjangoModelFactory):
    class Meta:
        model = DataRight

    data_asset = factory.SubFactory(DataAssetFactory)
    right_type = "resource_holding"
    holder = factory.LazyAttribute(lambda o: o.data_asset.originator.name)
    certificate_no = factory.Sequence(lambda n: f"SZDE-2025-{n:06d}")
    registry = "Shenzhen Data Exchange"
    registry_type = "data_exchange"
    issued_on = dt.date(2024, 1, 1)
    expires_on = dt.date(2034, 1, 1)


def add_monthly_revenue(asset: DataAsset, months: int, *, start: dt.date = dt.date(2023, 1, 1)) -> None:
    """`months` consecutive months of one licence payment each, 100,000 CNY a month."""
    records = []
    for i in range(months):
        year, month = divmod(start.month - 1 + i, 12)
        records.append(
            RevenueRecord(
                data_asset=asset,
                period=dt.date(start.year + year, month + 1, 1),
                amount=Decimal("100000.00"),
                revenue_type="licence",
                counterparty="Client A",
            )
        )
    RevenueRecord.objects.bulk_create(records)


class DealFactory(DjangoModelFactory):
    """A bare deal row; use `submittable_deal` for one that passes the submit checks."""

    class Meta:
        model = Deal

    originator = factory.SubFactory(OriginatorFactory)
    name = factory.Sequence(lambda n: f"Deal {n}")
    deal_type = DealType.LICENCE_REVENUE
    target_size = Decimal("100000000.00")
    tenor_months = 36
    exchange = Exchange.SSE
    manager = "CITIC Securities"
    created_by = factory.LazyAttribute(lambda o: originator_user(o.originator))


def submittable_deal(user: User, *, months: int = 12, size: Decimal = Decimal("100000000.00")) -> Deal:
    """A draft deal of the user's company with one data asset, `months` of revenue and tranches adding up."""
    from deals.services import deal_create

    deal = deal_create(
        actor=user,
        name=f"Deal of {user.originator.name}",
        deal_type=DealType.LICENCE_REVENUE,
        target_size=size,
        tenor_months=36,
        exchange=Exchange.SSE,
        manager="CITIC Securities",
    )
    asset = DataAssetFactory(originator=user.originator)
    add_monthly_revenue(asset, months)
    pool_asset = PoolAsset.objects.create(
        deal=deal,
        obligor=user.originator.name,
        kind=PoolAssetKind.LICENCE_REVENUE,
        principal=size,
        maturity_date=dt.date(2029, 12, 31),
    )
    pool_asset.data_assets.add(asset)
    Tranche.objects.create(
        deal=deal, name="A", tranche_class=TrancheClass.SENIOR, size=size * Decimal("0.9"),
        coupon=Decimal("0.0210"), target_rating="AAA", payment_priority=1,
    )  # fmt: skip
    Tranche.objects.create(
        deal=deal, name="Sub", tranche_class=TrancheClass.SUBORDINATED, size=size * Decimal("0.1"),
        payment_priority=2,
    )  # fmt: skip
    CreditEnhancement.objects.create(deal=deal, kind="subordination", amount=size * Decimal("0.1"))
    return deal
