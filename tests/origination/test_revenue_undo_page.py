"""The data asset page lists its revenue imports; its company undoes one with a button (htmx or a plain form)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from deals import workflow
from origination.models import RevenueImport, RevenueRecord
from origination.revenue_import import revenue_import
from tests.factories import DataAssetFactory, submittable_deal

pytestmark = pytest.mark.django_db


def _import(user, asset, *rows: str, name: str = "march.csv") -> RevenueImport:
    text = "\n".join(["period,amount,revenue_type,counterparty", *rows]) + "\n"
    return revenue_import(actor=user, data_asset=asset, uploaded_file=SimpleUploadedFile(name, text.encode()))


def _undo_url(revenue_file: RevenueImport) -> str:
    return reverse("revenue_import_undo", args=[revenue_file.data_asset_id, revenue_file.pk])


def test_the_page_lists_the_imports_with_an_undo_button_that_posts_through_htmx(client, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    revenue_file = _import(user_a, asset, "2025-03,100,licence,A", "2025-04,100,licence,A")
    client.force_login(user_a)
    html = client.get(reverse("data_asset_detail", args=[asset.pk])).content.decode()
    assert 'id="revenue-imports"' in html
    assert "march.csv" in html
    assert f'hx-post="{_undo_url(revenue_file)}"' in html
    assert "Delete the 2 revenue rows imported from march.csv?" in html


def test_the_button_undoes_the_import_and_htmx_reloads_the_asset_page(client, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    kept = _import(user_a, asset, "2025-01,100,licence,A", name="january.csv")
    revenue_file = _import(user_a, asset, "2025-03,100,licence,A", "2025-04,100,licence,A")
    client.force_login(user_a)

    response = client.post(_undo_url(revenue_file), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("data_asset_detail", args=[asset.pk])
    assert list(RevenueRecord.objects.values_list("source_import", flat=True)) == [kept.pk]
    page = client.get(reverse("data_asset_detail", args=[asset.pk])).content.decode()
    assert "The import of march.csv was undone: its 2 revenue rows were deleted." in page
    assert "Undone by alice at" in page
    assert f'hx-post="{_undo_url(revenue_file)}"' not in page


def test_without_javascript_the_form_redirects_to_the_asset_page(client, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    revenue_file = _import(user_a, asset, "2025-03,100,licence,A")
    client.force_login(user_a)
    response = client.post(_undo_url(revenue_file))
    assert response.status_code == 302
    assert response["Location"] == reverse("data_asset_detail", args=[asset.pk])
    assert not RevenueRecord.objects.exists()


def test_another_companys_originator_gets_404_and_nothing_changes(client, user_a, user_b):
    asset = DataAssetFactory(originator=user_a.originator)
    revenue_file = _import(user_a, asset, "2025-03,100,licence,A")
    client.force_login(user_b)
    assert client.post(_undo_url(revenue_file), HTTP_HX_REQUEST="true").status_code == 404
    other_asset = DataAssetFactory(originator=user_b.originator)
    url = reverse("revenue_import_undo", args=[other_asset.pk, revenue_file.pk])
    assert client.post(url).status_code == 404
    assert RevenueRecord.objects.count() == 1


def test_once_the_deal_is_submitted_the_page_says_why_and_offers_no_undo(client, user_a):
    deal = submittable_deal(user_a)
    asset = deal.pool_assets.get().data_assets.get()
    revenue_file = _import(user_a, asset, "2025-03,100,licence,A")
    workflow.deal_submit(deal=deal, actor=user_a)
    client.force_login(user_a)

    html = client.get(reverse("data_asset_detail", args=[asset.pk])).content.decode()
    assert "a submitted deal relies on this data asset&#x27;s revenue" in html
    assert _undo_url(revenue_file) not in html

    response = client.post(_undo_url(revenue_file), follow=True)
    assert "This import cannot be undone" in response.content.decode()
    assert RevenueRecord.objects.filter(source_import=revenue_file).count() == 1


def test_compliance_sees_the_imports_but_no_undo_button(client, user_a, compliance_user):
    deal = submittable_deal(user_a)
    asset = deal.pool_assets.get().data_assets.get()
    _import(user_a, asset, "2025-03,100,licence,A")
    workflow.deal_submit(deal=deal, actor=user_a)
    client.force_login(compliance_user)
    html = client.get(reverse("data_asset_detail", args=[asset.pk])).content.decode()
    assert "march.csv" in html
    assert "Undo import" not in html


def test_the_upload_page_lists_the_malformed_lines(client, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    client.force_login(user_a)
    text = "period,amount,revenue_type,counterparty\n2025-01,100,licence,A\n2025-02,100,licence,Beijing Data, Ltd.\n"
    file = SimpleUploadedFile("r.csv", text.encode(), content_type="text/csv")
    response = client.post(reverse("revenue_upload", args=[asset.pk]), {"file": file})
    assert response.status_code == 400
    assert [row["line"] for row in response.context["row_errors"]] == [3]
    html = response.content.decode()
    assert "Line 3: This row has 5 fields but the header has 4" in html
    assert 'id="bad-rows"' in html
    assert not RevenueRecord.objects.exists()
