"""Demo data: deals still in origination, so every role has work when the demo opens.

Company A (alice) has a draft, a submitted, an in-review and a returned deal;
company B (bob) a draft, a submitted and an approved one; one deal is valued
(the arranger may publish it) and one is published (investors see it).
"""

from __future__ import annotations

import datetime as dt

from deals.choices import DealStatus, DealType, EnhancementKind, Exchange, GuarantorType, PoolAssetKind

from .specs import LICENCE_SCHEDULE, AssetSpec, DealSpec, GuaranteeSpec, M, PoolSpec, capital_structure

_LOGISTICS_BORROWERS = (
    # (borrower, city, sector, pledged data, monthly revenue of the data, months of history, share of the pool,
    #  annual PD, recovery rate)
    ("Shanghai Lingang Freight Data Co., Ltd. (上海临港货运数据有限公司)", "Shanghai", "transport",
     "Heavy-truck freight telematics data (重卡货运车联网数据)", 1_600_000, 36, 0.18, "0.0100", "0.5000"),
    ("Suzhou Industrial Park Warehouse Data Co., Ltd. (苏州工业园区仓储数据有限公司)", "Suzhou", "transport",
     "Bonded-warehouse inventory data (保税仓储库存数据)", 900_000, 30, 0.14, "0.0110", "0.5000"),
    ("Kunshan Cross-border E-commerce Logistics Co., Ltd. (昆山跨境电商物流有限公司)", "Kunshan", "consumer",
     "Parcel routing and delivery data (包裹路由与派送数据)", 1_100_000, 28, 0.13, "0.0130", "0.4500"),
    ("Ningbo Meishan Bonded Port Data Co., Ltd. (宁波梅山保税港数据有限公司)", "Ningbo", "transport",
     "Bonded-port customs clearance data (保税港通关数据)", 1_250_000, 40, 0.12, "0.0090", "0.5500"),
    ("Wuxi Smart Freight Matching Co., Ltd. (无锡智慧货运撮合有限公司)", "Wuxi", "transport",
     "Truckload matching and freight-rate data (整车运力撮合与运价数据)", 820_000, 30, 0.12, "0.0140", "0.4500"),
    ("Nantong Cold-Chain Warehousing Co., Ltd. (南通冷链仓储有限公司)", "Nantong", "transport",
     "Cold-store temperature and throughput data (冷库温控与吞吐数据)", 680_000, 32, 0.11, "0.0120", "0.5000"),
    ("Jiaxing Port Multimodal Data Co., Ltd. (嘉兴港多式联运数据有限公司)", "Jiaxing", "transport",
     "Rail-water multimodal container tracking data (铁水联运集装箱追踪数据)", 740_000, 28, 0.10, "0.0110",
     "0.5000"),
    ("Changzhou Auto Parts Supply-Chain Data Co., Ltd. (常州汽配供应链数据有限公司)", "Changzhou", "manufacturing",
     "Auto-parts inbound logistics data (汽配入厂物流数据)", 560_000, 26, 0.10, "0.0150", "0.4500"),
)  # fmt: skip

# Empowerment pools: (obligor, city, share of the pool, annual PD priced with the data, PD without it).
_RIDE_HAILING_FLEETS = (
    ("Shanghai Jinjiang Ride-hailing Fleet Co., Ltd. (上海锦江网约车车队有限公司)", "Shanghai", 0.17, "0.0110", "0.0180"),
    ("Minhang Shared Mobility Co., Ltd. (闵行共享出行有限公司)", "Shanghai", 0.15, "0.0130", "0.0220"),
    ("Jiading Green Taxi Co., Ltd. (嘉定绿色出租汽车有限公司)", "Shanghai", 0.13, "0.0120", "0.0200"),
    ("Pudong Airport Express Car Rental Co., Ltd. (浦东机场快车汽车租赁有限公司)", "Shanghai", 0.12, "0.0130", "0.0230"),
    ("Songjiang University Town Mobility Services Co., Ltd. (松江大学城出行服务有限公司)", "Shanghai", 0.11, "0.0140",
     "0.0250"),
    ("Qingpu Hongqiao Hub Car Services Co., Ltd. (青浦虹桥枢纽汽车服务有限公司)", "Shanghai", 0.11, "0.0140", "0.0240"),
    ("Kunshan Yangcheng Lake Ride-hailing Co., Ltd. (昆山阳澄湖网约车有限公司)", "Kunshan", 0.11, "0.0150", "0.0260"),
    ("Baoshan Riverside Taxi Co., Ltd. (宝山滨江出租汽车有限公司)", "Shanghai", 0.10, "0.0150", "0.0270"),
)  # fmt: skip

