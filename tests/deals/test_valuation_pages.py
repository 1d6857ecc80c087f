"""The valuation page: start and retry, the progress bar htmx polls, the results as a committee reads them, scoping,
the query count. The downloads are tested in test_valuation_export.py."""

# ruff: noqa: F811 - the deals come as fixtures imported from valuation_page_fixtures, used as test arguments

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from deals import valuation_jobs, workflow
from deals.choices import DealStatus
from deals.models import ValuationRun
from origination.jobs import JobStatus
from tests.deals.valuation_page_fixtures import (  # noqa: F401 - fixtures
    GUARANTOR,
    PATHS,
    approved_deal,
    charts,
    empowerment_deal,
    guaranteed_deal,
    page,
    pct,
    residual,
    restore,
    row_of,
    senior,
    shown_loss,
    text_of,
    texts,
    valued_deal,
)
from tests.factories import DataAssetFactory, add_monthly_revenue

pytestmark = pytest.mark.django_db


def _page(client, user, deal):
    return page(client, user, deal)


_pct = pct
_senior = senior


# --- starting from the page ----------------------------------------------------------------------------------------


def test_arranger_starts_the_valuation_from_the_page_and_reads_rating_and_coupon(
    client, approved_deal, arranger_user, django_capture_on_commit_callbacks
):
    page = _page(client, arranger_user, approved_deal).content.decode()
    start_url = reverse("deal_valuation_start", args=[approved_deal.pk])
    assert f'action="{start_url}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(start_url, {"n_paths": str(PATHS)})
    assert response.status_code == 302
    approved_deal.refresh_from_db()
    assert approved_deal.status == DealStatus.VALUED
    run = ValuationRun.objects.get(deal=approved_deal)
    assert run.status == JobStatus.SUCCEEDED
    assert run.n_paths == PATHS
    assert run.requested_by == arranger_user
    html = client.get(reverse("deal_valuation", args=[approved_deal.pk])).content.decode()
    senior = _senior(run.result)
    assert text_of(html, "data-senior-rating") == senior["implied_rating"]
    if senior["underlying_rating"] == senior["implied_rating"]:  # no support in this deal: one rating, said so
        assert "the same rating with or without support" in html
        assert "data-senior-underlying" not in html
    assert f'<span class="n" data-senior-coupon>{_pct(senior["suggested_coupon"]["coupon"])}</span>' in html
    assert "Why the coupon is where it is" in html
    assert "1.85 % to 2.58 %" in html  # the 2025 market band the coupon is read against


def test_the_deal_page_offers_the_arranger_the_start_button_and_later_the_run_status(
    client, approved_deal, arranger_user, user_a
):
    client.force_login(arranger_user)
    page = client.get(reverse("deal_detail", args=[approved_deal.pk])).content.decode()
    assert f'action="{reverse("deal_valuation_start", args=[approved_deal.pk])}"' in page
    assert 'id="valuation"' in page
    client.force_login(user_a)
    page = client.get(reverse("deal_detail", args=[approved_deal.pk])).content.decode()
    assert reverse("deal_valuation_start", args=[approved_deal.pk]) not in page  # only the arranger values
    assert "the arranger values the deal next" in page


def test_deal_page_shows_a_finished_run_and_links_to_it(client, valued_deal, user_a):
    deal, run = valued_deal
    client.force_login(user_a)
    page = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    assert "Valued on" in page
    assert "2,000 simulated paths" in page
    assert reverse("deal_valuation", args=[deal.pk]) in page


def test_an_originator_cannot_start_the_valuation_and_is_told_why(client, approved_deal, user_a):
    client.force_login(user_a)
    response = client.post(reverse("deal_valuation_start", args=[approved_deal.pk]), follow=True)
    assert response.status_code == 200
    assert "Your role may not" in response.content.decode()
    assert not ValuationRun.objects.filter(deal=approved_deal).exists()
    approved_deal.refresh_from_db()
    assert approved_deal.status == DealStatus.COMPLIANCE_APPROVED


def test_a_second_start_while_one_runs_is_refused_with_a_message(client, approved_deal, arranger_user):
    ValuationRun.objects.create(deal=approved_deal, status=JobStatus.RUNNING, progress=10)
    client.force_login(arranger_user)
    response = client.post(reverse("deal_valuation_start", args=[approved_deal.pk]), follow=True)
    assert "already running" in response.content.decode()
    assert ValuationRun.objects.filter(deal=approved_deal).count() == 1


