"""Object rules: writes follow the user's organisation, and a superuser gets no silent bypass."""

import pytest
import rules

from origination.errors import DomainError
from origination.services import data_asset_update
from tests.factories import DataAssetFactory, DealFactory

pytestmark = pytest.mark.django_db


def test_only_the_asset_owners_staff_may_upload_its_revenue(user_a, user_b, arranger_user, compliance_user):
    asset = DataAssetFactory(originator=user_a.originator)
    arranger_user.is_superuser = True
    assert rules.test_rule("origination.upload_revenue", user_a, asset)
    for other in (user_b, arranger_user, compliance_user):
        assert not rules.test_rule("origination.upload_revenue", other, asset)


def test_deal_is_edited_by_its_originator_only_while_editable(user_a, user_b, arranger_user):
    deal = DealFactory(originator=user_a.originator, created_by=user_a)
    assert rules.test_rule("deals.edit_deal", user_a, deal)
    assert not rules.test_rule("deals.edit_deal", user_b, deal)
    assert not rules.test_rule("deals.edit_deal", arranger_user, deal)
    deal.status = "submitted"
    assert not rules.test_rule("deals.edit_deal", user_a, deal)
    assert rules.test_rule("deals.author_deal", user_a, deal)


def test_arranger_may_correct_an_originators_asset_but_another_company_may_not(user_a, user_b, arranger_user):
    asset = DataAssetFactory(originator=user_a.originator, volume="1 TB")
    assert data_asset_update(actor=arranger_user, data_asset=asset, volume="2 TB").volume == "2 TB"
    with pytest.raises(DomainError) as exc:
        data_asset_update(actor=user_b, data_asset=asset, volume="3 TB")
    assert exc.value.code == "forbidden"
    asset.refresh_from_db()
    assert asset.volume == "2 TB"
