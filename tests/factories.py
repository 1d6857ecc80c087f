"""factory_boy factories and helpers that build deals the way users do."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from deals.choices import CashSource, DealType, Exchange, PoolAssetKind, RepaymentSource, TrancheClass
from deals.models import CreditEnhancement, Deal, Pledge, PoolAsset, Tranche
from investors.models import Investor, RiskProfile
from origination.choices import ClassificationGrade, DataCategory, OwnershipType, RightType, Role, UpdateFrequency
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


# The rights `submittable_deal` registers for its data asset carry certificate numbers starting with this.
STANDING_RIGHT_PREFIX = "SZDE-STANDING-"


class DataRightFactory(DjangoModelFactory):
    """A registered data right. On an asset of `submittable_deal`, it takes the place of the standing right of its
    type (a test that registers a right of a type says what that right is)."""

    class Meta:
        model = DataRight

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        model_class.objects.filter(
            data_asset=kwargs["data_asset"],
            right_type=kwargs["right_type"],
            certificate_no__startswith=STANDING_RIGHT_PREFIX,
        ).delete()
        return super()._create(model_class, *args, **kwargs)

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


def register_rights(asset: DataAsset, *, expires_on: dt.date = dt.date(2034, 12, 31)) -> None:
    """The three separated rights to the asset, registered by its originator (standing rights a test may replace)."""
    DataRight.objects.bulk_create(
        DataRight(
            data_asset=asset,
            right_type=right_type,
            holder=asset.originator.name,
            certificate_no=f"{STANDING_RIGHT_PREFIX}{asset.pk}-{right_type}",
            registry="Shenzhen Data Exchange",
            registry_type="data_exchange",
            issued_on=dt.date(2024, 1, 1),
            expires_on=expires_on,
        )
        for right_type in RightType.values
    )


def _pool_asset_of(deal: Deal, user: User, *, size: Decimal) -> PoolAsset:
    """The one claim of the pool, as a deal of its type has it."""
    common = {"deal": deal, "principal": size, "maturity_date": dt.date(2029, 12, 31)}
    if deal.deal_type == DealType.DATA_PLEDGE:
        # A loan to a data company, secured by a pledge of its data and repaid from its operating revenue.
        return PoolAsset.objects.create(
            obligor="Hangzhou Data Borrower Co.", kind=PoolAssetKind.LOAN, rate=Decimal("0.0500"),
            default_probability=Decimal("0.0150"), recovery_rate=Decimal("0.4000"),
            cash_source=CashSource.DATA_SECURED, repayment_source=RepaymentSource.OPERATING_REVENUE, **common,
        )  # fmt: skip
    if deal.deal_type == DealType.EMPOWERMENT:
        # An equipment lease whose lessee the data re-prices (1.5 % without the data, 0.9 % with it).
        return PoolAsset.objects.create(
            obligor="Wuhan Central Hospital", kind=PoolAssetKind.LEASE, rate=Decimal("0.0520"),
            default_probability=Decimal("0.0090"), default_probability_without_data=Decimal("0.0150"),
            recovery_rate=Decimal("0.5500"), cash_source=CashSource.DATA_EMPOWERED, **common,
        )  # fmt: skip
    return PoolAsset.objects.create(
        obligor=user.originator.name, kind=PoolAssetKind.LICENCE_REVENUE, cash_source=CashSource.DATA_GENERATED,
        **common,
    )  # fmt: skip


def submittable_deal(
    user: User,
    *,
    months: int = 12,
    size: Decimal = Decimal("100000000.00"),
    deal_type: str = DealType.LICENCE_REVENUE,
) -> Deal:
    """A draft deal of the user's company that passes every submit check and raises no automatic finding.

    One data asset with its three rights and `months` of revenue backs a pool equal to the deal size (a licence
    stream, a data-secured loan with a filed pledge, or a lease re-priced by the data, by `deal_type`); senior and
    subordinated tranches add up to the size, the subordinated paid last and counted as subordination.
    """
    from deals.services import deal_create

    deal = deal_create(
        actor=user,
        name=f"Deal of {user.originator.name}",
        deal_type=deal_type,
        target_size=size,
        tenor_months=36,
        exchange=Exchange.SSE,
        manager="CITIC Securities",
    )
    asset = DataAssetFactory(originator=user.originator)
    register_rights(asset)
    add_monthly_revenue(asset, months)
    pool_asset = _pool_asset_of(deal, user, size=size)
    pool_asset.data_assets.add(asset)
    if deal_type == DealType.DATA_PLEDGE:
        Pledge.objects.create(
            deal=deal, data_asset=asset, registry_filing_no=f"0{asset.pk:019d}", filed_on=dt.date(2026, 10, 15)
        )
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