def test_an_out_of_range_number_of_paths_is_refused_with_a_message(client, approved_deal, arranger_user):
    client.force_login(arranger_user)
    response = client.post(reverse("deal_valuation_start", args=[approved_deal.pk]), {"n_paths": "50"}, follow=True)
    assert "Between 1,000 and 200,000 paths." in response.content.decode()
    assert not ValuationRun.objects.filter(deal=approved_deal).exists()


# --- who sees it ---------------------------------------------------------------------------------------------------


def test_originator_of_another_company_gets_404_everywhere(client, valued_deal, user_b):
    deal, run = valued_deal
    client.force_login(user_b)
    for url in (
        reverse("deal_valuation", args=[deal.pk]),
        reverse("deal_valuation_summary", args=[deal.pk]),
        reverse("deal_valuation_progress", args=[deal.pk, run.pk]),
        reverse("deal_valuation_xlsx", args=[deal.pk, run.pk]),
        reverse("deal_valuation_csv", args=[deal.pk, run.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("deal_valuation_start", args=[deal.pk])).status_code == 404


def test_investor_gets_404_before_publication_and_sees_the_valuation_after(
    client, valued_deal, arranger_user, investor_staff
):
    deal, run = valued_deal
    assert _page(client, investor_staff, deal).status_code == 404
    assert client.get(reverse("deal_valuation_xlsx", args=[deal.pk, run.pk])).status_code == 404
    assert client.get(reverse("deal_valuation_summary", args=[deal.pk])).status_code == 404
    workflow.deal_publish(deal=deal, actor=arranger_user)
    page = _page(client, investor_staff, deal).content.decode()
    assert _senior(run.result)["implied_rating"] in page
    assert "Retry" not in page
    assert "Start valuation" not in page
    summary = client.get(reverse("deal_valuation_summary", args=[deal.pk])).content.decode()
    assert _pct(_senior(run.result)["suggested_coupon"]["coupon"]) in summary
    product = client.get(reverse("product_detail", args=[deal.pk])).content.decode()
    assert f'hx-get="{reverse("deal_valuation_summary", args=[deal.pk])}"' in product


# --- progress, results, failure ------------------------------------------------------------------------------------


def test_progress_partial_shows_the_bar_while_running_and_the_results_when_done(client, approved_deal, arranger_user):
    workflow.deal_start_valuation(deal=approved_deal, actor=arranger_user)
    run = ValuationRun.objects.create(deal=approved_deal, status=JobStatus.RUNNING, progress=40.0, n_paths=PATHS,
                                      started_at=timezone.now())  # fmt: skip
    client.force_login(arranger_user)
    url = reverse("deal_valuation_progress", args=[approved_deal.pk, run.pk])
    page = _page(client, arranger_user, approved_deal).content.decode()
    assert f'hx-get="{url}"' in page
    assert 'hx-trigger="every 1s"' in page
    partial = client.get(url, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert 'aria-valuenow="40"' in body
    assert "40 %" in body
    assert 'hx-trigger="every 1s"' in body
    assert 'hx-swap="outerHTML"' in body
    assert "HX-Refresh" not in partial.headers

    ValuationRun.objects.filter(pk=run.pk).update(status=JobStatus.QUEUED)  # the worker picks it up and finishes
    valuation_jobs.valuation_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done.headers["HX-Refresh"] == "true"  # the page reloads to draw the charts
    body = done.content.decode()
    assert "every 1s" not in body
    assert f"data-senior-rating>{_senior(run.result)['implied_rating']}<" in body
    plain = client.get(url)  # without htmx: the results themselves
    assert "HX-Refresh" not in plain.headers
    assert "data-senior-rating" in plain.content.decode()


def test_a_failed_run_shows_its_error_and_the_arranger_can_retry(
    client, approved_deal, arranger_user, user_a, django_capture_on_commit_callbacks
):
    ValuationRun.objects.create(deal=approved_deal, status=JobStatus.FAILED, attempts=1, finished_at=timezone.now(),
                                error="ValueError: revenue history is all zero")  # fmt: skip
    page = _page(client, arranger_user, approved_deal).content.decode()
    assert "The valuation failed" in page
    assert "revenue history is all zero" in page
    assert "Retry the valuation" in page
    assert f'action="{reverse("deal_valuation_start", args=[approved_deal.pk])}"' in page
    originator_page = _page(client, user_a, approved_deal).content.decode()
    assert "revenue history is all zero" in originator_page
    assert "Retry the valuation" not in originator_page

    client.force_login(arranger_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("deal_valuation_start", args=[approved_deal.pk]), {"n_paths": str(PATHS)})
    approved_deal.refresh_from_db()
    assert approved_deal.status == DealStatus.VALUED
    page = _page(client, arranger_user, approved_deal).content.decode()
    assert "data-senior-rating" in page
    assert "1 earlier run" in page  # the failed one stays on record


def test_results_show_the_history_facts_a_reader_can_check_by_hand(client, valued_deal, user_a):
    deal, run = valued_deal
    response = _page(client, user_a, deal)
    html = response.content.decode()
    # One licensee paying 100,000 CNY every month for 24 months: no variation, no drawdown, all concentration.
    stability = response.context["results"].stability
    assert stability.months == 24
    assert stability.cv == "0.0 %"
    assert stability.drawdown == "0.0 %"
    assert stability.top1 == "100.0 %"
    assert stability.top5 == "100.0 %"
    assert stability.hhi == "1.000"
    assert "Revenue stability" in html
    # Quality coefficient: the mean of the asset's six scores (90, 88, 92, 95, 85, 80) / 100 = 0.883.
    assert response.context["results"].appraisal.assets[0].quality == "0.883"
    for method in ("Income method", "Cost method", "Market method"):
        assert method in html
    # The fan chart continues the history: 2023-01..2024-12, then projected months from 2025-01.
    data = charts(html)
    fan = data["fan"]
    assert fan["labels"][:2] == ["2023-01", "2023-02"]
    assert fan["labels"][23:25] == ["2024-12", "2025-01"]
    assert fan["history"][:24] == [100000.0] * 24
    assert fan["history"][24] is None
    assert fan["p50"][23] == 100000.0  # the fan opens from the last known month
    assert len(fan["labels"]) == 24 + run.result["projection"]["months"]
    assert [round(v, 4) for v in data["losses"]["expected_loss"]] == [
        round(t["expected_loss"] * 100, 4) for t in run.result["tranches"]
    ]
    # Two DSCR histograms, before and after a trip, each adding up to 100 (the shares are sent unrounded).
    assert sum(data["dscr"]["share"]) == pytest.approx(100.0)
    before = run.result["dscr"]["histogram"]["counts"]
    assert data["dscr"]["share"][0] == pytest.approx(before[0] / sum(before) * 100)
    after = run.result["dscr"]["histogram_after_trip"]["counts"]
    if sum(after):
        assert sum(data["dscr_after"]["share"]) == pytest.approx(100.0)
        assert f"After a trip ({sum(after):,} path-periods)" in html
    else:
        assert "No payment period began with the trigger tripped" in html


def test_each_suggested_coupon_is_shown_as_the_sum_of_its_parts_and_the_residual_gets_none(client, valued_deal, user_a):
    deal, run = valued_deal
    response = _page(client, user_a, deal)
    rows = response.context["results"].coupons.rows
    priced = [t for t in run.result["tranches"] if t["suggested_coupon"]]
    assert [r.name for r in rows] == [t["name"] for t in priced]
    assert residual(run.result)["name"] not in [r.name for r in rows]  # the residual class is not priced
    for row, tranche in zip(rows, priced, strict=True):
        parts = tranche["suggested_coupon"]
        total = sum(parts[k] for k in ("benchmark", "rating_spread", "liquidity_premium", "tenor_premium",
                                       "support_premium", "legal_premium"))  # fmt: skip
        assert total == pytest.approx(parts["coupon"], abs=1e-12)
        assert row.coupon == _pct(parts["coupon"])
        assert [p.label for p in row.parts][4] == "Support premium"
        expected = "above" if parts["coupon"] > 0.0258 else "below" if parts["coupon"] < 0.0185 else "within"
        assert expected in row.position
    html = response.content.decode()
    # The benchmark's market date and the pricing date, both as stored.
    market = text_of(html, "data-market-date")
    assert run.result["market_as_of"] in market
    assert run.result["pricing_date"] in market


def test_the_valuation_page_queries_stay_bounded(client, valued_deal, user_a, django_assert_max_num_queries):
    deal, _run = valued_deal
    pool_asset = deal.pool_assets.get()
    for _ in range(3):  # more data assets behind the pool: their revenue is still read in one query
        asset = DataAssetFactory(originator=deal.originator)
        add_monthly_revenue(asset, 12)
        pool_asset.data_assets.add(asset)
    for _ in range(5):
        ValuationRun.objects.create(deal=deal, status=JobStatus.FAILED, error="ValueError: old")
    ValuationRun.objects.filter(deal=deal, status=JobStatus.SUCCEEDED).update(created_at=timezone.now())
    client.force_login(user_a)
    # Session, user, deal, the runs, the latest run with its result, revenue by month, the header's organisation.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("deal_valuation", args=[deal.pk]))
    assert response.status_code == 200
    assert len(response.context["earlier_runs"]) == 5


# --- what a rating committee reads -----------------------------------------------------------------------------------


def test_each_rated_class_shows_both_ratings_how_they_were_decided_and_its_loss_with_its_error(
    client, valued_deal, user_a
):
    deal, run = valued_deal
    html = _page(client, user_a, deal).content.decode()
    a = _senior(run.result)
    row = row_of(html, a["name"])
    assert f"{a['implied_rating']} " in row  # enhanced, then underlying, side by side
    assert f" {a['underlying_rating']} " in row
    decision = a["rating"]
    if decision["decided"]:
        assert "decided at 95 % confidence" in row
    else:
        best, worst = decision["range"]
        assert f"between {best} and {worst} at 95 % confidence: rated at the conservative end" in row
    if decision["method"] == "importance sampling":
        assert f"{decision['paths']:,} paths by importance sampling" in row
        plain = decision["plain_paths_for_same_error"]
        assert f"plain Monte Carlo would need {round(plain):,} paths for the same standard error" in row
    else:
        assert f"{decision['paths']:,} paths by plain Monte Carlo" in row
    # The loss keeps two significant digits (a senior's few parts in ten million would read 0.000 % otherwise),
    # and its standard error is shown with it.
    el_text, se_text = [x.strip() for x in row.split("± ")[0].split()[-2:-1]], row.split("± ")[1].split(" %")[0]
    assert shown_loss(el_text[0] + " %") == pytest.approx(a["expected_loss"], rel=0.05)
    assert shown_loss(se_text + " %") == pytest.approx(a["expected_loss_standard_error"], rel=0.05)
    assert "0.000 %" not in row


def test_the_residual_class_is_not_rated_and_gets_no_coupon(client, valued_deal, user_a):
    deal, run = valued_deal
    html = _page(client, user_a, deal).content.decode()
    sub = residual(run.result)
    assert sub["rated"] is False
    row = row_of(html, sub["name"])
    assert "Not rated" in row
    assert "it is not rated and gets no coupon suggestion" in row
    stress = html.split('id="stress-table"')[1].split("</table>")[0]
    assert stress.count("Not rated") == 1 + len(run.result["stress"])  # the base case and every scenario


def test_a_range_rating_is_named_by_both_ends_and_rated_at_the_conservative_one(client, valued_deal, user_a):
    deal, run = valued_deal

    def widen(result):  # the interval of the senior's stand-alone loss crosses the AAA bound
        under = _senior(result)["underlying"]
        under.update(decided=False, range=["AAA", "AA+"], rating="AA+")
        _senior(result)["underlying_rating"] = "AA+"

    restore(run, widen)
    row = row_of(_page(client, user_a, deal).content.decode(), _senior(run.result)["name"])
    assert "between AAA and AA+ at 95 % confidence: rated at the conservative end" in row
    assert "range" in row


def test_a_senior_lifted_by_its_guarantee_says_it_relies_on_its_guarantor(client, guaranteed_deal, user_a):
    deal, run = guaranteed_deal
    coverage = run.result["coverage"]
    a = _senior(run.result)
    # The guarantee lifts this senior: a rating better than its stand-alone one, the provider named.
    assert coverage["support_notches"] > 0
    assert coverage["relies_on"]["provider"] == GUARANTOR
    html = _page(client, user_a, deal).content.decode()
    reliance = text_of(html, "data-reliance")
    assert reliance.startswith(f"The senior relies on the guarantee of {GUARANTOR} (a guarantee company, rated AAA)")
    assert f"would rate {a['underlying_rating']}, not {a['implied_rating']}" in reliance
    assert f"removes {_pct(coverage['support_loss_share'], 1)} of its stand-alone expected loss" in reliance
    assert text_of(html, "data-coverage-verdict").startswith("The senior relies on the guarantee")
    assert "not needed" not in html
    assert text_of(html, "data-relies-on") == GUARANTOR
    # The tile puts the stand-alone rating next to the enhanced one; so does the ratings table.
    assert text_of(html, "data-senior-rating") == a["implied_rating"]
    assert text_of(html, "data-senior-underlying") == f"/ {a['underlying_rating']}"
    row = row_of(html, a["name"])
    assert row.index(a["implied_rating"]) < row.index(f" {a['underlying_rating']} ")
    notches = a["support_notches"]
    assert f"{notches} notch{'es' if notches > 1 else ''}; removes {_pct(a['support_loss_share'], 1)}" in row
    # Investors ask a premium for leaning on the guarantor: the build-up names it.
    premium = a["suggested_coupon"]["support_premium"]
    assert premium > 0
    line = texts(html, "data-support-premium")[0]
    assert line == f"Support premium {_pct(premium)}: the class relies on {GUARANTOR} (a guarantee company, rated AAA)."


def test_guarantees_are_called_not_needed_only_when_they_neither_lift_nor_remove_loss(client, valued_deal, user_a):
    deal, run = valued_deal
    assert run.result["coverage"]["support_capacity"] == 0
    html = _page(client, user_a, deal).content.decode()
    assert text_of(html, "data-coverage-verdict") == (
        "No outside party supports the senior: its rating stands on the pool's own cash."
    )
    assert "data-reliance" not in html  # nothing to warn about above the fold

    def support(share):
        def change(result):
            result["coverage"].update(support_capacity=1_000_000.0, support_notches=0, support_loss_share=share)

        return change

    restore(run, support(0.3))
    html = _page(client, user_a, deal).content.decode()
    verdict = text_of(html, "data-coverage-verdict")
    assert "does not change the senior's rating" in verdict
    assert "removes 30.0 % of the senior's stand-alone expected loss" in verdict
    assert "not needed" not in html
    restore(run, support(0.0))
    verdict = text_of(_page(client, user_a, deal).content.decode(), "data-coverage-verdict")
    assert "the guarantees are not needed to pay it" in verdict


def test_where_the_cash_comes_from_by_source_in_words(client, valued_deal, empowerment_deal, user_a):
    deal, run = valued_deal
    html = _page(client, user_a, deal).content.decode()
    # A licence deal: all of its cash is licence revenue, all of it data cash.
    assert run.result["cash_sources"]["shares"]["licence"] == pytest.approx(1.0)
    assert text_of(html, "data-data-share") == "100.0 %"
    assert 'data-source="licence"' in html
    assert "Fees that licensees pay to use the data." in html
    assert "Empowered by data" in html.split("Nothing comes from: ")[1]
    assert "its cash is the data's licence revenue" in html
    # An empowerment deal: the lease's cash is priced with the data, not paid by it.
    deal, run = empowerment_deal
    html = _page(client, user_a, deal).content.decode()
    assert text_of(html, "data-data-share") == "0.0 %"
    cash = html.split('id="cash-table"')[1].split("</table>")[0]
    assert 'data-source="empowered"' in cash
    assert "the data lowers their risk, it does not pay them" in cash
    assert "Empowered by data (an ordinary asset priced with data)" in html  # the pool's principal by source


def test_structure_and_target_schedule_are_shown_as_the_documents_write_them(client, valued_deal, user_a):
    deal, run = valued_deal
    structure = run.result["structure"]
    assert structure["mode"] == "sequential"
    assert structure["dscr_trigger"] is None
    html = _page(client, user_a, deal).content.decode()
    assert text_of(html, "data-paydown") == "Sequential pass-through"
    assert "No DSCR test." in html
    assert "The residual class receives nothing until every rated class is repaid." in html
    table = html.split('id="schedule-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == len(structure["target_balance"]) + 1  # the header, then one row a period
    first = structure["target_balance"][0]
    assert f"{first:,.0f}" in table
    assert _pct(first / structure["rated_notes"], 1) in table
    schedule = charts(html)["schedule"]
    assert schedule["balance"] == [structure["rated_notes"], *structure["target_balance"]]


def test_dscr_is_read_before_and_after_a_trip(client, valued_deal, user_a):
    deal, run = valued_deal
    d = run.result["dscr"]
    html = _page(client, user_a, deal).content.decode()
    assert text_of(html, "data-tripped") == _pct(d["probability_trigger_tripped"], 1)
    minimum = d["minimum_percentiles"]
    assert f"{minimum['p5']:.2f} / {minimum['p25']:.2f} / {minimum['p50']:.2f}" in html
    assert f"Before a trip ({sum(d['histogram']['counts']):,} path-periods)" in html
    assert "Paths with a period below the trigger level" not in html  # this deal has no DSCR test


def test_appraisal_says_the_methods_disagree_only_when_they_do(client, valued_deal, user_a):
    deal, run = valued_deal
    asset = run.result["appraisal"]["assets"][0]
    values = [v for v in (asset["income_value"], asset["cost_value"], asset["market_value"]) if v]
    html = _page(client, user_a, deal).content.decode()
    agreement = text_of(html, 'data-agreement="disagree"')
    assert max(values) / min(values) - 1 > 0.5  # beyond the 50 % the demo accepts
    assert agreement.startswith(f"The methods disagree: the highest value is {max(values) / min(values):.2f}×")
    assert "The methods agree" not in html
    assert "Fewer than 3 comparable transactions of its category." in html  # the market method could not apply

    def agree(result):
        a = result["appraisal"]["assets"][0]
        a.update(cost_value=a["income_value"] / 1.2, agreement="agree", divergence_ratio=0.2)
        result["appraisal"]["divergent_assets"] = 0

    restore(run, agree)
    html = _page(client, user_a, deal).content.decode()
    assert text_of(html, 'data-agreement="agree"').startswith("The methods agree within 20 %")
    assert "disagree" not in html

    def single(result):
        a = result["appraisal"]["assets"][0]
        a.update(cost_value=None, agreement="single_method", divergence_ratio=None, unavailable={"cost": "no_cost",
                 "market": "few_comparables"}, weights={"income": 1.0})  # fmt: skip
        result["appraisal"]["divergent_assets"] = 0

    restore(run, single)
    html = _page(client, user_a, deal).content.decode()
    assert (
        text_of(html, 'data-agreement="single_method"')
        == "One method only (income method): nothing to check it against."
    )
    assert "No historical cost of building the data was recorded." in html
    assert "agree within" not in html
    assert "disagree" not in html


def test_empowerment_shows_the_data_effect_and_claims_a_saving_only_beyond_the_noise(client, empowerment_deal, user_a):
    deal, run = empowerment_deal
    e = run.result["empowerment"]
    html = _page(client, user_a, deal).content.decode()
    assert _pct(e["average_pd_with_data"]) in html
    assert _pct(e["average_pd_without_data"]) in html
    assert "standard error of the difference" in html
    saving = text_of(html, "data-coupon-saving")
    if e["significant"] and round(e["coupon_saving_bps"]) > 0:
        assert saving == f"The data saves the senior {round(e['coupon_saving_bps'])} bp of coupon."
    assert "-0 bp" not in html

    def noise(result):
        result["empowerment"].update(significant=False, coupon_saving_bps=-0.0)

    restore(run, noise)
    html = _page(client, user_a, deal).content.decode()
    assert text_of(html, "data-coupon-saving").startswith(
        "The data's effect on the senior's expected loss is within the simulation's noise"
    )
    assert " bp" not in text_of(html, "data-coupon-saving")


def test_break_even_shows_the_default_multiple_for_a_pool(client, valued_deal, empowerment_deal, user_a):
    deal, run = empowerment_deal
    b = run.result["breakeven"]
    name = _senior(run.result)["name"]
    html = _page(client, user_a, deal).content.decode()
    table = html.split('id="breakeven-table"')[1].split("</table>")[0]
    assert "Break-even default rate (TDR)" in table
    multiple = b["breakeven_default_rates"][name] / b["base_default_rate"]  # TDR over BDR, by hand
    assert f"{multiple:,.1f}×" in table
    assert text_of(html, "data-bdr") == _pct(b["base_default_rate"])
    assert "stress-multiple view Chinese rating agencies use" in html
    # A licence deal has no pool to default: only the cut of collections.
    deal, run = valued_deal
    html = _page(client, user_a, deal).content.decode()
    table = html.split('id="breakeven-table"')[1].split("</table>")[0]
    assert "TDR" not in table
    assert _pct(run.result["breakeven"]["senior_haircut"], 1) in table


def test_the_comparables_view_fits_only_three_deals_or_more(client, valued_deal, user_a):
    deal, run = valued_deal
    assert run.result["pricing"]["comparables"] == []
    html = _page(client, user_a, deal).content.decode()
    assert text_of(html, "data-too-few").startswith("No deal had been issued on the platform by the pricing date")
    deals = [
        {"name": f"Issued ABS {i}", "issue_date": f"2025-0{i}-15", "coupon": 0.019 + i / 10_000, "benchmark": 0.014,
         "spread": 0.005 + i / 10_000, "wal_years": 1.0 + i / 10, "rating": "AAA", "support_type": "none",
         "excess_spread": 0.0005 + i / 10_000}
        for i in (1, 2, 3)
    ]  # fmt: skip

    def two(result):
        result["pricing"].update(comparables=deals[:2])

    restore(run, two)
    html = _page(client, user_a, deal).content.decode()
    assert text_of(html, "data-too-few").startswith("Too few comparables for a fit: 2 issued deals, at least 3")
    assert "Issued ABS 1" in html
    assert "51 bp" in html  # 0.0051 over the curve, in basis points

    def three(result):
        result["pricing"].update(comparables=deals, coefficients={"intercept": 0.0002, "per_year_of_wal": 0.001},
                                 residual_sd=0.0001, fitted_spread=0.0049, fitted_coupon=0.0184)  # fmt: skip

    restore(run, three)
    html = _page(client, user_a, deal).content.decode()
    assert "data-too-few" not in html
    assert text_of(html, "data-fitted-coupon") == "1.84 %"
    assert "+10.0 bp" in html  # per year of WAL


def test_stress_losses_carry_their_standard_errors_and_the_stop_is_named_with_its_horizon(client, valued_deal, user_a):
    deal, run = valued_deal
    html = _page(client, user_a, deal).content.decode()
    table = html.split('id="stress-table"')[1].split("</table>")[0]
    cells = len(run.result["tranches"]) * (1 + len(run.result["stress"]))
    assert table.count("± ") == cells
    annual, tenor = run.result["regulatory_stop_annual"], run.result["regulatory_stop_probability_tenor"]
    # Per year and within the 36-month tenor: 1 - (1 - annual)^3.
    assert tenor == pytest.approx(1 - (1 - annual) ** (run.result["tenor_months"] / 12), rel=1e-6)
    assert text_of(html, "data-stop-annual") == _pct(annual)
    assert text_of(html, "data-stop-tenor") == _pct(tenor)
    assert f"within the tenor ({run.result['tenor_months']} months)" in html


def test_a_result_of_an_earlier_engine_asks_for_a_new_valuation(client, valued_deal, user_a):
    deal, run = valued_deal
    restore(run, lambda result: result.update(engine_version="dataabs-valuation/1"))
    response = _page(client, user_a, deal)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Value the deal again" in html
    assert "data-senior-rating" not in html
    client.force_login(user_a)
    assert client.get(reverse("deal_valuation_xlsx", args=[deal.pk, run.pk])).status_code == 404


def test_the_product_summary_shows_both_ratings_and_the_reliance(client, guaranteed_deal, arranger_user, user_a):
    deal, run = guaranteed_deal
    client.force_login(user_a)
    summary = client.get(reverse("deal_valuation_summary", args=[deal.pk])).content.decode()
    a = _senior(run.result)
    assert f"<td>{a['implied_rating']}" in summary
    assert f"<td>{a['underlying_rating']}</td>" in summary
    assert text_of(summary, "data-reliance").startswith(f"The senior relies on the guarantee of {GUARANTOR}")
