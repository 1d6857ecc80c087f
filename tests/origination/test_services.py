"""Writes of the originator side: data assets and data rights."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from origination.errors import DomainError
from origination.models import DataAsset, DataRight
from origination.services import data_asset_create, data_asset_update, data_right_create, data_right_delete
from tests.factories import DataAssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Assertions read English messages; another test may leave a different language active."""
    with translation.override("en"):
        yield


SCORES = ("accuracy", "consistency", "completeness", "conformity", "timeliness", "accessibility")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def asset_fields(**overrides) -> dict:
    fields = {
        "name": "Ride-hailing trip records",
        "category": "transport",
        "volume": "3.2 TB, 40 million records",
        "update_frequency": "daily",
        "source": "Own platform",
    }
    fields |= {f"quality_{name}": Decimal("80") for name in SCORES}
    return fields | overrides


def right_fields(**overrides) -> dict:
    fields = {
        "right_type": "resource_holding",
        "holder": "Alpha Transport Data Co.",
        "certificate_no": "SZDE-2025-000123",
        "registry": "Shenzhen Data Exchange",
        "registry_type": "data_exchange",
        "issued_on": dt.date(2025, 3, 1),
        "expires_on": dt.date(2030, 3, 1),
    }
    return fields | overrides


def test_data_asset_create_registers_the_asset_for_the_company(user_a, originator_a):
    asset = data_asset_create(actor=user_a, originator=originator_a, **asset_fields())
    stored = DataAsset.objects.get(pk=asset.pk)
    assert stored.originator == originator_a
    assert stored.quality_mean == Decimal("80.00")


@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("value", ["0", "100"])
def test_quality_scores_at_the_bounds_are_accepted(user_a, originator_a, score, value):
    asset = data_asset_create(
        actor=user_a, originator=originator_a, **asset_fields(**{f"quality_{score}": Decimal(value)})
    )
    assert getattr(asset, f"quality_{score}") == Decimal(value)


@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("value", ["-0.01", "100.01", "150"])
def test_quality_scores_outside_0_to_100_are_refused(user_a, originator_a, score, value):
    with pytest.raises(DomainError) as caught:
        data_asset_create(actor=user_a, originator=originator_a, **asset_fields(**{f"quality_{score}": Decimal(value)}))
    assert caught.value.code == "invalid"
    assert set(caught.value.fields) == {f"quality_{score}"}
    assert not DataAsset.objects.exists()


def test_every_bad_score_is_named_at_once(user_a, originator_a):
    bad = {"quality_accuracy": Decimal("101"), "quality_timeliness": Decimal("-5")}
    with pytest.raises(DomainError) as caught:
        data_asset_create(actor=user_a, originator=originator_a, **asset_fields(**bad))
    assert set(caught.value.fields) == set(bad)


def test_sensitive_personal_information_without_personal_information_is_refused(user_a, originator_a):
    with pytest.raises(DomainError) as caught:
        data_asset_create(
            actor=user_a,
            originator=originator_a,
            **asset_fields(has_personal_info=False, has_sensitive_personal_info=True),
        )
    assert caught.value.code == "invalid"
    assert not DataAsset.objects.exists()


def test_sensitive_personal_information_with_personal_information_is_accepted(user_a, originator_a):
    asset = data_asset_create(
        actor=user_a, originator=originator_a, **asset_fields(has_personal_info=True, has_sensitive_personal_info=True)
    )
    assert asset.has_sensitive_personal_info


def test_data_asset_update_cannot_drop_personal_information_while_sensitive(user_a, originator_a):
    asset = data_asset_create(
        actor=user_a, originator=originator_a, **asset_fields(has_personal_info=True, has_sensitive_personal_info=True)
    )
    with pytest.raises(DomainError):
        data_asset_update(actor=user_a, data_asset=asset, has_personal_info=False)
    asset.refresh_from_db()
    assert asset.has_personal_info


def test_another_companys_user_may_not_register_an_asset_for_it(user_b, originator_a):
    with pytest.raises(DomainError) as caught:
        data_asset_create(actor=user_b, originator=originator_a, **asset_fields())
    assert caught.value.code == "forbidden"
    assert caught.value.status_code == 403
    assert not DataAsset.objects.exists()


@pytest.mark.parametrize("who", ["compliance_user", "investor_staff"])
def test_compliance_and_investors_may_not_register_assets(who, request, originator_a):
    with pytest.raises(DomainError) as caught:
        data_asset_create(actor=request.getfixturevalue(who), originator=originator_a, **asset_fields())
    assert caught.value.code == "forbidden"


def test_another_companys_user_may_not_change_an_asset(user_b, originator_a):
    asset = DataAssetFactory(originator=originator_a, name="Original name")
    with pytest.raises(DomainError) as caught:
        data_asset_update(actor=user_b, data_asset=asset, name="Hijacked")
    assert caught.value.code == "forbidden"
    asset.refresh_from_db()
    assert asset.name == "Original name"


def test_data_right_create_records_a_right(user_a, originator_a):
    asset = DataAssetFactory(originator=originator_a)
    right = data_right_create(actor=user_a, data_asset=asset, **right_fields())
    assert list(asset.rights.all()) == [right]


@pytest.mark.parametrize("expires_on", [dt.date(2025, 2, 28), dt.date(2025, 3, 1)])
def test_data_right_refuses_expiry_on_or_before_issue(user_a, originator_a, expires_on):
    asset = DataAssetFactory(originator=originator_a)
    with pytest.raises(DomainError) as caught:
        data_right_create(actor=user_a, data_asset=asset, **right_fields(expires_on=expires_on))
    assert caught.value.code == "invalid"
    assert not DataRight.objects.exists()


def test_another_companys_user_may_not_record_or_delete_rights(user_a, user_b, originator_a):
    asset = DataAssetFactory(originator=originator_a)
    with pytest.raises(DomainError) as caught:
        data_right_create(actor=user_b, data_asset=asset, **right_fields())
    assert caught.value.code == "forbidden"
    right = data_right_create(actor=user_a, data_asset=asset, **right_fields())
    with pytest.raises(DomainError):
        data_right_delete(actor=user_b, data_right=right)
    assert DataRight.objects.filter(pk=right.pk).exists()


def test_the_same_certificate_cannot_be_recorded_twice_in_one_registry(user_a, originator_a):
    asset = DataAssetFactory(originator=originator_a)
    data_right_create(actor=user_a, data_asset=asset, **right_fields())
    with pytest.raises(DomainError) as caught:
        data_right_create(actor=user_a, data_asset=asset, **right_fields(right_type="product_operation"))
    assert caught.value.code == "invalid"
    assert DataRight.objects.count() == 1
