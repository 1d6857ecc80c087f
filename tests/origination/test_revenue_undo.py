"""Undoing a revenue import: exactly its rows go, by its own company, until a submitted deal relies on the data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from deals import workflow
from deals.choices import DealStatus
from deals.models import Pledge, PoolAsset
from origination.errors import DomainError
from origination.models import RevenueImport, RevenueRecord
from origination.revenue_import import revenue_import
from origination.revenue_undo import revenue_import_undo
from tests.factories import DataAssetFactory, DealFactory, add_monthly_revenue, originator_user, submittable_deal

pytestmark = pytest.mark.django_db

HEADER = "period,amount,revenue_type,counterparty,contract"


def csv_file(*rows: str, name: str = "revenue.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\n".join([HEADER, *rows]) + "\n").encode())


def stored(asset) -> set[tuple]:
    return set(RevenueRecord.objects.filter(data_asset=asset).values_list("period", "counterparty", "amount"))


@pytest.fixture
def asset(originator_a):
    return DataAssetFactory(originator=originator_a)


def test_undo_deletes_exactly_the_rows_of_that_import(asset, user_a, originator_a):
    add_monthly_revenue(asset, 2, start=dt.date(2022, 1, 1))  # rows entered without an import
    first = revenue_import(
        actor=user_a, data_asset=asset, uploaded_file=csv_file("2024-01,100,licence,A,", "2024-02,200,licence,A,")
    )
    second = revenue_import(actor=user_a, data_asset=asset, uploaded_file=csv_file("2024-01,300,licence,B,"))
    other_asset = DataAssetFactory(originator=originator_a)
    revenue_import(actor=user_a, data_asset=other_asset, uploaded_file=csv_file("2024-01,100,licence,A,"))

    undone = revenue_import_undo(actor=user_a, revenue_import=first)

    assert stored(asset) == {
        (dt.date(2022, 1, 1), "Client A", Decimal("100000.00")),
        (dt.date(2022, 2, 1), "Client A", Decimal("100000.00")),
        (dt.date(2024, 1, 1), "B", Decimal("300.00")),
    }
    assert stored(other_asset) == {(dt.date(2024, 1, 1), "A", Decimal("100.00"))}
    assert second.records.count() == 1
    assert (undone.undone_by, undone.is_undone) == (user_a, True)
    assert RevenueImport.objects.get(pk=first.pk).undone_at is not None
    assert RevenueImport.objects.get(pk=second.pk).undone_at is None


def test_undo_is_a_history_event_naming_who_and_how_many_rows(asset, user_a):
    file = revenue_import(
        actor=user_a, data_asset=asset, uploaded_file=csv_file("2024-01,100,licence,A,", "2024-02,200,licence,A,")
    )
    revenue_import_undo(actor=user_a, revenue_import=file)
    history = list(file.history.order_by("history_date", "history_id"))
    assert [(h.history_type, h.history_user) for h in history] == [("+", user_a), ("~", user_a)]
    assert history[1].undone_by == user_a
    assert history[1].history_change_reason == "undo: 2 revenue rows deleted"


def test_an_undone_file_can_be_imported_again(asset, user_a):
    rows = ("2024-01,100,licence,A,", "2024-02,200,licence,A,")
    first = revenue_import(actor=user_a, data_asset=asset, uploaded_file=csv_file(*rows))
    revenue_import_undo(actor=user_a, revenue_import=first)
    again = revenue_import(actor=user_a, data_asset=asset, uploaded_file=csv_file(*rows))
    assert again.records.count() == 2


def test_a_colleague_of_the_same_company_may_undo(asset, user_a, originator_a):
    colleague = originator_user(originator_a, username="alice-colleague")
    file = revenue_import(actor=user_a, data_asset=asset, uploaded_file=csv_file("2024-01,100,licence,A,"))
    assert revenue_import_undo(actor=colleague, revenue_import=file).undone_by == colleague
    assert not RevenueRecord.objects.exists()


@pytest.mark.parametrize("actor_fixture", ["user_b", "compliance_user", "arranger_user", "investor_staff"])
def test_no_one_outside_the_assets_company_may_undo(request, asset, user_a, actor_fixture):
    file = revenue_import(actor=user_a, data_asset=asset, uploaded_file=csv_file("2024-01,100,licence,A,"))
    with pytest.raises(DomainError) as caught:
        revenue_import_undo(actor=request.getfixturevalue(actor_fixture), revenue_import=file)
    assert (caught.value.code, caught.value.status_code) == ("forbidden", 403)
    assert RevenueRecord.objects.count() == 1
    assert not RevenueImport.objects.get(pk=file.pk).is_undone


def test_undo_twice_is_refused_the_second_time(asset, user_a):
    file = revenue_import(actor=user_a, data_asset=asset, uploaded_file=csv_file("2024-01,100,licence,A,"))
    revenue_import_undo(actor=user_a, revenue_import=file)
    with pytest.raises(DomainError) as caught:
        revenue_import_undo(actor=user_a, revenue_import=file)
    assert (caught.value.code, caught.value.status_code) == ("revenue_import_already_undone", 409)


# --- once a deal relies on the data ----------------------------------------------------------------------------


def _asset_of(deal):
    return deal.pool_assets.get().data_assets.get()


def test_undo_after_the_deal_is_submitted_is_refused_naming_the_deal(user_a):
    deal = submittable_deal(user_a)
    asset = _asset_of(deal)
    file = revenue_import(actor=user_a, data_asset=asset, uploaded_file=csv_file("2024-01,100,licence,A,"))
    workflow.deal_submit(deal=deal, actor=user_a)

    with pytest.raises(DomainError) as caught:
        revenue_import_undo(actor=user_a, revenue_import=file)

    assert (caught.value.code, caught.value.status_code) == ("revenue_import_in_use", 409)
    assert f"“{deal.name}”" in caught.value.detail
    assert "a submitted deal relies on this data asset's revenue" in caught.value.detail
    assert file.records.count() == 1
    assert not RevenueImport.objects.get(pk=file.pk).is_undone


def test_the_refusal_reads_in_chinese(user_a):
    deal = submittable_deal(user_a)
    file = revenue_import(actor=user_a, data_asset=_asset_of(deal), uploaded_file=csv_file("2024-01,100,licence,A,"))
    workflow.deal_submit(deal=deal, actor=user_a)
    with translation.override("zh-hans"), pytest.raises(DomainError) as caught:
        revenue_import_undo(actor=user_a, revenue_import=file)
    assert "无法撤销" in caught.value.detail
    assert f"“{deal.name}”" in caught.value.detail


def test_undo_while_the_deal_is_a_draft_is_allowed(user_a):
    deal = submittable_deal(user_a)
    file = revenue_import(actor=user_a, data_asset=_asset_of(deal), uploaded_file=csv_file("2024-01,100,licence,A,"))
    revenue_import_undo(actor=user_a, revenue_import=file)
    assert file.records.count() == 0


@pytest.mark.parametrize("status", sorted(set(DealStatus) - {DealStatus.DRAFT, DealStatus.WITHDRAWN}))
@pytest.mark.parametrize("link", ["pool", "pledge"])
def test_every_state_past_draft_keeps_the_import_whether_through_the_pool_or_a_pledge(
    asset, user_a, originator_a, status, link
):
    file = revenue_import(actor=user_a, data_asset=asset, uploaded_file=csv_file("2024-01,100,licence,A,"))
    deal = DealFactory(originator=originator_a, created_by=user_a, status=status)
    if link == "pool":
        PoolAsset.objects.create(
            deal=deal, obligor="X", kind="licence_revenue", principal=Decimal(1), maturity_date=dt.date(2030, 1, 1)
        ).data_assets.add(asset)
    else:
        Pledge.objects.create(deal=deal, data_asset=asset)
    with pytest.raises(DomainError) as caught:
        revenue_import_undo(actor=user_a, revenue_import=file)
    assert caught.value.code == "revenue_import_in_use"
    assert file.records.count() == 1


def test_a_submitted_deal_on_another_asset_does_not_block(asset, user_a):
    workflow.deal_submit(deal=submittable_deal(user_a), actor=user_a)
    file = revenue_import(actor=user_a, data_asset=asset, uploaded_file=csv_file("2024-01,100,licence,A,"))
    revenue_import_undo(actor=user_a, revenue_import=file)
    assert file.records.count() == 0


def test_a_deal_withdrawn_after_submission_still_keeps_the_import(user_a):
    deal = submittable_deal(user_a)
    file = revenue_import(actor=user_a, data_asset=_asset_of(deal), uploaded_file=csv_file("2024-01,100,licence,A,"))
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_withdraw(deal=deal, actor=user_a, reason="Pool to be rebuilt")
    with pytest.raises(DomainError) as caught:
        revenue_import_undo(actor=user_a, revenue_import=file)
    assert caught.value.code == "revenue_import_in_use"


def test_a_deal_withdrawn_while_a_draft_never_relied_on_the_data(user_a):
    deal = submittable_deal(user_a)
    file = revenue_import(actor=user_a, data_asset=_asset_of(deal), uploaded_file=csv_file("2024-01,100,licence,A,"))
    workflow.deal_withdraw(deal=deal, actor=user_a, reason="Not going ahead")
    revenue_import_undo(actor=user_a, revenue_import=file)
    assert file.records.count() == 0
