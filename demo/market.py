"""Demo data: the originator companies and the 2025 market of seven issued data-asset ABS.

The seven deals reproduce the market figures of docs/market_data.md, "The 2025 market" (Securities
Daily, 2025-11-20): 2.49 bn CNY in all, 4 data asset ABS and 3 empowerment ABS,
5 initiated by SOEs, senior coupons averaging 2.04 %.
"""

from __future__ import annotations

import datetime as dt

from deals.choices import DealStatus, DealType, EnhancementKind, Exchange, GuarantorType, PoolAssetKind

from .specs import (
    LICENCE_SCHEDULE,
    AssetSpec,
    DealSpec,
    GuaranteeSpec,
    M,
    OriginatorSpec,
    PoolSpec,
    capital_structure,
)

ORIGINATORS: tuple[OriginatorSpec, ...] = (
    OriginatorSpec(
        "A", "Shanghai Urban Transport Data Co., Ltd. (上海城市交通数据有限公司)", "310115", "MA1FL3Q82",
        "local_soe", "Transport data", "Shanghai", "AA+", "SHDE", "SHDE", "alice", "Alice", "Zhou",
    ),
    OriginatorSpec(
        "B", "Shenzhen Qianhai Smart Energy Data Technology Co., Ltd. (深圳前海智慧能源数据科技有限公司)", "440300",
        "MA5EUR4K9", "private", "Energy data", "Shenzhen", "AA", "SZDE", "SZDE", "bob", "Bob", "Lin",
    ),
    OriginatorSpec(
        "C", "Sino Grid Power Data Services Co., Ltd. (中电网数据服务有限公司)", "110102", "MA01T7WN5",
        "central_soe", "Power utilities", "Beijing", "AAA", "BJIDE", "SHDE", "wang.fang", "Fang", "Wang",
    ),
    OriginatorSpec(
        "D", "Guizhou Big Data Health Industry Group Co., Ltd. (贵州大数据健康产业集团有限公司)", "520115",
        "MA6DJ2P47", "local_soe", "Healthcare", "Guiyang", "AA+", "GBDEX", "GBDEX", "li.lei", "Lei", "Li",
    ),
    OriginatorSpec(
        "E", "Hangzhou Hi-Tech Data Financial Leasing Co., Ltd. (杭州高新数据融资租赁有限公司)", "330108",
        "MA2CX8K6L", "local_soe", "Financial leasing", "Hangzhou", "AA+", "ZJPRC", "SHDE", "chen.jing",
        "Jing", "Chen",
    ),
    OriginatorSpec(
        "F", "Beijing Public Data Operations Co., Ltd. (北京公共数据运营有限公司)", "110108", "MA04H9R3B",
        "local_soe", "Government open data", "Beijing", "AAA", "BJIDE", "BJIDE", "zhao.min", "Min", "Zhao",
    ),
    OriginatorSpec(
        "G", "Chengdu Tianfu Consumer Data Intelligence Co., Ltd. (成都天府消费数据智能有限公司)", "510107",
        "MA62Y5GU0", "listed", "Retail and consumer data", "Chengdu", "AA", "CDPRC", "SZDE", "liu.yang",
        "Yang", "Liu",
    ),
)  # fmt: skip

