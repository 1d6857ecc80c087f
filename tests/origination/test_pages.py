"""Sign-in, the home page of each role, the data asset page, the revenue upload and the language switch."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from deals import workflow
from deals.models import Pledge
from origination.models import RevenueRecord
from tests.factories import PASSWORD, DataAssetFactory, DataRightFactory, add_monthly_revenue, submittable_deal

pytestmark = pytest.mark.django_db


def _csv(text: str, name: str = "revenue.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


# --- sign-in and home ---------------------------------------------------------------------------------------------


def test_sign_in_with_the_form_lands_on_the_originator_home(client, user_a):
    deal = submittable_deal(user_a)
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    html = client.get(reverse("home")).content.decode()
    assert "Alpha Transport Data Co." in html  # the company, in the header and the title
    assert deal.name in html
    assert 'class="badge badge-draft"' in html
    assert reverse("deal_create") in html


def test_wrong_password_shows_an_error_and_stays_signed_out(client, user_a):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_home_requires_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_sign_out_is_a_post(client, user_a):
    client.force_login(user_a)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_originator_home_lists_its_deals_and_assets_not_another_companys(client, user_a, user_b):
    mine = submittable_deal(user_a)
    theirs = submittable_deal(user_b)
    client.force_login(user_a)
    response = client.get(reverse("home"))
    assert [d.pk for d in response.context["deals"]] == [mine.pk]
    assets = response.context["assets"]
    assert len(assets) == 1
    assert assets[0].revenue_months == 12
    html = response.content.decode()
    assert theirs.name not in html


def test_compliance_home_is_the_review_queue_oldest_first(client, user_a, user_b, compliance_user):
    first = submittable_deal(user_a)
    workflow.deal_submit(deal=first, actor=user_a)
    second = submittable_deal(user_b)
    workflow.deal_submit(deal=second, actor=user_b)
    workflow.deal_start_review(deal=second, actor=compliance_user)
    draft = submittable_deal(user_a)
    client.force_login(compliance_user)
    response = client.get(reverse("home"))
    assert [d.pk for d in response.context["queue"]] == [first.pk, second.pk]
    html = response.content.decode()
    assert "Review queue" in html
    assert reverse("deal_detail", args=[draft.pk]) not in html


def test_arranger_home_counts_deals_per_state(client, user_a, user_b, arranger_user):
    submittable_deal(user_a)
    submittable_deal(user_a)
    submitted = submittable_deal(user_b)
    workflow.deal_submit(deal=submitted, actor=user_b)
    client.force_login(arranger_user)
    response = client.get(reverse("home"))
    counts = {status.value: n for status, n in response.context["states"]}
    assert counts["draft"] == 2
    assert counts["submitted"] == 1
    assert counts["issued"] == 0
    assert response.context["total"] == 3
    assert f"{reverse('deal_list')}?status=draft" in response.content.decode()


# --- data asset page ------------------------------------------------------------------------------------------------


def test_data_asset_page_shows_attributes_rights_and_the_chart_data(client, user_a):
    asset = DataAssetFactory(originator=user_a.originator, name="Highway toll flows")
    add_monthly_revenue(asset, 3, start=dt.date(2025, 1, 1))
    DataRightFactory(data_asset=asset, right_type="resource_holding", expires_on=dt.date(2020, 1, 1),
                     issued_on=dt.date(2018, 1, 1), certificate_no="SZDE-OLD-1")  # fmt: skip
    DataRightFactory(data_asset=asset, right_type="processing_use", certificate_no="SZDE-NEW-2")
    client.force_login(user_a)
    response = client.get(reverse("data_asset_detail", args=[asset.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Highway toll flows" in html
    assert "SZDE-OLD-1" in html
    assert "SZDE-NEW-2" in html
    assert "Expired" in html  # the 2020 right
    assert "Not registered" in html  # no product operation right
    assert response.context["chart_data"] == {
        "labels": ["2025-01", "2025-02", "2025-03"],
        "values": [100000.0, 100000.0, 100000.0],
    }
    assert 'id="revenue-data"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "300,000.00" in html  # 3 months of 100,000 CNY


def test_data_asset_page_lists_its_pledges(client, user_a):
    deal = submittable_deal(user_a)
    asset = deal.pool_assets.get().data_assets.get()
    Pledge.objects.create(deal=deal, data_asset=asset, registry_filing_no="PBOC-2025-0042")
    client.force_login(user_a)
    html = client.get(reverse("data_asset_detail", args=[asset.pk])).content.decode()
    assert "PBOC-2025-0042" in html
    assert reverse("deal_detail", args=[deal.pk]) in html


def test_originator_of_another_company_gets_404_on_the_asset_and_its_upload_page(client, user_a, user_b):
    asset = DataAssetFactory(originator=user_a.originator)
    client.force_login(user_b)
    assert client.get(reverse("data_asset_detail", args=[asset.pk])).status_code == 404
    assert client.get(reverse("revenue_upload", args=[asset.pk])).status_code == 404
    response = client.post(reverse("revenue_upload", args=[asset.pk]), {"file": _csv("period,amount\n")})
    assert response.status_code == 404
    assert not RevenueRecord.objects.filter(data_asset=asset).exists()


def test_compliance_sees_the_asset_of_a_submitted_deal_but_gets_no_upload(client, user_a, compliance_user):
    deal = submittable_deal(user_a)
    workflow.deal_submit(deal=deal, actor=user_a)
    asset = deal.pool_assets.get().data_assets.get()
    client.force_login(compliance_user)
    response = client.get(reverse("data_asset_detail", args=[asset.pk]))
    assert response.status_code == 200
    assert reverse("revenue_upload", args=[asset.pk]) not in response.content.decode()
    assert client.get(reverse("revenue_upload", args=[asset.pk])).status_code == 404


# --- revenue upload -------------------------------------------------------------------------------------------------


def test_upload_with_bad_rows_lists_every_bad_row_and_saves_nothing(client, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    client.force_login(user_a)
    text = (
        "period,amount,revenue_type,counterparty,contract\n"
        "2025-01,120000.00,licence,China Mobile,C-1\n"
        "2025-02,-5,licence,China Mobile,C-1\n"
        "2025-13,100000,licence,China Mobile,C-1\n"
        "2025-04,100000,bribe,China Mobile,C-1\n"
    )
    response = client.post(reverse("revenue_upload", args=[asset.pk]), {"file": _csv(text)})
    assert response.status_code == 400
    rows = [(r["line"], r["column"]) for r in response.context["row_errors"]]
    assert rows == [(3, "amount"), (4, "period"), (5, "revenue_type")]
    html = response.content.decode()
    assert 'id="bad-rows"' in html
    assert "The file was not imported." in html
    assert "bribe" in html
    assert not RevenueRecord.objects.filter(data_asset=asset).exists()


def test_upload_of_a_file_that_is_not_a_spreadsheet_says_so(client, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    client.force_login(user_a)
    pdf = SimpleUploadedFile("report.pdf", b"%PDF-1.7 not revenue", content_type="application/pdf")
    response = client.post(reverse("revenue_upload", args=[asset.pk]), {"file": pdf})
    assert response.status_code == 400
    assert "PDF" in response.content.decode()
    assert response.context["row_errors"] == []


def test_upload_of_a_good_file_reports_the_row_count_and_returns_to_the_asset(client, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    client.force_login(user_a)
    text = (
        "period,amount,revenue_type,counterparty\n"
        "2025-01,120000.00,licence,China Mobile\n"
        "2025-02,80000.50,api_usage,State Grid\n"
        "2025-03,99999.50,subscription,China Mobile\n"
    )
    response = client.post(reverse("revenue_upload", args=[asset.pk]), {"file": _csv(text)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("data_asset_detail", args=[asset.pk])
    html = response.content.decode()
    assert "3 revenue rows imported from revenue.csv." in html
    assert RevenueRecord.objects.filter(data_asset=asset).count() == 3
    # 120,000.00 + 80,000.50 + 99,999.50 = 300,000.00
    assert "300,000.00" in html
    chart = json.loads(html.split('id="revenue-data" type="application/json">')[1].split("</script>")[0])
    assert chart["labels"] == ["2025-01", "2025-02", "2025-03"]


def test_upload_without_a_file_asks_for_one(client, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    client.force_login(user_a)
    response = client.post(reverse("revenue_upload", args=[asset.pk]), {})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]


# --- language -----------------------------------------------------------------------------------------------------


def test_language_switch_renders_the_home_page_in_chinese(client, user_a):
    submittable_deal(user_a)
    client.force_login(user_a)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")}, follow=True)
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "退出登录" in html  # Sign out
    assert "新建项目" in html  # New deal
    assert "草稿" in html  # the Draft status badge
    assert "Sign out" not in html
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")}, follow=True)
    assert "Sign out" in response.content.decode()


def test_pages_in_chinese_translate_choices_and_field_names(client, user_a):
    deal = submittable_deal(user_a)
    asset = deal.pool_assets.get().data_assets.get()
    client.force_login(user_a)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    deal_html = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    assert "优先级" in deal_html  # senior tranche class
    assert "审计日志" in deal_html  # audit log
    asset_html = client.get(reverse("data_asset_detail", args=[asset.pk])).content.decode()
    assert "数据资源持有权" in asset_html  # resource holding right
    assert "准确性" in asset_html  # accuracy
