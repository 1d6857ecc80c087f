"""Demo data: 32 institutional investors with risk profiles whose mandates fit their type.

Insurers and pensions are conservative (C1-C3, AAA or AA+ minimum, no personal
information in the underlying data, a low cap on guarantee dependence); trusts
and private funds take more risk for more coupon.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from deals.choices import DealType
from investors.choices import InvestorType
from investors.models import Investor, RiskProfile
from investors.questionnaire import QUESTIONS, score_questionnaire
from origination.services import full_clean_or_raise

M = 1_000_000
ALL_TYPES = (DealType.LICENCE_REVENUE, DealType.DATA_PLEDGE, DealType.EMPOWERMENT)
PROVEN_TYPES = (DealType.LICENCE_REVENUE, DealType.EMPOWERMENT)


@dataclass(frozen=True)
class Mandate:
    """Mandate limits an investor type typically has."""

    max_tenor_months: int
    min_coupon: str
    ticket_min: int
    ticket_max: int
    allowed_deal_types: tuple[str, ...]
    excluded_industries: tuple[str, ...]
    no_personal_info: bool
    max_guarantee_dependence: str


MANDATES: dict[str, Mandate] = {
    InvestorType.INSURER: Mandate(120, "0.0180", 50 * M, 500 * M, PROVEN_TYPES, ("Financial leasing",), True, "0.5000"),
    InvestorType.PENSION: Mandate(84, "0.0185", 30 * M, 300 * M, PROVEN_TYPES, ("Financial leasing",), True, "0.4000"),
    InvestorType.BANK_WEALTH_MANAGEMENT: Mandate(60, "0.0185", 20 * M, 300 * M, ALL_TYPES, (), False, "0.7000"),
    InvestorType.MUTUAL_FUND: Mandate(36, "0.0195", 10 * M, 150 * M, ALL_TYPES, (), False, "0.8000"),
    InvestorType.SECURITIES_FIRM: Mandate(60, "0.0200", 10 * M, 200 * M, ALL_TYPES, (), False, "1.0000"),
    InvestorType.TRUST: Mandate(60, "0.0240", 10 * M, 100 * M, ALL_TYPES, (), False, "1.0000"),
    InvestorType.PRIVATE_FUND: Mandate(48, "0.0280", 5 * M, 50 * M, ALL_TYPES, (), False, "1.0000"),
}  # fmt: skip

# The lowest rating a mandate accepts, by type and risk tolerance.
MIN_RATING: dict[str, dict[str, str]] = {
    InvestorType.INSURER: {"C1": "AAA", "C2": "AAA", "C3": "AA+"},
    InvestorType.PENSION: {"C1": "AAA", "C2": "AAA"},
    InvestorType.BANK_WEALTH_MANAGEMENT: {"C2": "AAA", "C3": "AA+"},
    InvestorType.MUTUAL_FUND: {"C3": "AA+", "C4": "AA"},
    InvestorType.SECURITIES_FIRM: {"C3": "AA+", "C4": "AA", "C5": "AA-"},
    InvestorType.TRUST: {"C4": "AA-", "C5": "A+"},
    InvestorType.PRIVATE_FUND: {"C4": "A+", "C5": "A"},
}


@dataclass(frozen=True)
class InvestorSpec:
    name: str
    investor_type: str
    risk_tolerance: str
    require_pipia: bool = True


INVESTORS: tuple[InvestorSpec, ...] = (
    InvestorSpec("Jinghua Prudent Life Insurance Co., Ltd. (京华稳健人寿保险股份有限公司)", "insurer", "C2"),
    InvestorSpec("Anrui Life Insurance Co., Ltd. (安瑞人寿保险股份有限公司)", "insurer", "C1"),
    InvestorSpec("Baoheng Life Insurance Co., Ltd. (保恒人寿保险股份有限公司)", "insurer", "C1"),
    InvestorSpec("Ruiyuan Life Insurance Co., Ltd. (瑞元人寿保险股份有限公司)", "insurer", "C2"),
    InvestorSpec("Hengchang Property & Casualty Insurance Co., Ltd. (恒昌财产保险股份有限公司)", "insurer", "C3"),
    InvestorSpec("Zhongrui Insurance Asset Management Co., Ltd. (中瑞保险资产管理有限公司)", "insurer", "C3"),
    InvestorSpec("Jiangsu Occupational Annuity Plan (江苏省职业年金计划)", "pension", "C1"),
    InvestorSpec("Zhejiang Basic Pension Fund Mandate (浙江省基本养老保险基金委托组合)", "pension", "C1"),
    InvestorSpec("Guangdong Enterprise Annuity Plan (广东省企业年金计划)", "pension", "C2"),
    InvestorSpec("Sichuan Occupational Annuity Plan (四川省职业年金计划)", "pension", "C2"),
    InvestorSpec("Huaxin Bank Wealth Management Co., Ltd. (华信银行理财有限责任公司)", "bank_wm", "C2"),
    InvestorSpec("Pearl River Wealth Management Co., Ltd. (珠江理财有限责任公司)", "bank_wm", "C2"),
    InvestorSpec("Bohai Rim Wealth Management Co., Ltd. (环渤海理财有限责任公司)", "bank_wm", "C3"),
    InvestorSpec("Qilu Wealth Management Co., Ltd. (齐鲁理财有限责任公司)", "bank_wm", "C3"),
    InvestorSpec("Jiangnan Bank Wealth Management Co., Ltd. (江南银行理财有限责任公司)", "bank_wm", "C3"),
    InvestorSpec("Xinghe Wealth Management Co., Ltd. (星河理财有限责任公司)", "bank_wm", "C2"),
    InvestorSpec("Tianyuan Fund Management Co., Ltd. (天元基金管理有限公司)", "mutual_fund", "C3"),
    InvestorSpec("Hongtu Fund Management Co., Ltd. (宏图基金管理有限公司)", "mutual_fund", "C3"),
    InvestorSpec("Ruiyin Fund Management Co., Ltd. (睿银基金管理有限公司)", "mutual_fund", "C4"),
    InvestorSpec("Dongfang Yinghua Fund Management Co., Ltd. (东方盈华基金管理有限公司)", "mutual_fund", "C3"),
    InvestorSpec("Kunlun Harvest Fund Management Co., Ltd. (昆仑丰收基金管理有限公司)", "mutual_fund", "C4"),
    InvestorSpec("Huitong Capital Securities Co., Ltd. (汇通资本证券股份有限公司)", "securities_firm", "C4"),
    InvestorSpec("Xinan Pioneer Securities Co., Ltd. (西南先锋证券股份有限公司)", "securities_firm", "C3"),
    InvestorSpec("Haixia Securities Co., Ltd. (海峡证券股份有限公司)", "securities_firm", "C4"),
    InvestorSpec("Jinghu Securities Asset Management Co., Ltd. (京沪证券资产管理有限公司)", "securities_firm", "C5"),
    InvestorSpec("Yangtze Delta Securities Co., Ltd. (长三角证券股份有限公司)", "securities_firm", "C3"),
    InvestorSpec("Tianfu Trust Co., Ltd. (天府信托有限责任公司)", "trust", "C4"),
    InvestorSpec("Zhonghui Trust Co., Ltd. (中汇信托有限责任公司)", "trust", "C4"),
    InvestorSpec("Yanzhao Trust Co., Ltd. (燕赵信托有限责任公司)", "trust", "C5"),
    InvestorSpec("Qianhai Data Capital Private Fund Management Co., Ltd. (前海数据资本私募基金管理有限公司)",
                 "private_fund", "C5", require_pipia=False),
    InvestorSpec("Lujiazui Structured Credit Private Fund (陆家嘴结构化信用私募基金)", "private_fund", "C4"),
    InvestorSpec("Xiong'an Digital Economy Private Fund Management Co., Ltd. (雄安数字经济私募基金管理有限公司)",
                 "private_fund", "C5", require_pipia=False),
)  # fmt: skip

# Demo investor users: username -> (first name, last name, institution)
INVESTOR_USERS = {
    "ivy": ("Ivy", "Xu", INVESTORS[0].name),  # a conservative insurer, C2
    "ian": ("Ian", "He", INVESTORS[21].name),  # a securities firm, C4
}


def questionnaire_answers(level: str) -> dict[str, str]:
    """Answers an institution of this tolerance gives: long experience and horizon, the rest at its level."""
    k = int(level[1])
    answers = {}
    for question in QUESTIONS:
        wanted = max(k, 4) if question.key in ("fixed_income_years", "horizon", "net_assets") else k
        answers[question.key] = next(o.value for o in question.options if o.level == wanted)
    return answers


def ensure_investors(*, created: Counter) -> dict[str, Investor]:
    """Every demo investor with its risk profile, by name (created once, never changed)."""
    existing = {inv.name: inv for inv in Investor.objects.filter(name__in=[s.name for s in INVESTORS])}
    with_profile = set(RiskProfile.objects.filter(investor__in=existing.values()).values_list("investor_id", flat=True))
    for spec in INVESTORS:
        investor = existing.get(spec.name)
        if investor is None:
            investor = Investor(name=spec.name, investor_type=spec.investor_type)
            full_clean_or_raise(investor)
            investor.save()
            existing[spec.name] = investor
            created["investors"] += 1
        if investor.pk in with_profile:
            continue
        mandate = MANDATES[spec.investor_type]
        scored = score_questionnaire(questionnaire_answers(spec.risk_tolerance))
        profile = RiskProfile(
            investor=investor,
            risk_tolerance=scored.risk_tolerance,
            answers=questionnaire_answers(spec.risk_tolerance),
            dimension_levels=scored.dimension_levels,
            tolerance_reasons=list(scored.reasons),
            min_rating=MIN_RATING[spec.investor_type][spec.risk_tolerance],
            max_tenor_months=mandate.max_tenor_months,
            min_coupon=Decimal(mandate.min_coupon),
            ticket_min=Decimal(mandate.ticket_min),
            ticket_max=Decimal(mandate.ticket_max),
            allowed_deal_types=list(mandate.allowed_deal_types),
            excluded_industries=list(mandate.excluded_industries),
            no_personal_info=mandate.no_personal_info or spec.risk_tolerance == "C1",
            require_pipia=spec.require_pipia,
            max_guarantee_dependence=Decimal(mandate.max_guarantee_dependence),
        )
        full_clean_or_raise(profile)
        profile.save()
        created["risk profiles"] += 1
    return existing