_PLEDGE_BORROWERS = (
    # (borrower, city, sector, pledged data, monthly revenue of the data, months of history)
    ("Hangzhou Xihu Smart Logistics Co., Ltd. (杭州西湖智慧物流有限公司)", "Hangzhou", "transport",
     "Cold-chain fleet telematics data (冷链车队车联网数据)", 1_450_000, 36),
    ("Hangzhou Qiantang Agri-Tech Co., Ltd. (杭州钱塘农业科技有限公司)", "Hangzhou", "agriculture",
     "Tea-garden soil and yield sensor data (茶园土壤与产量传感数据)", 620_000, 30),
    ("Ningbo Port Shipping Data Co., Ltd. (宁波港航数据有限公司)", "Ningbo", "transport",
     "Container berth and vessel schedule data (集装箱泊位与船期数据)", 2_100_000, 48),
    ("Wenzhou Smart Manufacturing Data Co., Ltd. (温州智造数据有限公司)", "Wenzhou", "manufacturing",
     "Valve-industry equipment operating data (阀门产业设备运行数据)", 980_000, 36),
    ("Shaoxing Textile Industrial Internet Co., Ltd. (绍兴纺织工业互联网有限公司)", "Shaoxing", "manufacturing",
     "Dyeing and printing capacity data (印染产能数据)", 760_000, 30),
    ("Jiaxing Agricultural Big Data Co., Ltd. (嘉兴农业大数据有限公司)", "Jiaxing", "agriculture",
     "Rice-paddy remote-sensing yield data (水稻遥感估产数据)", 540_000, 26),
    ("Huzhou Green Energy Data Co., Ltd. (湖州绿色能源数据有限公司)", "Huzhou", "energy",
     "County PV generation and storage data (县域光伏发电与储能数据)", 1_150_000, 40),
    ("Jinhua Commerce Consumer Data Co., Ltd. (金华商贸消费数据有限公司)", "Jinhua", "consumer",
     "Yiwu wholesale-market transaction data (义乌小商品市场交易数据)", 1_720_000, 42),
    ("Ningbo Fintech Risk Data Co., Ltd. (宁波金融科技风控数据有限公司)", "Ningbo", "finance",
     "SME invoice and tax-credit indicators (小微企业发票与纳税信用指标)", 1_300_000, 36),
)  # fmt: skip

# Empowerment pools: (obligor, city, share of the pool, annual PD priced with the data, PD without it).
_HOSPITALS = (
    ("Guizhou Provincial People's Hospital (贵州省人民医院)", "Guiyang", 0.15, "0.0060", "0.0100"),
    ("Affiliated Hospital of Guizhou Medical University (贵州医科大学附属医院)", "Guiyang", 0.14, "0.0060", "0.0110"),
    ("Affiliated Hospital of Zunyi Medical University (遵义医科大学附属医院)", "Zunyi", 0.13, "0.0070", "0.0120"),
    ("Zunyi First People's Hospital (遵义市第一人民医院)", "Zunyi", 0.12, "0.0080", "0.0140"),
    ("Guiyang Second People's Hospital (贵阳市第二人民医院)", "Guiyang", 0.11, "0.0090", "0.0150"),
    ("Liupanshui People's Hospital (六盘水市人民医院)", "Liupanshui", 0.10, "0.0110", "0.0180"),
    ("Anshun People's Hospital (安顺市人民医院)", "Anshun", 0.09, "0.0120", "0.0190"),
    ("Bijie First People's Hospital (毕节市第一人民医院)", "Bijie", 0.08, "0.0130", "0.0210"),
    ("Qianxinan People's Hospital (黔西南州人民医院)", "Xingyi", 0.08, "0.0130", "0.0210"),
)  # fmt: skip

_CHARGING_OPERATORS = (
    ("Shenzhen Bus Group New Energy Co., Ltd. (深圳巴士集团新能源有限公司)", "Shenzhen", 0.17, "0.0100", "0.0160"),
    ("Guangzhou Nansha Port Logistics Charging Co., Ltd. (广州南沙港物流充电有限公司)", "Guangzhou", 0.15, "0.0110",
     "0.0180"),
    ("Dongguan Songshan Lake Charging Network Co., Ltd. (东莞松山湖充电网络有限公司)", "Dongguan", 0.14, "0.0120",
     "0.0190"),
    ("Foshan Shunde Smart Parking Energy Co., Ltd. (佛山顺德智慧停车能源有限公司)", "Foshan", 0.13, "0.0130", "0.0210"),
    ("Huizhou Daya Bay Logistics Park Co., Ltd. (惠州大亚湾物流园有限公司)", "Huizhou", 0.12, "0.0140", "0.0230"),
    ("Zhuhai Hengqin Urban Services Co., Ltd. (珠海横琴城市服务有限公司)", "Zhuhai", 0.10, "0.0140", "0.0230"),
    ("Zhongshan Torch Industrial Park Energy Services Co., Ltd. (中山火炬开发区能源服务有限公司)", "Zhongshan", 0.10,
     "0.0150", "0.0250"),
    ("Jiangmen Binjiang New Energy Transport Co., Ltd. (江门滨江新能源交通有限公司)", "Jiangmen", 0.09, "0.0150",
     "0.0260"),
)  # fmt: skip

