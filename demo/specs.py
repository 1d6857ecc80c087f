"""The shapes of the demo data: plain dataclasses, the registries and the sector profiles revenue is drawn from.

The demo data itself lives in `market.py` (the 2025 market), `pipeline.py`
(deals still in origination) and `investors.py`; `seed.py` loads it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from deals.choices import TrancheClass
from origination.validators import uscc_check_character

M = 1_000_000  # CNY

# Last month of revenue history for deals not yet issued: the demo is a snapshot of late 2026.
PIPELINE_REVENUE_END = dt.date(2026, 10, 1)

# code -> (registry name, registry type)
REGISTRIES: dict[str, tuple[str, str]] = {
    "SHDE": ("Shanghai Data Exchange (上海数据交易所)", "data_exchange"),
    "SZDE": ("Shenzhen Data Exchange (深圳数据交易所)", "data_exchange"),
    "BJIDE": ("Beijing International Big Data Exchange (北京国际大数据交易所)", "data_exchange"),
    "GBDEX": ("Guiyang Global Big Data Exchange (贵阳大数据交易所)", "data_exchange"),
    "ZJPRC": ("Zhejiang Public Resource Trading Centre (浙江省公共资源交易中心)", "public_resource_centre"),
    "CDPRC": ("Chengdu Public Resource Trading Service Centre (成都市公共资源交易服务中心)", "public_resource_centre"),
}


@dataclass(frozen=True)
class OriginatorSpec:
    """A demo originator company and the staff member who files its deals."""

    key: str
    name: str
    division: str  # six-digit administrative division code
    org_code: str  # nine characters of the organisation code
    ownership_type: str
    industry: str
    region: str
    credit_rating: str
    registry: str  # where its data rights are registered (key of REGISTRIES)
    listing_registry: str  # where its data products are listed for trading (product operation right)
    username: str
    first_name: str
    last_name: str

    @property
    def uscc(self) -> str:
        """A valid unified social credit code: '91' (enterprise) + division + organisation code + check."""
        body = "91" + self.division + self.org_code
        return body + uscc_check_character(body)


@dataclass(frozen=True)
class CategoryProfile:
    """How data of one sector is collected, protected, sold and how its revenue moves through the year."""

    frequency: str
    personal_info: bool
    sensitive: bool
    deidentification: str
    source: str
    season_amplitude: float
    peak_month: int
    quality_base: float
    counterparties: tuple[tuple[str, str, str], ...]  # (licensee, city, revenue type)


@dataclass(frozen=True)
class AssetSpec:
    """A demo data asset; its revenue ends the month before its deal issues (or at the pipeline cut-off)."""

    name: str
    category: str
    monthly_level: int  # CNY collected in the last month of history
    months: int
    volume: str
    grade: str = "general"
    growth: float = 0.12  # annual trend
    counterparties: int = 3
    cp_offset: int = 0  # which licensees of the sector profile buy this data
    holder: str = ""  # rights holder; the originator by default, the borrower for pledged collateral
    accounting: str = "intangible_asset"
    personal_info: bool | None = None  # None: the sector profile decides
    sensitive: bool | None = None
    short_right: bool = False  # the processing-use right expires before the deal's legal maturity
    description: str = ""


@dataclass(frozen=True)
class PoolSpec:
    """An underlying claim of a data-pledge or empowerment pool."""

    obligor: str
    city: str
    kind: str
    weight: float
    asset: int  # index into the deal's assets: the pledge or the data that prices the obligor
    rate: str = "0.0500"
    default_probability: str = "0.0120"
    recovery_rate: str = "0.4000"
    # Empowerment: the obligor's PD as priced without the data (the data's effect is the difference).
    default_probability_without_data: str | None = None
    term_months: int | None = None  # months from issue to the claim's maturity; the deal's tenor by default
    # Data-secured claims: what the borrower repays out of (its data's own revenue, or its operating revenue).
    repayment_source: str = ""


@dataclass(frozen=True)
class TrancheSpec:
    name: str
    tranche_class: str
    size: int
    coupon: str | None
    rating: str


@dataclass(frozen=True)
class GuaranteeSpec:
    """External support of the notes: a guarantee (or a shortfall undertaking) with its provider's own rating."""

    guarantor_type: str
    provider: str
    amount: int
    description: str
    provider_rating: str = "AAA"
    kind: str = "external_guarantee"
    coverage: str = "timely"
    covered_classes: tuple[str, ...] = ("senior",)


@dataclass(frozen=True)
class PaydownSpec:
    """How the notes amortise and when cash is trapped (deals.models.Deal's structure fields)."""

    mode: str = "sequential"
    structuring_ratio: str = "1.200"
    dscr_trigger: str | None = None
    trigger_window_periods: int = 1
    trigger_cure_periods: int = 0
    controlled_amortisation_periods: int = 1
    residual_release: str = "after_rated_repaid"


