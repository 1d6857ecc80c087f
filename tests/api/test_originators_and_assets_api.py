"""Originators, data assets and data rights through the API: scoping, creation by the right people, error bodies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from deals.choices import DealStatus
from origination.models import DataAsset, DataRight, Originator
from tests.factories import DataAssetFactory, DataRightFactory, PoolAsset, make_uscc

from .conftest import assert_error, deal_in_status

pytestmark = pytest.mark.django_db

# A well-formed code whose GB 32100-2015 check character is 3; any other last character is invalid.
VALID_USCC = "91350100M000100Y43"
BAD_CHECK_USCC = "91350100M000100Y44"

ASSET_PAYLOAD = {
    "name": "Freight telematics 2019-2025",
    "category": "transport",
    "volume": "4 TB, 90 million trips",
    "update_frequency": "daily",
    "source": "Own fleet terminals",
    "classification_grade": "important",
    "has_personal_info": True,
    "deidentification_method": "k-anonymity, k=20",
    "book_value": "2500000.00",
    "quality_accuracy": "91.5",
    "quality_consistency": "88",
    "quality_completeness": "93",
    "quality_conformity": "95",
    "quality_timeliness": "86",
    "quality_accessibility": "80",
}


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- originators -----------------------------------------------------------------------------------------------


def test_originator_staff_see_only_their_own_company(client_for, user_a, originator_b):
    client = client_for(user_a)
    assert [o["name"] for o in _results(client.get("/api/originators/"))] == ["Alpha Transport Data Co."]
    assert_error(client.get(f"/api/originators/{originator_b.pk}/"), 404, "not_found")


def test_investors_see_only_issuers_of_public_deals(client_for, investor_staff, user_a, user_b):
    deal_in_status(user_a.originator, user_a, DealStatus.PUBLISHED)
    deal_in_status(user_b.originator, user_b, DealStatus.VALUED)
    client = client_for(investor_staff)
    assert [o["name"] for o in _results(client.get("/api/originators/"))] == ["Alpha Transport Data Co."]
    assert_error(client.get(f"/api/originators/{user_b.originator_id}/"), 404, "not_found")


def test_arranger_registers_an_originator_with_a_normalised_credit_code(client_for, arranger_user):
    payload = {
        "name": "Gamma Health Data Co.",
        "uscc": f"  {VALID_USCC.lower()} ",
        "ownership_type": "central_soe",
        "industry": "Healthcare",
        "region": "Fujian",
    }
    response = client_for(arranger_user).post("/api/originators/", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["uscc"] == VALID_USCC
    assert body["is_soe"] is True
    assert body["credit_rating"] == "NR"
    assert Originator.objects.get(pk=body["id"]).uscc == VALID_USCC


def test_an_invalid_credit_code_is_a_400_on_the_uscc_field(client_for, arranger_user):
    payload = {"name": "X", "uscc": BAD_CHECK_USCC, "ownership_type": "private", "industry": "I", "region": "R"}
    body = assert_error(client_for(arranger_user).post("/api/originators/", payload), 400, "invalid")
    assert list(body["fields"]) == ["uscc"]
    assert "'3'" in " ".join(body["fields"]["uscc"])  # names the expected check character
    assert not Originator.objects.filter(name="X").exists()


def test_a_duplicate_credit_code_is_refused(client_for, arranger_user, originator_a):
    payload = {"name": "Copy", "uscc": originator_a.uscc, "ownership_type": "private", "industry": "I", "region": "R"}
    body = assert_error(client_for(arranger_user).post("/api/originators/", payload), 400, "invalid")
    assert "uscc" in body["fields"]


@pytest.mark.parametrize("who", ["user_a", "compliance_user", "investor_staff"])
def test_only_the_arranger_registers_originators(request, client_for, who):
    payload = {"name": "Delta", "uscc": make_uscc(424242), "ownership_type": "private", "industry": "I", "region": "R"}
    assert_error(client_for(request.getfixturevalue(who)).post("/api/originators/", payload), 403, "forbidden")
    assert not Originator.objects.filter(name="Delta").exists()


# --- data assets -----------------------------------------------------------------------------------------------


def test_originator_never_sees_another_companys_data_assets(client_for, user_a, user_b):
    own = DataAssetFactory(originator=user_a.originator, name="A's data")
    other = DataAssetFactory(originator=user_b.originator, name="B's data")
    client = client_for(user_a)
    assert [a["id"] for a in _results(client.get("/api/data-assets/"))] == [own.pk]
    assert_error(client.get(f"/api/data-assets/{other.pk}/"), 404, "not_found")
    # Filtering by the other company's id does not reveal anything either.
    assert _results(client.get("/api/data-assets/", {"originator": user_b.originator_id})) == []


def test_investor_sees_only_assets_backing_public_deals(client_for, investor_staff, user_a):
    published = deal_in_status(user_a.originator, user_a, DealStatus.PUBLISHED)
    draft = deal_in_status(user_a.originator, user_a, DealStatus.DRAFT)
    public_asset = DataAssetFactory(originator=user_a.originator)
    hidden_asset = DataAssetFactory(originator=user_a.originator)
    for deal, asset in ((published, public_asset), (draft, hidden_asset)):
        PoolAsset.objects.create(
            deal=deal, obligor="X", kind="licence_revenue", principal=Decimal(1), maturity_date=dt.date(2030, 1, 1)
        ).data_assets.add(asset)
    client = client_for(investor_staff)
    assert [a["id"] for a in _results(client.get("/api/data-assets/"))] == [public_asset.pk]
    assert_error(client.get(f"/api/data-assets/{hidden_asset.pk}/"), 404, "not_found")


def test_originator_staff_register_an_asset_of_their_own_company(client_for, user_a):
    response = client_for(user_a).post("/api/data-assets/", ASSET_PAYLOAD)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["originator"] == user_a.originator_id
    assert body["originator_name"] == "Alpha Transport Data Co."
    assert body["book_value"] == "2500000.00"
    # (91.5 + 88 + 93 + 95 + 86 + 80) / 6 = 533.5 / 6 = 88.916... -> 88.92
    assert body["quality_mean"] == "88.92"
    assert DataAsset.objects.get(pk=body["id"]).originator_id == user_a.originator_id


def test_an_originator_cannot_register_an_asset_for_another_company(client_for, user_a, originator_b):
    payload = {**ASSET_PAYLOAD, "originator": originator_b.pk}
    body = assert_error(client_for(user_a).post("/api/data-assets/", payload), 400, "invalid")
    assert "originator" in body["fields"]
    assert not DataAsset.objects.exists()


def test_compliance_cannot_register_data_assets(client_for, compliance_user, originator_a):
    payload = {**ASSET_PAYLOAD, "originator": originator_a.pk}
    assert_error(client_for(compliance_user).post("/api/data-assets/", payload), 403, "forbidden")


def test_an_asset_with_an_out_of_range_score_is_refused_field_by_field(client_for, user_a):
    payload = {**ASSET_PAYLOAD, "quality_accuracy": "101", "category": "astrology"}
    body = assert_error(client_for(user_a).post("/api/data-assets/", payload), 400, "invalid")
    assert set(body["fields"]) == {"quality_accuracy", "category"}


def test_owner_updates_an_asset_and_others_cannot_reach_it(client_for, user_a, user_b):
    asset = DataAssetFactory(originator=user_a.originator, name="Old name")
    response = client_for(user_a).patch(f"/api/data-assets/{asset.pk}/", {"name": "New name", "quality_timeliness": 70})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "New name"
    asset.refresh_from_db()
    assert (asset.name, asset.quality_timeliness) == ("New name", Decimal("70"))
    assert_error(client_for(user_b).patch(f"/api/data-assets/{asset.pk}/", {"name": "Hijack"}), 404, "not_found")
    asset.refresh_from_db()
    assert asset.name == "New name"


def test_an_update_that_breaks_a_rule_is_refused_by_the_service(client_for, user_a):
    asset = DataAssetFactory(originator=user_a.originator, has_personal_info=False)
    # Sensitive personal information without personal information breaks the model's constraint.
    body = assert_error(
        client_for(user_a).patch(f"/api/data-assets/{asset.pk}/", {"has_sensitive_personal_info": True}),
        400,
        "invalid",
    )
    assert body["fields"]
    asset.refresh_from_db()
    assert asset.has_sensitive_personal_info is False


def test_data_assets_filter_by_category_and_grade(client_for, user_a):
    transport = DataAssetFactory(originator=user_a.originator, category="transport", classification_grade="general")
    energy = DataAssetFactory(originator=user_a.originator, category="energy", classification_grade="important")
    client = client_for(user_a)
    assert [a["id"] for a in _results(client.get("/api/data-assets/", {"category": "energy"}))] == [energy.pk]
    general = _results(client.get("/api/data-assets/", {"classification_grade": "general"}))
    assert [a["id"] for a in general] == [transport.pk]
    own = _results(client.get("/api/data-assets/", {"originator": user_a.originator_id}))
    assert {a["id"] for a in own} == {transport.pk, energy.pk}


def test_data_asset_list_has_a_bounded_number_of_queries(client_for, user_a, django_assert_max_num_queries):
    for _ in range(10):
        DataAssetFactory(originator=user_a.originator)
    client = client_for(user_a)
    with django_assert_max_num_queries(3):
        assert len(_results(client.get("/api/data-assets/"))) == 10


# --- data rights -----------------------------------------------------------------------------------------------

RIGHT_PAYLOAD = {
    "right_type": "processing_use",
    "holder": "Alpha Transport Data Co.",
    "certificate_no": "GZDE-2025-000777",
    "registry": "Guiyang Big Data Exchange",
    "registry_type": "data_exchange",
    "issued_on": "2025-01-01",
    "expires_on": "2030-01-01",
}


def test_owner_records_and_deletes_a_data_right(client_for, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    client = client_for(user_a)
    response = client.post("/api/data-rights/", {**RIGHT_PAYLOAD, "data_asset": asset.pk})
    assert response.status_code == 201, response.content
    right_id = response.json()["id"]
    assert [r["id"] for r in _results(client.get("/api/data-rights/", {"data_asset": asset.pk}))] == [right_id]
    assert client.delete(f"/api/data-rights/{right_id}/").status_code == 204
    assert not DataRight.objects.exists()


def test_a_right_that_expires_before_it_is_issued_is_refused(client_for, user_a):
    asset = DataAssetFactory(originator=user_a.originator)
    payload = {**RIGHT_PAYLOAD, "data_asset": asset.pk, "expires_on": "2024-12-31"}
    assert_error(client_for(user_a).post("/api/data-rights/", payload), 400, "invalid")
    assert not DataRight.objects.exists()


def test_another_company_cannot_see_add_or_delete_rights(client_for, user_a, user_b):
    asset = DataAssetFactory(originator=user_a.originator)
    right = DataRightFactory(data_asset=asset)
    client = client_for(user_b)
    assert _results(client.get("/api/data-rights/")) == []
    assert_error(client.get(f"/api/data-rights/{right.pk}/"), 404, "not_found")
    assert_error(client.delete(f"/api/data-rights/{right.pk}/"), 404, "not_found")
    body = assert_error(client.post("/api/data-rights/", {**RIGHT_PAYLOAD, "data_asset": asset.pk}), 400, "invalid")
    assert "data_asset" in body["fields"]
    assert DataRight.objects.count() == 1


def test_compliance_sees_rights_of_submitted_deals_but_cannot_delete_them(client_for, compliance_user, user_a):
    deal = deal_in_status(user_a.originator, user_a, DealStatus.IN_REVIEW)
    asset = DataAssetFactory(originator=user_a.originator)
    PoolAsset.objects.create(
        deal=deal, obligor="X", kind="licence_revenue", principal=Decimal(1), maturity_date=dt.date(2030, 1, 1)
    ).data_assets.add(asset)
    right = DataRightFactory(data_asset=asset)
    client = client_for(compliance_user)
    assert [r["id"] for r in _results(client.get("/api/data-rights/"))] == [right.pk]
    assert_error(client.delete(f"/api/data-rights/{right.pk}/"), 403, "forbidden")
    assert DataRight.objects.filter(pk=right.pk).exists()
