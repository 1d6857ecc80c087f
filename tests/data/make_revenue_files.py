"""Write the sample revenue files of the import tests and benchmark: 60 months x 20 counterparties.

    .venv/bin/python tests/data/make_revenue_files.py

Deterministic (fixed seed, fixed workbook timestamps): running it again gives
byte-identical files. The shape is what a data-licensing business looks like:
revenue grows about 1.2 % a month, dips in February (Spring Festival) and peaks
in December (year-end settlements), three large clients bring about half of it,
subscriptions are steady while API usage and one-off data product sales are
noisy, and contracts are renewed every two years under a new reference.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSV_PATH = HERE / "revenue_60m_20cp.csv"
XLSX_PATH = HERE / "revenue_60m_20cp.xlsx"
SEED = 20251120
FIRST_MONTH = dt.date(2021, 1, 1)
MONTHS = 60
HEADER = ["period", "amount", "revenue_type", "counterparty", "contract"]
MONTHLY_GROWTH = 0.012
BASE_MONTHLY_TOTAL = 2_400_000.0  # CNY, all counterparties, first month
# February dips with the Spring Festival; December peaks with year-end settlements.
SEASONALITY = {
    1: 0.97,
    2: 0.82,
    3: 1.00,
    4: 1.00,
    5: 1.01,
    6: 1.05,
    7: 0.98,
    8: 0.97,
    9: 1.02,
    10: 0.95,
    11: 1.03,
    12: 1.18,
}
# Month-to-month noise (log-normal sigma) by revenue type: subscriptions are steady, one-off sales are not.
NOISE = {"subscription": 0.03, "licence": 0.08, "service": 0.15, "api_usage": 0.22, "data_product_sale": 0.35}

# (counterparty, revenue type, relative weight): three large clients, then a long tail.
COUNTERPARTIES = [
    ("国家电网能源研究院有限公司", "licence", 30.0),
    ("中国平安财产保险股份有限公司", "api_usage", 22.0),
    ("上海浦东发展银行股份有限公司", "subscription", 18.0),
    ("招商局物流集团有限公司", "licence", 6.0),
    ("深圳市腾云科技有限公司", "api_usage", 5.0),
    ("杭州数澜信息技术有限公司", "data_product_sale", 4.5),
    ("北京交通发展研究院", "service", 4.0),
    ("广州地铁集团有限公司", "licence", 3.5),
    ("中国人寿保险股份有限公司", "subscription", 3.2),
    ("成都智慧城市运营有限公司", "service", 3.0),
    ("武汉光谷征信服务有限公司", "api_usage", 2.8),
    ("南京新能源汽车数据中心", "data_product_sale", 2.5),
    ("重庆两江物流数据有限公司", "licence", 2.2),
    ("苏州工业园区数据交易服务中心", "subscription", 2.0),
    ("青岛港口数据科技有限公司", "api_usage", 1.8),
    ("西安航天遥感技术有限公司", "data_product_sale", 1.6),
    ("天津滨海新区征信有限公司", "service", 1.4),
    ("厦门易联物流科技有限公司", "api_usage", 1.2),
    ("合肥城市大脑运营有限公司", "licence", 1.0),
    ("长沙星沙数据服务有限公司", "subscription", 0.8),
]
CONTRACT_PREFIX = {
    "licence": "LIC",
    "api_usage": "API",
    "subscription": "SUB",
    "data_product_sale": "DPS",
    "service": "SVC",
}


def month(index: int) -> dt.date:
    """The first day of the month `index` months after the first month."""
    year, month0 = divmod(FIRST_MONTH.month - 1 + index, 12)
    return dt.date(FIRST_MONTH.year + year, month0 + 1, 1)


def revenue_rows() -> list[dict]:
    """The 1,200 rows, in period then counterparty order; amounts are Decimals with 2 decimals."""
    rng = random.Random(SEED)
    total_weight = sum(weight for _, _, weight in COUNTERPARTIES)
    rows = []
    for cp_index, (name, revenue_type, weight) in enumerate(COUNTERPARTIES, start=1):
        share = weight / total_weight
        renewal_offset = rng.randrange(24)  # contracts started at different times before the history
        monthly_fee = BASE_MONTHLY_TOTAL * share
        for t in range(MONTHS):
            period = month(t)
            contract_year = month(t - (t + renewal_offset) % 24).year
            contract = f"{CONTRACT_PREFIX[revenue_type]}-{contract_year}-{cp_index:03d}"
            if revenue_type == "subscription":
                # A fixed fee, raised at each anniversary in step with the business; no seasonality.
                expected = monthly_fee * (1 + MONTHLY_GROWTH) ** (12 * (t // 12))
            else:
                expected = monthly_fee * (1 + MONTHLY_GROWTH) ** t * SEASONALITY[period.month]
            amount = expected * rng.lognormvariate(0.0, NOISE[revenue_type])
            rows.append(
                {
                    "period": period,
                    "amount": Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
                    "revenue_type": revenue_type,
                    "counterparty": name,
                    "contract": contract,
                }
            )
    rows.sort(key=lambda row: (row["period"], row["counterparty"]))
    return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    """UTF-8 CSV, periods as YYYY-MM, plain amounts."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow(
                [f"{row['period']:%Y-%m}", row["amount"], row["revenue_type"], row["counterparty"], row["contract"]]
            )


def write_xlsx(path: Path, rows: list[dict]) -> None:
    """The same rows in a workbook as Excel users keep them: real date cells and numeric amounts."""
    import openpyxl

    fixed = dt.datetime(2026, 1, 1)
    workbook = openpyxl.Workbook()
    workbook.properties.creator = "DataABS test data"
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    sheet = workbook.active
    sheet.title = "Revenue"
    sheet.append(HEADER)
    for row in rows:
        sheet.append([row["period"], float(row["amount"]), row["revenue_type"], row["counterparty"], row["contract"]])
    for period_cell, amount_cell, *_rest in sheet.iter_rows(min_row=2):
        period_cell.number_format = "yyyy-mm"
        amount_cell.number_format = "#,##0.00"
    buffer = io.BytesIO()
    workbook.save(buffer)
    # Rewrite the archive with fixed entry timestamps so the file is byte-identical run after run.
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", content)
            target.writestr(entry, content)


def main() -> None:
    rows = revenue_rows()
    write_csv(CSV_PATH, rows)
    write_xlsx(XLSX_PATH, rows)
    total = sum(row["amount"] for row in rows)
    print(f"wrote {CSV_PATH.name} and {XLSX_PATH.name}: {len(rows)} rows, total {total:,.2f} CNY")


if __name__ == "__main__":
    main()
