"""Revenue imports through the API: a malformed file names its lines; an import is listed and undone by its company."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deals import workflow
from origination.models import RevenueImport, RevenueRecord
from tests.factories import DataAssetFactory, submittable_deal

from .conftest import assert_error

pytestmark = pytest.mark.django_db

HEADER = "period,amount,revenue_type,counterparty,contract"


def _csv(*rows: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("revenue.csv", ("\n".join([HEADER, *rows]) + "\n").encode(), content_type="text/csv")


def _import(client, asset, *rows: str) -> dict:
    response = client.post(f"/api/data-assets/{asset.pk}/revenue-upload/", {"file": _csv(*rows)}, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize(
    ("bad_row", "words"),
    [
        pytest.param("2024-02,1500.00,licence,Beijing Data, Ltd.,C-2", "6 fields but the header has 5", id="comma"),
        pytest.param('2024-02,1500.00,licence,"Beijing Data,C-2', "never closed", id="unclosed quote"),
    ],
)
def test_a_malformed_upload_is_a_400_naming_the_line_and_saves_nothing(client_for, user_a, bad_row, words):
    asset = DataAssetFactory(originator=user_a.originator)
    response = client_for(user_a).post(
        f"/api/data-assets/{asset.pk}/revenue-upload/",
        {"file": _csv("2024-01,100,licence,A,C-1", bad_row, "2024-03,100,licence,C,C-3")},
        format="multipart",
    )
    body = assert_error(response, 400, "revenue_file_malformed")
    assert body["detail"].startswith("The file is not well-formed, so nothing was saved. Line 3: ")
    assert words in body["detail"]
    assert [(row["line"], row["column"]) for row in body["fields"]["rows"]] == [(3, "")]
    assert not RevenueRecord.objects.exists()
    assert not RevenueImport.objects.exists()


def test_the_malformed_upload_answers_in_chinese(client_for, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    response = client_for(user_a).post(
        f"/api/data-assets/{asset.pk}/revenue-upload/",
        {"file": _csv("2024-01,100,licence,A,C-1", "2024-02,1500.00,licence,Beijing Data, Ltd.,C-2")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    body = assert_error(response, 400, "revenue_file_malformed")
    assert "第 3 行" in body["detail"]


def test_the_owner_lists_and_undoes_an_import_and_exactly_its_rows_go(client_for, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    client = client_for(user_a)
    first = _import(client, asset, "2024-01,100,licence,A,", "2024-02,100,licence,A,")
    second = _import(client, asset, "2024-03,100,licence,A,")

    listed = client.get("/api/revenue-imports/", {"data_asset": asset.pk}).json()["results"]
    assert [row["id"] for row in listed] == [second["id"], first["id"]]
    assert (listed[1]["undone_at"], listed[1]["undone_by"]) == (None, None)

    response = client.post(f"/api/revenue-imports/{first['id']}/undo/")
    assert response.status_code == 200, response.content
    assert response.json()["undone_by"] == user_a.username
    assert response.json()["undone_at"]
    assert list(RevenueRecord.objects.values_list("source_import", flat=True)) == [second["id"]]


def test_another_companys_originator_cannot_undo_nor_see_the_import(client_for, user_a, user_b):
    asset = DataAssetFactory(originator=user_a.originator)
    created = _import(client_for(user_a), asset, "2024-01,100,licence,A,")
    other = client_for(user_b)
    assert_error(other.post(f"/api/revenue-imports/{created['id']}/undo/"), 404, "not_found")
    assert_error(other.get(f"/api/revenue-imports/{created['id']}/"), 404, "not_found")
    assert other.get("/api/revenue-imports/").json()["results"] == []
    assert RevenueRecord.objects.count() == 1
    assert not RevenueImport.objects.get(pk=created["id"]).is_undone


def test_undo_after_the_deal_is_submitted_is_a_409_and_keeps_the_rows(client_for, user_a):
    deal = submittable_deal(user_a)
    asset = deal.pool_assets.get().data_assets.get()
    client = client_for(user_a)
    created = _import(client, asset, "2024-01,100,licence,A,")
    workflow.deal_submit(deal=deal, actor=user_a)

    body = assert_error(client.post(f"/api/revenue-imports/{created['id']}/undo/"), 409, "revenue_import_in_use")
    assert deal.name in body["detail"]
    assert RevenueRecord.objects.filter(source_import=created["id"]).count() == 1


def test_compliance_sees_the_import_of_a_submitted_deal_but_may_not_undo(client_for, user_a, compliance_user):
    deal = submittable_deal(user_a)
    created = _import(client_for(user_a), deal.pool_assets.get().data_assets.get(), "2024-01,100,licence,A,")
    workflow.deal_submit(deal=deal, actor=user_a)
    client = client_for(compliance_user)
    assert client.get(f"/api/revenue-imports/{created['id']}/").status_code == 200
    assert_error(client.post(f"/api/revenue-imports/{created['id']}/undo/"), 403, "forbidden")


def test_investors_see_no_imports(client_for, user_a, investor_staff):
    _import(client_for(user_a), DataAssetFactory(originator=user_a.originator), "2024-01,100,licence,A,")
    assert client_for(investor_staff).get("/api/revenue-imports/").json()["results"] == []


def test_undo_is_not_a_get(client_for, user_a):
    created = _import(client_for(user_a), DataAssetFactory(originator=user_a.originator), "2024-01,100,licence,A,")
    assert client_for(user_a).get(f"/api/revenue-imports/{created['id']}/undo/").status_code == 405
    assert RevenueRecord.objects.count() == 1
