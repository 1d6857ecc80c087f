"""Version 1 of the privacy compliance checklist for each deal type (the items and legal bases are listed below).

The texts are frozen here on purpose: a later version is a new migration that
adds version 2 rows, so reviews built from version 1 keep their questions.
Legal terms are stated in Chinese first; the English is a working translation.
"""

import datetime

from django.db import migrations

EFFECTIVE_FROM = datetime.date(2026, 1, 1)

TEMPLATE_TITLES = {
    "licence_revenue": ("数据资产支持证券（数据许可收入）隐私与数据合规审查清单", "Privacy and data compliance checklist: data asset ABS (licence revenue)"),
    "data_pledge": ("数据资产支持证券（数据质押贷款及应收账款）隐私与数据合规审查清单", "Privacy and data compliance checklist: data asset ABS (data-pledge loans and receivables)"),
    "empowerment": ("数据资产赋能资产支持证券隐私与数据合规审查清单", "Privacy and data compliance checklist: data asset empowerment ABS"),
}

TRUE_SALE_QUESTIONS = {
    "licence_revenue": (
        "数据许可收入债权是否权属明确、可特定化，能否产生独立、可预测的现金流？许可合同是否存在禁止或限制转让的约定？"
        "转让是否已通知被许可方，是否构成真实出售并实现破产隔离？",
        "Are the licence receivables clearly owned and identifiable, and do they produce an independent, predictable "
        "cash flow? Do the licence contracts forbid or restrict assignment? Have the licensees been notified, and is "
        "the transfer a true sale that achieves bankruptcy remoteness?",
    ),
    "data_pledge": (
        "入池贷款或应收账款是否权属明确、可特定化，能否产生独立、可预测的现金流？转让是否已通知借款人，是否构成真实出售并实现"
        "破产隔离？作为担保的数据质押权是否随主债权一并转让？",
        "Are the pooled loans or receivables clearly owned and identifiable, and do they produce an independent, "
        "predictable cash flow? Have the borrowers been notified, and is the transfer a true sale that achieves "
        "bankruptcy remoteness? Does the data pledge securing each claim pass with it?",
    ),
    "empowerment": (
        "入池应收账款或租赁债权是否权属明确、可特定化，能否产生独立、可预测的现金流？转让是否已通知债务人，是否构成真实出售并"
        "实现破产隔离？",
        "Are the pooled receivables or lease claims clearly owned and identifiable, and do they produce an "
        "independent, predictable cash flow? Have the obligors been notified, and is the transfer a true sale that "
        "achieves bankruptcy remoteness?",
    ),
}

