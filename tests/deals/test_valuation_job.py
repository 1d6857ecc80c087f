"""The valuation job on the database: workflow moves, stored result, product risk, idempotence, failure and retry."""

import datetime as dt
from decimal import Decimal

import pytest

from deals import valuation_jobs, workflow
from deals.choices import DealStatus
from deals.models import AuditEvent, PoolAsset, Tranche, ValuationRun
from deals.services import deal_create
from origination.jobs import JobStatus
from origination.models import RevenueRecord
from tests.deals.compliance.helpers import pass_review
from tests.factories import DataAssetFactory, register_rights

pytestmark = pytest.mark.django_db
M = Decimal("1000000")


def _approved_licence_deal(user, officer, *, monthly=Decimal("1000000")):
    """A 36-month licence deal of 40m whose data earned `monthly` CNY a month from three licensees for 36 months."""
    deal = deal_create(actor=user, name="Metro flow licence ABS", deal_type="licence_revenue", target_size=40 * M,
                       tenor_months=36, exchange="SSE", manager="CITIC Securities",
                       expected_issue_date=dt.date(2026, 1, 1))  # fmt: skip
    asset = DataAssetFactory(originator=user.originator)
    register_rights(asset)
    records = []
    for month in range(36):
        period = dt.date(2023 + month // 12, month % 12 + 1, 1)
        for name, share in (("Client A", Decimal("0.5")), ("Client B", Decimal("0.3")), ("Client C", Decimal("0.2"))):
            records.append(RevenueRecord(data_asset=asset, period=period, amount=monthly * share,
                                         revenue_type="licence", counterparty=name))  # fmt: skip
    RevenueRecord.objects.bulk_create(records)
    pool = PoolAsset.objects.create(deal=deal, obligor="Client A", kind="licence_revenue", principal=60 * M,
                                    maturity_date=dt.date(2029, 1, 1), default_probability=Decimal("0.008"))  # fmt: skip
    pool.data_assets.add(asset)
    Tranche.objects.create(deal=deal, name="A", tranche_class="senior", size=34 * M, coupon=Decimal("0.0200"),
                           target_rating="AAA", payment_priority=1)  # fmt: skip
    Tranche.objects.create(deal=deal, name="Sub", tranche_class="subordinated", size=6 * M, payment_priority=2)
    workflow.deal_submit(deal=deal, actor=user)
    workflow.deal_start_review(deal=deal, actor=officer)
    pass_review(deal, officer=officer, originator=user)
    workflow.deal_approve(deal=deal, actor=officer)
    return deal


@pytest.fixture
def request_valuation(django_capture_on_commit_callbacks):
    def _request(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return valuation_jobs.valuation_request(**kwargs)

    return _request


def test_valuation_moves_the_deal_to_valued_and_stores_the_result(user_a, compliance_user, arranger_user,
                                                                   request_valuation):  # fmt: skip
    deal = _approved_licence_deal(user_a, compliance_user)
    run = request_valuation(actor=arranger_user, deal=deal, n_paths=2000)
    run.refresh_from_db()
    deal.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED, run.error
    assert run.progress == 100.0
    assert deal.status == DealStatus.VALUED
    moves = list(AuditEvent.objects.filter(deal=deal).values_list("action", "actor_label").order_by("sequence"))
    assert moves[-2:] == [("start_valuation", moves[-2][1]), ("complete_valuation", "system")]
    result = run.result
    assert result["n_paths"] == 2000
    assert result["history"]["months"] == 36
    # Three licensees at 50/30/20 %: HHI = 0.25 + 0.09 + 0.04 = 0.38, top-1 share 0.5 (hand computed).
    assert result["history"]["hhi"] == pytest.approx(0.38, abs=1e-9)
    assert result["history"]["top1_share"] == pytest.approx(0.5, abs=1e-9)
    assert run.inputs["revenue_months"] == 36
    assert run.inputs["revenue_columns"] == 3
    senior = Tranche.objects.get(deal=deal, payment_priority=1)
    assert senior.product_risk_level.startswith("R")
    assert senior.product_risk_factors["inputs"]["rating"] == result["tranches"][0]["implied_rating"]


def test_running_the_task_twice_stores_one_result(user_a, compliance_user, arranger_user, request_valuation):
    deal = _approved_licence_deal(user_a, compliance_user)
    run = request_valuation(actor=arranger_user, deal=deal, n_paths=1000)
    run.refresh_from_db()
    valuation_jobs.valuation_execute(run_id=run.pk)  # a duplicate delivery
    again = ValuationRun.objects.get(pk=run.pk)
    assert again.attempts == 1
    assert again.finished_at == run.finished_at
    assert AuditEvent.objects.filter(deal=deal, action="complete_valuation").count() == 1


def test_a_failed_run_says_why_and_the_deal_can_be_retried(user_a, compliance_user, arranger_user, request_valuation,
                                                           monkeypatch):  # fmt: skip
    deal = _approved_licence_deal(user_a, compliance_user)

    def broken(*args, **kwargs):
        raise ValueError("revenue history is all zero")

    monkeypatch.setattr(valuation_jobs, "value_deal", broken)
    with pytest.raises(ValueError, match="all zero"):
        request_valuation(actor=arranger_user, deal=deal, n_paths=1000)
    run = ValuationRun.objects.get(deal=deal)
    deal.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert "revenue history is all zero" in run.error
    assert deal.status == DealStatus.COMPLIANCE_APPROVED
    monkeypatch.undo()
    retry = request_valuation(actor=arranger_user, deal=deal, n_paths=1000)
    retry.refresh_from_db()
    assert retry.status == JobStatus.SUCCEEDED
    deal.refresh_from_db()
    assert deal.status == DealStatus.VALUED


def test_only_the_arranger_starts_a_valuation(user_a, compliance_user, request_valuation):
    from origination.errors import DomainError

    deal = _approved_licence_deal(user_a, compliance_user)
    with pytest.raises(DomainError) as exc:
        request_valuation(actor=user_a, deal=deal)
    assert exc.value.code == "forbidden"
    assert not ValuationRun.objects.exists()


def test_same_seed_gives_the_same_numbers(user_a, compliance_user):
    from deals.models import MarketParameters
    from deals.valuation import value_deal
    from deals.valuation_inputs import valuation_inputs_for

    deal = _approved_licence_deal(user_a, compliance_user)
    market = MarketParameters.objects.get()
    inputs, _extra = valuation_inputs_for(deal=deal, market=market, legal_haircut=0.0, legal_stop_life=0.02,
                                          open_findings=0)  # fmt: skip
    first = value_deal(inputs, n_paths=1000, seed=7).to_dict()
    second = value_deal(inputs, n_paths=1000, seed=7, chunk_size=137).to_dict()
    assert first["tranches"] == second["tranches"]
    assert first["dscr"] == second["dscr"]


def test_api_starts_a_run_and_returns_its_result_scoped_like_the_deal(user_a, user_b, compliance_user, arranger_user,
                                                                      api_as, django_capture_on_commit_callbacks):  # fmt: skip
    deal = _approved_licence_deal(user_a, compliance_user)
    assert api_as(user_a).post("/api/valuation-runs/", {"deal": deal.pk}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        started = api_as(arranger_user).post("/api/valuation-runs/", {"deal": deal.pk, "n_paths": 1000})
    assert started.status_code == 202, started.json()
    run_id = started.json()["id"]
    latest = api_as(user_a).get(f"/api/valuation-runs/latest/{deal.pk}/").json()
    assert latest["id"] == run_id
    assert latest["status"] == "succeeded"
    assert latest["result"]["tranches"][0]["name"] == "A"
    assert api_as(user_b).get(f"/api/valuation-runs/{run_id}/").status_code == 404
    assert api_as(user_b).post("/api/valuation-runs/", {"deal": deal.pk}).status_code == 404
    again = api_as(arranger_user).post("/api/valuation-runs/", {"deal": deal.pk})
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"


def test_the_start_valuation_button_queues_a_run(user_a, compliance_user, arranger_user, client,
                                                 django_capture_on_commit_callbacks):  # fmt: skip
    deal = _approved_licence_deal(user_a, compliance_user)
    client.force_login(arranger_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/deals/{deal.pk}/transition/", {"action": "start_valuation"})
    deal.refresh_from_db()
    assert deal.status == DealStatus.VALUED
    assert ValuationRun.objects.get(deal=deal).status == JobStatus.SUCCEEDED


def test_recording_a_failure_closes_the_open_run_so_it_can_be_retried(user_a, compliance_user, arranger_user):
    deal = _approved_licence_deal(user_a, compliance_user)
    run = valuation_jobs.valuation_request(actor=arranger_user, deal=deal, n_paths=1000)  # enqueue never fires here
    workflow.deal_fail_valuation(deal=deal, actor=arranger_user, reason="worker pool down")
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert "arranger" in run.error
    assert valuation_jobs.valuation_request(actor=arranger_user, deal=deal, n_paths=1000).pk != run.pk


def test_a_run_given_up_after_its_attempts_moves_the_deal_back(user_a, compliance_user, arranger_user, settings):
    deal = _approved_licence_deal(user_a, compliance_user)
    run = valuation_jobs.valuation_request(actor=arranger_user, deal=deal, n_paths=1000)
    ValuationRun.objects.filter(pk=run.pk).update(attempts=settings.JOB_MAX_ATTEMPTS)
    valuation_jobs.valuation_execute(run_id=run.pk)
    run.refresh_from_db()
    deal.refresh_from_db()
    assert run.status == JobStatus.FAILED
    assert "Gave up after" in run.error
    assert deal.status == DealStatus.COMPLIANCE_APPROVED


def test_another_companys_book_value_cannot_move_this_deals_appraisal(user_a, user_b, compliance_user):
    """Issue 9 point 4: one originator typing 9 trillion as its asset's book value once moved another company's
    deal to an indicated value of 500 bn. The market method now reads only the arranger's register, and the
    cost method only the deal's own assets: the appraisal of A's deal is the same before and after."""
    from deals.valuation import value_deal
    from deals.valuation_inputs import valuation_inputs_for

    deal = _approved_licence_deal(user_a, compliance_user)
    own = deal.pool_assets.get().data_assets.get()

    def appraisal():
        inputs, _ = valuation_inputs_for(deal=deal, market=None, legal_haircut=0.0, legal_stop_life=0.0,
                                         open_findings=0, pricing_date=dt.date(2026, 1, 1))  # fmt: skip
        return inputs.appraisals, value_deal(inputs, n_paths=200).to_dict()["appraisal"]

    before_inputs, before = appraisal()
    DataAssetFactory(originator=user_b.originator, category=own.category, book_value=Decimal("9000000000000.00"))
    after_inputs, after = appraisal()
    assert before["assets"][0]["indicated_value"] > 0
    assert after == before
    assert [(a.key, a.cost_components, a.comparables) for a in after_inputs] == [
        (a.key, a.cost_components, a.comparables) for a in before_inputs
    ]
    assert [a.key for a in after_inputs] == [str(own.pk)]