# Licence-revenue deals amortise to a schedule sized at 1.25x the projected revenue; a DSCR below 1.10 over two
# quarters traps cash (and sends it all to the notes, sequentially) until two quarters pass again; while every
# test passes the originator's subordinated class receives what is above the schedule.
LICENCE_SCHEDULE = PaydownSpec(
    mode="target_schedule", structuring_ratio="1.250", dscr_trigger="1.100", trigger_window_periods=2,
    trigger_cure_periods=2, residual_release="excess_when_tests_pass",
)  # fmt: skip
# Amortising pools (loans, leases, receivables) pay through sequentially; the residual waits for the rated notes.
PASS_THROUGH = PaydownSpec()


@dataclass(frozen=True)
class DealSpec:
    """A demo deal and the state its workflow walk ends in.

    Licence-revenue deals get one pool asset per licensee stream of their data
    assets; data-pledge and empowerment deals list their pool.
    """

    originator: str
    name: str
    deal_type: str
    size: int
    tenor_months: int
    exchange: str
    manager: str
    trustee: str
    status: str
    issue_date: dt.date  # the actual issue date once issued, the expected one before
    assets: tuple[AssetSpec, ...]
    tranches: tuple[TrancheSpec, ...]
    pool: tuple[PoolSpec, ...] = ()
    guarantees: tuple[GuaranteeSpec, ...] = ()
    payment_frequency: str = "quarterly"
    reserve_share: str = "0.0100"
    paydown: PaydownSpec = PASS_THROUGH
    overcollateralisation: str = "1.10"  # pool principal / deal size
    returned_with: str = ""  # compliance asked for changes once, with this reason
    data_effect: str = ""  # empowerment: what the data does to the pool's default risk


def capital_structure(
    size: int,
    coupon: str,
    *,
    senior: float = 0.90,
    mezzanine: float = 0.05,
    mezzanine_coupon: str | None = None,
    mezzanine_rating: str = "AA+",
    split_senior: tuple[float, str] | None = None,
) -> tuple[TrancheSpec, ...]:
    """Senior (AAA), optional mezzanine and subordinated tranches that add up exactly to the deal size.

    `split_senior=(share, coupon)` splits the senior class into A1 (the first
    `share` of it, paying `coupon` of the deal) and a longer A2 at the second coupon.
    """
    senior_size = round(size * senior / 10_000) * 10_000
    mezzanine_size = round(size * mezzanine / 10_000) * 10_000
    tranches: list[TrancheSpec] = []
    if split_senior:
        share, a2_coupon = split_senior
        a1 = round(senior_size * share / 10_000) * 10_000
        tranches += [
            TrancheSpec("Senior A1", TrancheClass.SENIOR, a1, coupon, "AAA"),
            TrancheSpec("Senior A2", TrancheClass.SENIOR, senior_size - a1, a2_coupon, "AAA"),
        ]
    else:
        tranches.append(TrancheSpec("Senior A", TrancheClass.SENIOR, senior_size, coupon, "AAA"))
    if mezzanine_size:
        tranches.append(
            TrancheSpec("Mezzanine B", TrancheClass.MEZZANINE, mezzanine_size, mezzanine_coupon, mezzanine_rating)
        )
    tranches.append(
        TrancheSpec("Subordinated", TrancheClass.SUBORDINATED, size - senior_size - mezzanine_size, None, "NR")
    )
    return tuple(tranches)