# (code, section, responder, condition precedent, severity, title, legal basis, question, evidence): (zh, en) pairs.
BASE_ITEMS = [
    (
        "pi_lawful_basis", "personal_information", "originator", True, "high",
        ("个人信息处理的合法性基础与告知同意", "Lawful basis, notice and consent for personal information"),
        ("《中华人民共和国个人信息保护法》第十三条、第十四条、第十七条", "Personal Information Protection Law (PIPL) arts. 13, 14, 17"),
        (
            "底层数据中的个人信息依据何种合法性基础处理（取得个人同意，或第十三条所列为订立、履行合同所必需，为履行法定职责或者法定义务"
            "所必需等其他情形）？依赖同意的，同意是否在充分知情的前提下自愿、明确作出，告知是否符合第十七条的要求？",
            "On what lawful basis is the personal information in the underlying data processed (the individual's consent, "
            "or another ground of art. 13 such as performing a contract or a statutory duty)? Where consent is relied on, "
            "was it given voluntarily and explicitly on full notice, and does the notice meet art. 17?",
        ),
        (
            "现行及历史版本的隐私政策与用户协议；同意记录样本；取得同意的界面截图",
            "The privacy policy and user terms (current and past versions); sample consent records; screenshots of the consent flow",
        ),
    ),
    (
        "separate_consent", "personal_information", "originator", True, "high",
        ("敏感个人信息及向第三方提供个人信息的单独同意", "Separate consent for sensitive personal information and for provision to third parties"),
        ("《个人信息保护法》第二十三条、第二十八条、第二十九条", "PIPL arts. 23, 28, 29"),
        (
            "处理敏感个人信息（如行踪轨迹、医疗健康、金融账户），或向其他个人信息处理者（被许可方、出租人、计划管理人等）提供个人信息的，"
            "是否已就此取得个人的单独同意，并告知接收方的名称、处理目的、处理方式和个人信息的种类？",
            "Where sensitive personal information (whereabouts, health, financial accounts ...) is processed, or personal "
            "information is provided to another processor (licensees, lessors, the plan manager ...), has each individual's "
            "separate consent been obtained, after notice of the recipient, purpose, method and categories of information?",
        ),
        (
            "单独同意的文本与取得记录（按数据资产）；接收方清单",
            "The separate-consent texts and records of consent, per data asset; the list of recipients",
        ),
    ),
    (
        "pipia", "personal_information", "originator", True, "high",
        ("个人信息保护影响评估", "Personal information protection impact assessment (PIPIA)"),
        ("《个人信息保护法》第五十五条、第五十六条", "PIPL arts. 55, 56"),
        (
            "处理敏感个人信息、利用个人信息进行自动化决策、向其他个人信息处理者提供个人信息前，是否已进行个人信息保护影响评估？评估是否"
            "涵盖处理目的、处理方式等是否合法、正当、必要，对个人权益的影响及安全风险，所采取的保护措施是否合法、有效并与风险程度相适应？"
            "评估报告和处理情况记录是否至少保存三年？",
            "Was a personal information protection impact assessment carried out before processing sensitive personal "
            "information, automated decision-making, or providing personal information to other processors? Does it cover "
            "the lawfulness, legitimacy and necessity of the purpose and method, the impact on individuals and the security "
            "risks, and whether the safeguards are lawful, effective and proportionate? Are the report and the processing "
            "records kept for at least three years?",
        ),
        (
            "个人信息保护影响评估报告（按数据资产）及整改记录",
            "The PIPIA report for each data asset holding personal information, with remediation records",
        ),
    ),
    (
        "deidentification", "personal_information", "originator", False, "medium",
        ("去标识化与重新识别风险", "De-identification and re-identification risk"),
        (
            "《个人信息保护法》第五十一条、第七十三条；GB/T 37964-2019《信息安全技术 个人信息去标识化指南》",
            "PIPL arts. 51, 73; GB/T 37964-2019 Guide for de-identifying personal information",
        ),
        (
            "入池或用于定价的数据采用何种去标识化或匿名化方法？是否评估了与其他数据结合后重新识别特定自然人的风险，并采取了防止重新识别的"
            "技术和管理措施？",
            "Which de-identification or anonymisation method is applied to the data in the pool or used for pricing? Has the "
            "risk of re-identifying individuals when combined with other data been assessed, and which technical and "
            "organisational measures prevent it?",
        ),
        (
            "去标识化方案；重新识别风险评估或测试报告",
            "The de-identification design; the re-identification risk assessment or test report",
        ),
    ),
    (
        "minimum_necessity", "personal_information", "originator", False, "medium",
        ("最小必要与存储期限", "Minimum necessity and retention"),
        ("《个人信息保护法》第六条、第十九条", "PIPL arts. 6, 19"),
        (
            "收集和使用的个人信息是否限于实现处理目的的最小范围？存储期限是否为实现处理目的所必要的最短时间，期满后如何删除或匿名化？",
            "Is the personal information collected and used limited to the minimum needed for the purpose? Is it kept no "
            "longer than necessary, and how is it deleted or anonymised afterwards?",
        ),
        (
            "数据字段清单与处理目的对照表；数据留存与删除制度及执行记录",
            "The field inventory mapped to purposes; the retention and deletion policy with execution records",
        ),
    ),
    (
        "classification_risk_assessment", "data_security", "originator", True, "high",
        ("数据分类分级与重要数据风险评估", "Data classification and grading, and the risk assessment of important data"),
        (
            "《中华人民共和国数据安全法》第二十一条、第三十条；GB/T 43697-2024《数据安全技术 数据分类分级规则》",
            "Data Security Law (DSL) arts. 21, 30; GB/T 43697-2024 Rules for data classification and grading",
        ),
        (
            "各数据资产按 GB/T 43697-2024 确定为一般数据、重要数据还是核心数据？处理重要数据的，是否已定期开展风险评估，并向有关主管部门"
            "报送风险评估报告？",
            "Is each data asset graded general, important or core data under GB/T 43697-2024? Where important data is "
            "processed, has the periodic risk assessment been carried out and its report filed with the competent authority?",
        ),
        (
            "数据分类分级清单；重要数据识别结果；数据安全风险评估报告及报送回执",
            "The classification and grading inventory; the important-data identification; the data security risk "
            "assessment report and its filing receipt",
        ),
    ),
    (
        "cross_border", "data_security", "originator", True, "high",
        ("数据出境安全管理机制", "Cross-border transfer mechanism"),
        (
            "《个人信息保护法》第三十八条、第三十九条；《数据安全法》第三十一条；《促进和规范数据跨境流动规定》",
            "PIPL arts. 38, 39; DSL art. 31; Provisions on Promoting and Regulating Cross-border Data Flows (2024)",
        ),
        (
            "数据是否向境外提供或可被境外访问？如是，采用了何种出境机制（数据出境安全评估、个人信息保护认证、个人信息出境标准合同备案，"
            "或法定豁免情形），是否已取得个人的单独同意？",
            "Is any of the data provided to, or accessible from, outside mainland China? If so, which mechanism applies "
            "(CAC security assessment, personal information protection certification, the standard contract and its "
            "filing, or a statutory exemption), and has separate consent been obtained?",
        ),
        (
            "安全评估通过文件、认证证书或标准合同及备案回执；单独同意记录；或数据不出境的书面说明",
            "The security assessment approval, the certification, or the standard contract and its filing receipt; "
            "separate consent records; or a written statement that no data leaves mainland China",
        ),
    ),
    (
        "chain_of_title", "title", "originator", True, "high",
        ("数据资源持有权、数据加工使用权、数据产品经营权的权属链条", "Chain of title of the three data rights"),
        (
            "《中共中央 国务院关于构建数据基础制度更好发挥数据要素作用的意见》（“数据二十条”）第（三）条至第（五）条",
            "Opinions on Building Basic Data Systems (the \"Data 20 Articles\"), arts. (3) to (5)",
        ),
        (
            "三项数据权利各自的持有人、登记证书编号、登记机构和有效期如何？权利来源（原始取得、授权运营或受让）是否完整、可追溯？各项权利的"
            "有效期是否覆盖资产支持证券的法定到期日？",
            "Who holds each of the three data rights, under which registration certificate, at which registry and until "
            "when? Is each right's origin (original collection, authorised operation or acquisition) complete and "
            "traceable? Does every right last until the notes' legal maturity?",
        ),
        (
            "数据产权登记证书；授权运营协议或数据来源合同",
            "The data right registration certificates; authorised-operation agreements or data sourcing contracts",
        ),
    ),
    (
        "registration_pledge_filing", "title", "originator", True, "high",
        ("数据交易所登记与质押登记", "Exchange registration and pledge filing"),
        (
            "《中华人民共和国民法典》第四百四十条、第四百四十四条、第四百四十五条；《国务院关于实施动产和权利担保统一登记的决定》"
            "（国发〔2020〕18号）",
            "Civil Code arts. 440, 444, 445; State Council Decision on Unified Registration of Movable Property and Rights "
            "Security (Guo Fa [2020] No. 18)",
        ),
        (
            "数据产品是否已在数据交易所或公共资源交易中心登记挂牌？质押的数据资产（或转让的基础资产）是否已在中国人民银行征信中心动产融资"
            "统一登记公示系统办理登记？同一数据资产是否存在其他有效质押？",
            "Is the data product registered or listed at a data exchange or public resource trading centre? Are pledged "
            "data assets (or the assigned claims) registered in the PBoC Credit Reference Center's unified movable-property "
            "registry? Is any data asset pledged to another creditor?",
        ),
        (
            "数据交易所登记或挂牌证明；动产融资统一登记公示系统登记证明",
            "The exchange registration or listing certificate; the filing certificates of the unified registry",
        ),
    ),
    (
        "mlps", "data_security", "assessor", False, "medium",
        ("数据持有系统的网络安全等级保护测评", "Multi-level protection scheme (MLPS) certification of the holding system"),
        (
            "《中华人民共和国网络安全法》第二十一条；《数据安全法》第二十七条；GB/T 22239-2019《信息安全技术 网络安全等级保护基本要求》",
            "Cybersecurity Law art. 21; DSL art. 27; GB/T 22239-2019 Baseline for classified protection of cybersecurity",
        ),
        (
            "存储和处理底层数据的信息系统定为第几级，是否已向公安机关备案并通过最近一次等级测评（处理重要数据的系统一般不低于第三级）？",
            "At which MLPS level is the system that stores and processes the data classified, is it filed with the public "
            "security authority, and did it pass its latest assessment (level 3 or above is expected where important data "
            "is held)?",
        ),
        (
            "等级保护备案证明；最近一次等级测评报告",
            "The MLPS filing certificate; the latest MLPS assessment report",
        ),
    ),
    (
        "true_sale", "transaction", "manager", True, "high",
        ("真实出售与现金流的可转让性", "True sale and transferability of the cash flow"),
        (
            "《证券公司及基金管理公司子公司资产证券化业务管理规定》第三条、第二十四条；《民法典》第五百四十五条、第五百四十六条",
            "CSRC Provisions on the ABS Business of Securities Firms and Fund Management Subsidiaries arts. 3, 24; "
            "Civil Code arts. 545, 546",
        ),
        None,  # by deal type: TRUE_SALE_QUESTIONS
        (
            "基础资产买卖协议；债权转让通知及债务人确认；相关合同中的转让条款",
            "The asset sale agreement; notices of assignment and obligor acknowledgements; the transfer clauses of the "
            "underlying contracts",
        ),
    ),
    (
        "legal_opinion", "opinion", "law_firm", True, "high",
        ("律师事务所出具的数据合规专项法律意见书", "A law firm's data compliance legal opinion"),
        (
            "《个人信息保护法》《数据安全法》；证券交易所资产支持证券挂牌条件确认规则（法律意见书）",
            "PIPL; DSL; the stock exchanges' rules on confirming the listing conditions of ABS (legal opinion)",
        ),
        (
            "律师事务所是否就数据来源合法性、个人信息保护、数据安全、数据权属与可转让性出具了专项法律意见书？意见是否无保留；如有保留，"
            "保留事项是什么？",
            "Has a law firm issued a data compliance opinion on the lawfulness of the data's sources, personal information "
            "protection, data security, title and transferability? Is it unqualified, and if not, what are the "
            "qualifications?",
        ),
        ("经签字盖章的专项法律意见书", "The signed and sealed legal opinion"),
    ),
]