_STORAGE_OPERATORS = (
    ("Shenzhen Longgang Energy Storage Co., Ltd. (深圳龙岗储能有限公司)", "Shenzhen", 0.17, "0.0100", "0.0140"),
    ("Guangzhou Nansha Microgrid Co., Ltd. (广州南沙微电网有限公司)", "Guangzhou", 0.15, "0.0110", "0.0150"),
    ("Dongguan Humen Industrial Energy Storage Co., Ltd. (东莞虎门工业储能有限公司)", "Dongguan", 0.13, "0.0120",
     "0.0160"),
    ("Foshan Nanhai Grid-side Storage Co., Ltd. (佛山南海电网侧储能有限公司)", "Foshan", 0.12, "0.0120", "0.0160"),
    ("Huizhou Zhongkai Storage Power Station Co., Ltd. (惠州仲恺储能电站有限公司)", "Huizhou", 0.12, "0.0130", "0.0170"),
    ("Zhuhai Gaolan Port Energy Storage Co., Ltd. (珠海高栏港储能有限公司)", "Zhuhai", 0.11, "0.0130", "0.0170"),
    ("Jiangmen Xinhui Solar-plus-Storage Co., Ltd. (江门新会光储有限公司)", "Jiangmen", 0.10, "0.0140", "0.0180"),
    ("Zhaoqing High-tech Zone Energy Storage Co., Ltd. (肇庆高新区储能有限公司)", "Zhaoqing", 0.10, "0.0150", "0.0190"),
)  # fmt: skip

_CHRONIC_CARE_HOSPITALS = (
    ("Qiandongnan People's Hospital (黔东南州人民医院)", "Kaili", 0.16, "0.0080", "0.0130"),
    ("Tongren People's Hospital (铜仁市人民医院)", "Tongren", 0.15, "0.0090", "0.0140"),
    ("Qiannan People's Hospital (黔南州人民医院)", "Duyun", 0.14, "0.0090", "0.0150"),
    ("Guiyang Fourth People's Hospital (贵阳市第四人民医院)", "Guiyang", 0.12, "0.0090", "0.0150"),
    ("Zunyi Second People's Hospital (遵义市第二人民医院)", "Zunyi", 0.12, "0.0100", "0.0160"),
    ("Renhuai People's Hospital (仁怀市人民医院)", "Renhuai", 0.11, "0.0110", "0.0180"),
    ("Panzhou People's Hospital (盘州市人民医院)", "Panzhou", 0.10, "0.0120", "0.0190"),
    ("Qingzhen People's Hospital (清镇市人民医院)", "Qingzhen", 0.10, "0.0120", "0.0190"),
)  # fmt: skip