CATEGORY_PROFILES: dict[str, CategoryProfile] = {
    "transport": CategoryProfile(
        "realtime", True, False,
        "Trajectories generalised to a 500 m grid and 15-minute slots; k-anonymity (k=20); device IDs salted-hashed",
        "Traffic sensors, ETC gantries and transit card clearing systems", 0.06, 7, 90.0,
        (
            ("Shanghai Metro Mobility Services Co., Ltd.", "Shanghai", "api_usage"),
            ("East China Logistics Platform Co., Ltd.", "Suzhou", "licence"),
            ("Pudong Auto Insurance Telematics Co., Ltd.", "Shanghai", "subscription"),
            ("Yangtze Delta Urban Planning Institute", "Nanjing", "data_product_sale"),
            ("Huangpu Navigation Map Services Co., Ltd.", "Shanghai", "licence"),
        ),
    ),
    "energy": CategoryProfile(
        "realtime", False, False, "",
        "Smart meters, substation SCADA feeds and charging-pile controllers", 0.12, 8, 92.0,
        (
            ("North China Power Trading Centre", "Beijing", "licence"),
            ("Jingneng New Energy Vehicle Co., Ltd.", "Beijing", "api_usage"),
            ("Huadong Carbon Accounting Services Co., Ltd.", "Hangzhou", "subscription"),
            ("Zhongzhou Industrial Energy Efficiency Co., Ltd.", "Zhengzhou", "data_product_sale"),
            ("Pearl River Distributed PV Operations Co., Ltd.", "Guangzhou", "service"),
        ),
    ),
    "healthcare": CategoryProfile(
        "daily", True, True,
        "Pseudonymised with HMAC-SHA256 keys held by each hospital; released only as cohorts of 50 or more patients",
        "Hospital information systems (HIS/EMR) and medical insurance settlement records", 0.05, 1, 86.0,
        (
            ("Qianjiang Health Insurance Co., Ltd.", "Hangzhou", "licence"),
            ("Baicao Pharmaceutical R&D Co., Ltd.", "Guiyang", "data_product_sale"),
            ("Guizhou Medical Insurance Settlement Platform Co., Ltd.", "Guiyang", "service"),
            ("Southwest Clinical Research Organisation Co., Ltd.", "Chengdu", "api_usage"),
            ("Yunling Medical AI Technology Co., Ltd.", "Kunming", "subscription"),
        ),
    ),
    "finance": CategoryProfile(
        "daily", True, True,
        "Merchant-level indicators computed in the bank's privacy-computing sandbox; no account-level data leaves it",
        "Bank transaction ledgers and credit files (with the data subjects' authorisation)", 0.04, 12, 93.0,
        (
            ("Zhejiang Rural Commercial Bank Alliance", "Hangzhou", "api_usage"),
            ("Ningbo Consumer Finance Co., Ltd.", "Ningbo", "subscription"),
            ("East Sea Credit Rating Co., Ltd.", "Shanghai", "licence"),
            ("Qiantang Supply Chain Finance Co., Ltd.", "Hangzhou", "service"),
        ),
    ),
    "agriculture": CategoryProfile(
        "weekly", False, False, "",
        "Field IoT sensors, remote sensing and wholesale market records", 0.22, 10, 84.0,
        (
            ("Zhejiang Agricultural Insurance Mutual Co.", "Hangzhou", "licence"),
            ("Jiangnan Grain Reserve Co., Ltd.", "Jiaxing", "subscription"),
            ("Tianfu Agricultural Products Exchange Co., Ltd.", "Chengdu", "data_product_sale"),
            ("Sichuan Cold-Chain Logistics Co., Ltd.", "Chengdu", "api_usage"),
        ),
    ),
    "government_open": CategoryProfile(
        "daily", False, False, "",
        "Authorised operation of municipal public data (business registry, planning, permits)", 0.08, 12, 91.0,
        (
            ("Jingcheng Enterprise Credit Information Co., Ltd.", "Beijing", "api_usage"),
            ("Capital Map Navigation Technology Co., Ltd.", "Beijing", "licence"),
            ("Haidian Urban Planning and Design Institute", "Beijing", "data_product_sale"),
            ("Bohai Commercial Bank Risk Control Centre", "Tianjin", "subscription"),
            ("Yanshan Property Valuation Co., Ltd.", "Beijing", "service"),
        ),
    ),
    "consumer": CategoryProfile(
        "daily", True, False,
        "Aggregated to store-day cells; member IDs removed; differential privacy (epsilon = 2) on cells under 30",
        "POS terminals, membership systems and mall footfall sensors", 0.15, 11, 87.0,
        (
            ("Rongcheng Retail Chain Group Co., Ltd.", "Chengdu", "licence"),
            ("Tianfu Payment Technology Co., Ltd.", "Chengdu", "api_usage"),
            ("Western Brand Marketing Consultancy Co., Ltd.", "Chongqing", "data_product_sale"),
            ("Jinjiang Commercial Property Management Co., Ltd.", "Chengdu", "subscription"),
        ),
    ),
    "manufacturing": CategoryProfile(
        "realtime", False, False, "",
        "Industrial IoT gateways and manufacturing execution systems", 0.08, 6, 88.0,
        (
            ("Oujiang Industrial Internet Platform Co., Ltd.", "Wenzhou", "subscription"),
            ("Keqiao Textile Trading Centre Co., Ltd.", "Shaoxing", "licence"),
            ("Zhejiang Equipment Maintenance Services Co., Ltd.", "Hangzhou", "service"),
        ),
    ),
}  # fmt: skip

# Share of an asset's revenue paid by each licensee, by how many licensees it has.
COUNTERPARTY_WEIGHTS: dict[int, tuple[float, ...]] = {
    1: (1.0,),
    2: (0.6, 0.4),
    3: (0.5, 0.3, 0.2),
    4: (0.4, 0.3, 0.2, 0.1),
    5: (0.35, 0.25, 0.2, 0.12, 0.08),
}


def asset_counterparties(asset: AssetSpec) -> list[tuple[str, str, str, float]]:
    """The asset's licensees (name, city, revenue type, share of revenue), taken from its sector profile."""
    profile = CATEGORY_PROFILES[asset.category]
    pool = profile.counterparties
    count = min(asset.counterparties, len(pool))
    chosen = [pool[(asset.cp_offset + i) % len(pool)] for i in range(count)]
    return [(*cp, weight) for cp, weight in zip(chosen, COUNTERPARTY_WEIGHTS[count], strict=True)]