AUTOMATED_DECISION_ITEM = (
    "automated_decision", "personal_information", "originator", False, "medium",
    ("利用数据进行自动化决策的透明度与公平性", "Transparency and fairness of automated decision-making with the data"),
    ("《个人信息保护法》第二十四条", "PIPL art. 24"),
    (
        "利用数据对债务人进行风险定价的，决策是否透明、结果是否公平公正，是否存在对个人在交易价格等交易条件上实行不合理差别待遇的情形？",
        "Where the data prices the obligors' risk, is the decision-making transparent and the result fair, with no "
        "unreasonable differential treatment of individuals in prices or other terms?",
    ),
    (
        "风险定价模型说明；数据对违约率影响的测算；公平性检验记录",
        "The risk-pricing model description; the measured effect of the data on default rates; fairness test records",
    ),
)


def _items_for(deal_type):
    items = list(BASE_ITEMS)
    if deal_type == "empowerment":
        # The data prices the obligors: automated decision-making comes right after de-identification.
        items.insert(4, AUTOMATED_DECISION_ITEM)
    rows = []
    for code, section, responder, cp, severity, title, basis, question, evidence in items:
        if code == "true_sale":
            question = TRUE_SALE_QUESTIONS[deal_type]
        if code == "registration_pledge_filing" and deal_type == "empowerment":
            # The data is not the collateral of an empowerment pool: registration is checked, not a condition.
            cp, severity = False, "medium"
        rows.append((code, section, responder, cp, severity, title, basis, question, evidence))
    return rows