# Retailers' receivables fall due one after another over the two years (months from issue), the first after a
# quarter, so the notes' interest is paid from the first payment date.
_RETAILERS = (
    ("Rongcheng Retail Chain Group Co., Ltd. (蓉城零售连锁集团有限公司)", "Chengdu", 0.14, "0.0090", "0.0160", 3),
    ("Mianyang Fresh Food Supermarkets Co., Ltd. (绵阳生鲜超市有限公司)", "Mianyang", 0.12, "0.0110", "0.0190", 6),
    ("Deyang Household Goods Distribution Co., Ltd. (德阳日用品配送有限公司)", "Deyang", 0.11, "0.0110", "0.0200", 6),
    ("Nanchong Jialing Department Store Co., Ltd. (南充嘉陵百货有限公司)", "Nanchong", 0.10, "0.0120", "0.0210", 9),
    ("Leshan Tourism Retail Co., Ltd. (乐山旅游商业有限公司)", "Leshan", 0.10, "0.0120", "0.0220", 12),
    ("Yibin Liquor Trading Co., Ltd. (宜宾酒类商贸有限公司)", "Yibin", 0.09, "0.0120", "0.0210", 12),
    ("Luzhou Jiuxiang Commerce Co., Ltd. (泸州酒乡商贸有限公司)", "Luzhou", 0.09, "0.0130", "0.0230", 15),
    ("Dazhou Bashan Supermarket Chain Co., Ltd. (达州巴山超市连锁有限公司)", "Dazhou", 0.09, "0.0140", "0.0240", 18),
    ("Zigong Salt City Convenience Stores Co., Ltd. (自贡盐都便利店有限公司)", "Zigong", 0.08, "0.0140", "0.0250", 21),
    ("Suining Chuanzhong Agricultural Products Wholesale Co., Ltd. (遂宁川中农产品批发有限公司)", "Suining", 0.08,
     "0.0150", "0.0250", 24),
)  # fmt: skip