PIPELINE: tuple[DealSpec, ...] = (
    # Company A (alice): a draft still without its capital structure ...
    DealSpec(
        "A", "Shanghai Smart Parking Data Licence ABS 2027-1 (上海智慧停车数据资产支持专项计划2027年第1期)",
        DealType.LICENCE_REVENUE, 200 * M, 36, Exchange.SSE, "Guotai Junan Securities", "Bank of Shanghai (custodian)",
        DealStatus.DRAFT, dt.date(2027, 6, 30),
        assets=(
            AssetSpec("Public parking occupancy data (公共停车泊位占用数据)", "transport", 4_400_000, 24,
                      "4,100 car parks, 1.2 million bays, minute-level", cp_offset=1, counterparties=3, growth=0.2),
        ),
        tranches=(),
        paydown=LICENCE_SCHEDULE,
    ),
    # ... one waiting for compliance ...
    DealSpec(
        "A", "Shanghai Metro Passenger-Flow Data Licence ABS 2027-1 (上海地铁客流数据资产支持专项计划2027年第1期)",
        DealType.LICENCE_REVENUE, 280 * M, 36, Exchange.SSE, "Guotai Junan Securities", "Bank of Shanghai (custodian)",
        DealStatus.SUBMITTED, dt.date(2027, 3, 31),
        assets=(
            AssetSpec("Metro station passenger-flow data (地铁站点客流数据)", "transport", 9_500_000, 40,
                      "508 stations, 11 million taps a day", counterparties=3),
        ),
        tranches=capital_structure(280 * M, "0.0198", mezzanine_coupon="0.0255"),
        paydown=LICENCE_SCHEDULE,
    ),
    # ... one in review ...
    DealSpec(
        "A", "Shanghai Logistics Telematics Data Pledge ABS 2027-1 (上海物流车联网数据质押资产支持专项计划2027年第1期)",
        DealType.DATA_PLEDGE, 150 * M, 24, Exchange.SSE, "Haitong Securities", "Bank of Shanghai (custodian)",
        DealStatus.IN_REVIEW, dt.date(2027, 2, 26),
        assets=tuple(
            AssetSpec(data, sector, level, months, "pledged collateral, monthly extracts", holder=borrower,
                      counterparties=2, cp_offset=i + 1)
            for i, (borrower, _city, sector, data, level, months, *_) in enumerate(_LOGISTICS_BORROWERS)
        ),
        pool=tuple(
            PoolSpec(borrower, city, PoolAssetKind.LOAN, weight, i, rate="0.0530", default_probability=pd,
                     recovery_rate=recovery)
            for i, (borrower, city, _s, _d, _l, _m, weight, pd, recovery) in enumerate(_LOGISTICS_BORROWERS)
        ),
        tranches=capital_structure(150 * M, "0.0215", mezzanine_coupon="0.0290", mezzanine_rating="AA"),
        guarantees=(
            GuaranteeSpec(GuarantorType.GUARANTEE_COMPANY, "Shanghai Municipal Financing Guarantee Co., Ltd. (上海市融资担保有限公司)",
                          135 * M, "Joint-liability guarantee of Senior A"),
        ),
        overcollateralisation="1.10",
    ),
    # ... and one sent back by compliance.
    DealSpec(
        "A", "Shanghai Ride-hailing Data Empowerment Auto Lease ABS 2027-1 (上海网约车数据赋能汽车租赁资产支持专项计划2027年第1期)",
        DealType.EMPOWERMENT, 220 * M, 36, Exchange.SSE, "Haitong Securities", "Bank of Shanghai (custodian)",
        DealStatus.CHANGES_REQUESTED, dt.date(2027, 4, 28),
        assets=(
            AssetSpec("Ride-hailing trip trajectory data (网约车出行轨迹数据)", "transport", 2_900_000, 34,
                      "38,000 vehicles, 2.3 billion GPS points a month", grade="important", sensitive=True,
                      cp_offset=2, counterparties=3),
        ),
        pool=tuple(
            PoolSpec(name, city, PoolAssetKind.LEASE, weight, 0, rate="0.0590", default_probability=pd,
                     recovery_rate="0.5000", default_probability_without_data=pd_without)
            for name, city, weight, pd, pd_without in _RIDE_HAILING_FLEETS
        ),
        tranches=capital_structure(220 * M, "0.0210", senior=0.88, mezzanine=0.06, mezzanine_coupon="0.0285"),
        returned_with=(
            "Trip trajectories are sensitive personal information (PIPL art. 28): upload the PIPIA report and the "
            "evidence of separate consent for provision to the lessor (PIPL arts. 29 and 55)."
        ),
        data_effect="Driving-behaviour scores priced each fleet's lease: average annual PD 2.3 % -> 1.3 %.",
    ),
    # Company B (bob): a complete draft ready to submit ...
    DealSpec(
        "B", "Qianhai Distributed PV Data Licence ABS 2027-1 (前海分布式光伏数据资产支持专项计划2027年第1期)",
        DealType.LICENCE_REVENUE, 160 * M, 36, Exchange.SZSE, "China Merchants Securities", "Ping An Bank (custodian)",
        DealStatus.DRAFT, dt.date(2027, 5, 28),
        assets=(
            AssetSpec("Distributed PV generation data (分布式光伏发电数据)", "energy", 4_600_000, 30,
                      "21,000 rooftop systems, 15-minute output", cp_offset=3, counterparties=3, growth=0.28),
        ),
        tranches=capital_structure(160 * M, "0.0205", mezzanine_coupon="0.0275"),
        paydown=LICENCE_SCHEDULE,
    ),
    # ... one submitted whose processing-use right expires before the notes mature ...
    DealSpec(
        "B", "Qianhai Energy Storage Dispatch Data Empowerment ABS 2027-1 (前海储能调度数据赋能资产支持专项计划2027年第1期)",
        DealType.EMPOWERMENT, 180 * M, 36, Exchange.SZSE, "China Merchants Securities", "Ping An Bank (custodian)",
        DealStatus.SUBMITTED, dt.date(2027, 3, 26),
        assets=(
            AssetSpec("Energy-storage dispatch and cycling data (储能调度与循环数据)", "energy", 1_200_000, 26,
                      "640 MWh of storage, second-level cycling logs", short_right=True, cp_offset=4, growth=0.35),
        ),
        pool=tuple(
            PoolSpec(name, city, PoolAssetKind.LEASE, weight, 0, rate="0.0560", default_probability=pd,
                     recovery_rate="0.4500", default_probability_without_data=pd_without)
            for name, city, weight, pd, pd_without in _STORAGE_OPERATORS
        ),
        tranches=capital_structure(180 * M, "0.0212", mezzanine=0.0),
        guarantees=(
            GuaranteeSpec(GuarantorType.BANK_GUARANTEE_LETTER, "Ping An Bank Shenzhen Branch (平安银行深圳分行)",
                          162 * M, "Letter of guarantee for Senior A"),
        ),
        data_effect="Cycling data priced battery degradation into the leases: average annual PD 1.6 % -> 1.2 %.",
    ),
    # ... and one approved by compliance, waiting for valuation.
    DealSpec(
        "B", "Qianhai Building Energy Data Licence ABS 2027-1 (前海楼宇能耗数据资产支持专项计划2027年第1期)",
        DealType.LICENCE_REVENUE, 140 * M, 36, Exchange.SZSE, "China Merchants Securities", "Ping An Bank (custodian)",
        DealStatus.COMPLIANCE_APPROVED, dt.date(2027, 2, 26),
        assets=(
            AssetSpec("Commercial building energy-use data (商业楼宇能耗数据)", "energy", 4_600_000, 36,
                      "2,700 buildings, hourly sub-metering", cp_offset=2, counterparties=3),
        ),
        tranches=capital_structure(140 * M, "0.0202", mezzanine_coupon="0.0270"),
        paydown=LICENCE_SCHEDULE,
    ),
    # Valued: the arranger may publish it.
    DealSpec(
        "D", "Guizhou Chronic-Care Data Empowerment Medical Equipment Lease ABS 2027-1 (贵州慢病数据赋能医疗设备租赁资产支持专项计划2027年第1期)",
        DealType.EMPOWERMENT, 260 * M, 36, Exchange.SSE, "Huatai Securities", "China Construction Bank (custodian)",
        DealStatus.VALUED, dt.date(2027, 2, 10),
        assets=(
            AssetSpec("Chronic-disease management cohort data (慢病管理队列数据)", "healthcare", 1_600_000, 30,
                      "1.8 million patients, 7 years of follow-up", grade="important", cp_offset=1),
        ),
        pool=tuple(
            PoolSpec(name, city, PoolAssetKind.LEASE, weight, 0, rate="0.0510", default_probability=pd,
                     recovery_rate="0.5500", default_probability_without_data=pd_without)
            for name, city, weight, pd, pd_without in _CHRONIC_CARE_HOSPITALS
        ),
        tranches=capital_structure(260 * M, "0.0205", senior=0.86, mezzanine=0.06, mezzanine_coupon="0.0275"),
        guarantees=(
            GuaranteeSpec(GuarantorType.ORIGINATOR, "Guizhou Big Data Health Industry Group Co., Ltd. (贵州大数据健康产业集团有限公司)",
                          80 * M, "The originator undertakes to pay any shortfall of Senior A interest and scheduled principal",
                          provider_rating="AA+", kind=EnhancementKind.SHORTFALL_UNDERTAKING),
        ),
        data_effect="Cohort outcomes priced each hospital's lease: average annual PD 1.6 % -> 1.0 %.",
    ),
    # Published: on the market, visible to investors (no personal information, AAA senior).
    DealSpec(
        "C", "Sino Grid Power Data Licence ABS 2027-1 (中电网电力数据资产支持专项计划2027年第1期)",
        DealType.LICENCE_REVENUE, 500 * M, 36, Exchange.SSE, "China International Capital Corporation (CICC)",
        "Bank of Communications (custodian)", DealStatus.PUBLISHED, dt.date(2027, 1, 15),
        assets=(
            AssetSpec("Distribution-network outage and reliability data (配电网停电与可靠性数据)", "energy", 18_500_000,
                      48, "3.1 million feeders, event-level logs", grade="important", cp_offset=1, counterparties=4),
        ),
        tranches=capital_structure(500 * M, "0.0190", mezzanine_coupon="0.0250"),
        overcollateralisation="1.15",
        paydown=LICENCE_SCHEDULE,
    ),
)  # fmt: skip