def load_v1(apps, schema_editor):
    Template = apps.get_model("deals", "ChecklistTemplate")
    Item = apps.get_model("deals", "ChecklistTemplateItem")
    for deal_type, (title_zh, title_en) in TEMPLATE_TITLES.items():
        template, created = Template.objects.get_or_create(
            deal_type=deal_type,
            version=1,
            defaults={
                "title_zh": title_zh,
                "title_en": title_en,
                "effective_from": EFFECTIVE_FROM,
                "notes": "Version 1: the items of docs/compliance.md.",
            },
        )
        if not created:
            continue
        Item.objects.bulk_create(
            Item(
                template=template,
                code=code,
                position=position,
                section=section,
                answered_by=responder,
                condition_precedent=cp,
                severity=severity,
                title_zh=title[0],
                title_en=title[1],
                legal_basis_zh=basis[0],
                legal_basis_en=basis[1],
                question_zh=question[0],
                question_en=question[1],
                evidence_required_zh=evidence[0],
                evidence_required_en=evidence[1],
            )
            for position, (code, section, responder, cp, severity, title, basis, question, evidence) in enumerate(
                _items_for(deal_type), start=1
            )
        )


def unload_v1(apps, schema_editor):
    Template = apps.get_model("deals", "ChecklistTemplate")
    Item = apps.get_model("deals", "ChecklistTemplateItem")
    Item.objects.filter(template__version=1, template__reviews__isnull=True).delete()
    Template.objects.filter(version=1, reviews__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0005_compliance_review"),
    ]

    operations = [
        migrations.RunPython(load_v1, unload_v1),
    ]