ISSUED_2025: tuple[DealSpec, ...] = (
    DealSpec(
        "C", "Sino Grid Power Data Licence ABS 2025-1 (中电网电力数据资产支持专项计划2025年第1期)",
        DealType.LICENCE_REVENUE, 600 * M, 36, Exchange.SSE,
        "China International Capital Corporation (CICC)", "Bank of Communications (custodian)",
        DealStatus.ISSUED, dt.date(2025, 3, 18),
        assets=(
            AssetSpec("Provincial grid load and consumption data (省级电网负荷与用电数据)", "energy", 16_800_000, 48,
                      "48 TB, 2.1 billion meter readings a month", grade="important", counterparties=4),
            AssetSpec("Industrial park energy-efficiency index (工业园区能效指数)", "energy", 4_700_000, 36,
                      "1,260 parks, 35 indicators", cp_offset=2, counterparties=3, accounting="inventory"),
        ),
        tranches=capital_structure(600 * M, "0.0185", split_senior=(5 / 9, "0.0210"), mezzanine_coupon="0.0260"),
        reserve_share="0.0100", overcollateralisation="1.15", paydown=LICENCE_SCHEDULE,
    ),
    DealSpec(
        "A", "Shanghai Urban Transport Data Licence ABS 2025-1 (上海城市交通数据资产支持专项计划2025年第1期)",
        DealType.LICENCE_REVENUE, 450 * M, 36, Exchange.SSE,
        "Guotai Junan Securities", "Bank of Shanghai (custodian)", DealStatus.ISSUED, dt.date(2025, 5, 22),
        assets=(
            AssetSpec("Urban road traffic-flow data (城市道路交通流量数据)", "transport", 12_400_000, 48,
                      "6,800 sensors, 310 million records a month", grade="important", counterparties=4),
            AssetSpec("Public-transit smart-card ridership data (公共交通一卡通客流数据)", "transport", 4_300_000, 36,
                      "9.2 million cards, 600 million trips a year", cp_offset=3, counterparties=2),
        ),
        tranches=capital_structure(450 * M, "0.0195", mezzanine_coupon="0.0255"),
        guarantees=(
            GuaranteeSpec(GuarantorType.GUARANTEE_COMPANY, "Shanghai Municipal Financing Guarantee Co., Ltd. (上海市融资担保有限公司)",
                          405 * M, "Full and unconditional guarantee of Senior A principal and interest"),
        ),
        paydown=LICENCE_SCHEDULE,
    ),
    DealSpec(
        "D", "Guizhou Health Data Empowerment Medical Equipment Lease ABS 2025-1 (贵州健康数据赋能医疗设备租赁资产支持专项计划2025年第1期)",
        DealType.EMPOWERMENT, 320 * M, 36, Exchange.SSE, "Huatai Securities", "China Construction Bank (custodian)",
        DealStatus.ISSUED, dt.date(2025, 6, 27),
        assets=(
            AssetSpec("Provincial hospital operations and claims data (全省医院运营与医保结算数据)", "healthcare",
                      2_300_000, 36, "212 hospitals, 41 million encounters", grade="important", counterparties=4),
        ),
        pool=tuple(
            PoolSpec(name, city, PoolAssetKind.LEASE, weight, 0, rate="0.0520", default_probability=pd,
                     recovery_rate="0.5500", default_probability_without_data=pd_without)
            for name, city, weight, pd, pd_without in _HOSPITALS
        ),
        tranches=capital_structure(320 * M, "0.0200", mezzanine_coupon="0.0270"),
        guarantees=(
            GuaranteeSpec(GuarantorType.ORIGINATOR, "Guizhou Big Data Health Industry Group Co., Ltd. (贵州大数据健康产业集团有限公司)",
                          100 * M, "The originator undertakes to pay any shortfall of Senior A interest and scheduled principal",
                          provider_rating="AA+", kind=EnhancementKind.SHORTFALL_UNDERTAKING),
        ),
        data_effect="Hospital operating and claims data re-priced lessee default risk: average annual PD 1.5 % -> 0.9 %.",
    ),
    DealSpec(
        "E", "Hangzhou Hi-Tech Data Pledge Loan ABS 2025-1 (杭州高新数据资产质押贷款资产支持专项计划2025年第1期)",
        DealType.DATA_PLEDGE, 380 * M, 24, Exchange.SZSE, "Zheshang Securities", "Bank of Hangzhou (custodian)",
        DealStatus.ISSUED, dt.date(2025, 8, 14),
        assets=tuple(
            AssetSpec(data, sector, level, months, "pledged collateral, monthly extracts", holder=borrower,
                      counterparties=2, cp_offset=i, grade="general")
            for i, (borrower, _city, sector, data, level, months) in enumerate(_PLEDGE_BORROWERS)
        ),
        pool=tuple(
            PoolSpec(borrower, city, PoolAssetKind.LOAN, weight, i, rate=rate, default_probability=pd,
                     recovery_rate=recovery, repayment_source="data_revenue")
            for i, ((borrower, city, *_), weight, rate, pd, recovery) in enumerate(
                zip(
                    _PLEDGE_BORROWERS,
                    (0.14, 0.08, 0.16, 0.11, 0.09, 0.07, 0.12, 0.13, 0.10),
                    ("0.0510", "0.0560", "0.0480", "0.0530", "0.0550", "0.0580", "0.0520", "0.0500", "0.0490"),
                    ("0.0100", "0.0140", "0.0080", "0.0120", "0.0130", "0.0150", "0.0110", "0.0090", "0.0090"),
                    ("0.5000", "0.4500", "0.5500", "0.4500", "0.4500", "0.4000", "0.5000", "0.5000", "0.5500"),
                    strict=True,
                )
            )
        ),
        tranches=capital_structure(380 * M, "0.0205", mezzanine_coupon="0.0280", mezzanine_rating="AA"),
        guarantees=(
            GuaranteeSpec(GuarantorType.GUARANTEE_COMPANY, "Zhejiang Provincial Financing Guarantee Co., Ltd. (浙江省融资担保有限公司)",
                          342 * M, "Joint-liability guarantee of Senior A"),
        ),
        overcollateralisation="1.10",
        returned_with="Attach the PBoC unified registry filing certificates for the pledges of borrowers 7 to 9.",
    ),
    DealSpec(
        "F", "Beijing Public Data Authorised Operation Licence ABS 2025-1 (北京公共数据授权运营资产支持专项计划2025年第1期)",
        DealType.LICENCE_REVENUE, 300 * M, 36, Exchange.SSE, "CITIC Securities", "Bank of Beijing (custodian)",
        DealStatus.ISSUED, dt.date(2025, 9, 25),
        assets=(
            AssetSpec("Enterprise registration and credit public data (企业登记与信用公共数据)", "government_open",
                      8_800_000, 36, "3.4 million enterprises, 180 fields", counterparties=4),
            AssetSpec("Urban spatial and building public data (城市空间与建筑公共数据)", "government_open", 3_500_000,
                      24, "16,400 km2, building-level vectors", cp_offset=1, counterparties=3, growth=0.25),
        ),
        tranches=capital_structure(300 * M, "0.0208", senior=0.92, mezzanine=0.03, mezzanine_coupon="0.0265"),
        guarantees=(
            GuaranteeSpec(GuarantorType.BANK_GUARANTEE_LETTER, "Bank of Beijing Co., Ltd. (北京银行)", 100 * M,
                          "Irrevocable letter of guarantee covering senior interest and a first-loss amount"),
        ),
        payment_frequency="semiannual", paydown=LICENCE_SCHEDULE,
    ),
    DealSpec(
        "B", "Qianhai EV Charging Data Empowerment ABS 2025-1 (前海充电能源数据赋能资产支持专项计划2025年第1期)",
        DealType.EMPOWERMENT, 250 * M, 36, Exchange.SZSE, "China Merchants Securities", "Ping An Bank (custodian)",
        DealStatus.ISSUED, dt.date(2025, 10, 30),
        assets=(
            AssetSpec("EV charging session and grid-load data (充电桩运营与电网负荷数据)", "energy", 1_850_000, 30,
                      "14,600 charging piles, 52 million sessions", personal_info=True,
                      cp_offset=1, counterparties=3, growth=0.30),
        ),
        pool=tuple(
            PoolSpec(name, city, PoolAssetKind.LEASE, weight, 0, rate="0.0550", default_probability=pd,
                     recovery_rate="0.4500", default_probability_without_data=pd_without)
            for name, city, weight, pd, pd_without in _CHARGING_OPERATORS
        ),
        tranches=capital_structure(250 * M, "0.0207", mezzanine=0.0),
        guarantees=(
            GuaranteeSpec(GuarantorType.BANK_GUARANTEE_LETTER, "Ping An Bank Shenzhen Branch (平安银行深圳分行)",
                          225 * M, "Letter of guarantee for Senior A, drawn on any payment shortfall"),
        ),
        data_effect="Charging utilisation data priced each operator's lease: average annual PD 2.1 % -> 1.3 %.",
    ),
    DealSpec(
        "G", "Tianfu Consumer Data Empowerment Supply-Chain Receivables ABS 2025-1 (天府消费数据赋能供应链应收账款资产支持专项计划2025年第1期)",
        DealType.EMPOWERMENT, 190 * M, 24, Exchange.SZSE, "Guosen Securities", "Bank of Chengdu (custodian)",
        DealStatus.ISSUED, dt.date(2025, 11, 12),
        assets=(
            AssetSpec("Retail transaction and footfall data (零售交易与客流数据)", "consumer", 1_250_000, 40,
                      "1,900 stores, 210 million receipts a year", counterparties=4),
            AssetSpec("Sichuan agri-products wholesale price data (四川农产品批发价格数据)", "agriculture", 420_000, 30,
                      "86 markets, 1,400 products, daily prices", cp_offset=2, counterparties=2,
                      accounting="not_recognised"),
        ),
        pool=tuple(
            PoolSpec(name, city, PoolAssetKind.RECEIVABLE, weight, i % 2, rate="0.0480", default_probability=pd,
                     recovery_rate="0.4500", default_probability_without_data=pd_without, term_months=term)
            for i, (name, city, weight, pd, pd_without, term) in enumerate(_RETAILERS)
        ),
        tranches=capital_structure(190 * M, "0.0228", mezzanine_coupon="0.0310", mezzanine_rating="AA"),
        guarantees=(
            GuaranteeSpec(GuarantorType.GUARANTEE_COMPANY, "Sichuan Provincial Financing Re-guarantee Co., Ltd. (四川省融资再担保有限公司)",
                          171 * M, "Guarantee of Senior A principal and interest"),
        ),
        overcollateralisation="1.12",
        data_effect="Store-level sales data priced each retailer's receivables: average annual PD 2.1 % -> 1.2 %.",
    ),
)  # fmt: skip
