"""The deal pages: visibility, workflow buttons, the application form, query counts and the market figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from deals import workflow
from deals.choices import DealStatus, DealType, PoolAssetKind
from deals.models import AuditEvent, Deal, PoolAsset, Tranche
from origination.choices import OwnershipType
from tests.deals.compliance.helpers import pass_review
from tests.factories import DataAssetFactory, OriginatorFactory, originator_user, submittable_deal

pytestmark = pytest.mark.django_db


def _page(client, user, url):
    client.force_login(user)
    return client.get(url)


def _to_published(deal, originator, compliance, arranger):
    workflow.deal_submit(deal=deal, actor=originator)
    workflow.deal_start_review(deal=deal, actor=compliance)
    pass_review(deal, officer=compliance)
    workflow.deal_approve(deal=deal, actor=compliance)
    workflow.deal_start_valuation(deal=deal, actor=arranger)
    workflow.deal_complete_valuation(deal=deal)
    return workflow.deal_publish(deal=deal, actor=arranger)


def _issued(originator_user_, compliance, arranger, *, size, coupon, issue_date, deal_type=DealType.LICENCE_REVENUE):
    deal = submittable_deal(originator_user_, size=size, deal_type=deal_type)
    Tranche.objects.filter(deal=deal, payment_priority=1).update(coupon=coupon)
    _to_published(deal, originator_user_, compliance, arranger)
    workflow.deal_open_book(deal=deal, actor=arranger)
    return workflow.deal_issue(deal=deal, actor=arranger, issue_date=issue_date)


# --- visibility --------------------------------------------------------------------------------------------------


def test_originator_sees_its_own_deal_page_with_terms_tranches_and_audit_log(client, user_a):
    deal = submittable_deal(user_a)
    response = _page(client, user_a, reverse("deal_detail", args=[deal.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert deal.name in html
    assert "100,000,000.00" in html  # target size
    assert "90,000,000.00" in html  # senior tranche: 90 % of the deal
    assert "2.10 %" in html  # senior coupon 0.0210 shown as a percentage
    assert "AAA" in html
    assert "Audit log" in html


def test_originator_of_another_company_gets_404_on_the_deal_page(client, user_a, user_b):
    deal = submittable_deal(user_a)
    assert _page(client, user_b, reverse("deal_detail", args=[deal.pk])).status_code == 404


def test_originator_of_another_company_cannot_move_the_deal(client, user_a, user_b):
    deal = submittable_deal(user_a)
    client.force_login(user_b)
    response = client.post(reverse("deal_transition", args=[deal.pk]), {"action": "withdraw", "reason": "mine now"})
    assert response.status_code == 404
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT


def test_investor_gets_404_on_an_unpublished_deal_and_sees_a_published_one(
    client, user_a, compliance_user, arranger_user, investor_staff
):
    unpublished = submittable_deal(user_a)
    workflow.deal_submit(deal=unpublished, actor=user_a)
    assert _page(client, investor_staff, reverse("deal_detail", args=[unpublished.pk])).status_code == 404

    published = _to_published(submittable_deal(user_a), user_a, compliance_user, arranger_user)
    assert _page(client, investor_staff, reverse("deal_detail", args=[published.pk])).status_code == 200


def test_compliance_does_not_see_drafts(client, user_a, compliance_user):
    deal = submittable_deal(user_a)
    assert _page(client, compliance_user, reverse("deal_detail", args=[deal.pk])).status_code == 404


def test_sign_in_required_for_the_deal_page(client, user_a):
    deal = submittable_deal(user_a)
    response = client.get(reverse("deal_detail", args=[deal.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- workflow buttons ----------------------------------------------------------------------------------------------


def test_submit_button_moves_the_deal_and_the_audit_row_appears(client, user_a):
    deal = submittable_deal(user_a)
    page = _page(client, user_a, reverse("deal_detail", args=[deal.pk])).content.decode()
    assert 'value="submit"' in page  # the button is offered
    response = client.post(reverse("deal_transition", args=[deal.pk]), {"action": "submit"}, follow=True)
    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.status == DealStatus.SUBMITTED
    html = response.content.decode()
    rows = response.context["audit_rows"]
    assert [(r["sequence"], r["from_status"], r["to_status"]) for r in rows] == [
        (1, "", "draft"),
        (2, "draft", "submitted"),
    ]
    event = AuditEvent.objects.get(deal=deal, sequence=2)
    assert event.hash[:12] in html
    assert "Submit for review" in html
    assert "Submitted" in html


def test_request_changes_without_a_reason_shows_the_error_and_changes_nothing(client, user_a, compliance_user):
    deal = submittable_deal(user_a)
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    events_before = AuditEvent.objects.filter(deal=deal).count()
    client.force_login(compliance_user)
    response = client.post(
        reverse("deal_transition", args=[deal.pk]), {"action": "request_changes", "reason": "   "}, follow=True
    )
    assert response.status_code == 200
    assert "Give a reason." in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == DealStatus.IN_REVIEW
    assert AuditEvent.objects.filter(deal=deal).count() == events_before


def test_request_changes_with_a_reason_returns_the_deal_and_the_reason_is_in_the_log(client, user_a, compliance_user):
    deal = submittable_deal(user_a)
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    client.force_login(compliance_user)
    reason = "Attach the PIPIA report for the personal information in the pool."
    client.post(reverse("deal_transition", args=[deal.pk]), {"action": "request_changes", "reason": reason})
    deal.refresh_from_db()
    assert deal.status == DealStatus.CHANGES_REQUESTED
    client.force_login(user_a)
    html = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    assert reason in html


def test_a_move_the_role_may_not_make_is_refused_with_a_message_not_a_server_error(client, user_a, investor_staff):
    deal = submittable_deal(user_a)
    client.force_login(user_a)
    response = client.post(reverse("deal_transition", args=[deal.pk]), {"action": "approve"}, follow=True)
    assert response.status_code == 200
    assert "may not" in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT


def test_submit_of_an_incomplete_deal_shows_what_is_missing(client, user_a):
    deal = submittable_deal(user_a, months=5)
    client.force_login(user_a)
    response = client.post(reverse("deal_transition", args=[deal.pk]), {"action": "submit"}, follow=True)
    html = response.content.decode()
    assert "5 months of revenue history" in html
    deal.refresh_from_db()
    assert deal.status == DealStatus.DRAFT


def test_checklist_shows_each_submit_check_while_the_deal_is_editable(client, user_a):
    deal = submittable_deal(user_a, months=5)
    Tranche.objects.filter(deal=deal, payment_priority=2).delete()
    response = _page(client, user_a, reverse("deal_detail", args=[deal.pk]))
    states = {item["key"]: item["state"] for item in response.context["checklist"]}
    assert {key: states[key] for key in ("pool", "revenue", "tranches")} == {
        "pool": "ok",
        "revenue": "todo",
        "tranches": "todo",
    }
    # Without dates the date checks wait; the structure checks the deal meets are done.
    assert states["legal_maturity_date"] == "pending"
    assert states["payment_priority"] == states["pool_kind"] == "ok"
    workflow_ready = submittable_deal(user_a)
    workflow.deal_submit(deal=workflow_ready, actor=user_a)
    response = _page(client, user_a, reverse("deal_detail", args=[workflow_ready.pk]))
    assert response.context["checklist"] == []  # submitted: no longer editable


def test_buttons_offered_match_the_role(client, user_a, compliance_user):
    deal = submittable_deal(user_a)
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    compliance_actions = {t.action for t in _page(client, compliance_user, f"/deals/{deal.pk}/").context["transitions"]}
    assert compliance_actions == {"request_changes", "reject", "approve"}
    originator_actions = {t.action for t in _page(client, user_a, f"/deals/{deal.pk}/").context["transitions"]}
    assert originator_actions == {"withdraw"}


def test_arranger_issues_on_the_date_given(client, user_a, compliance_user, arranger_user):
    deal = _to_published(submittable_deal(user_a), user_a, compliance_user, arranger_user)
    workflow.deal_open_book(deal=deal, actor=arranger_user)
    client.force_login(arranger_user)
    client.post(reverse("deal_transition", args=[deal.pk]), {"action": "issue", "issue_date": "2025-06-30"})
    deal.refresh_from_db()
    assert deal.status == DealStatus.ISSUED
    assert deal.issue_date == dt.date(2025, 6, 30)


# --- the application ------------------------------------------------------------------------------------------------


# The structure fields as the form offers them (the model's defaults) and a browser posts them.
STRUCTURE_AS_POSTED = {
    "paydown_mode": "sequential",
    "structuring_ratio": "1.200",
    "dscr_trigger": "",
    "trigger_window_periods": "1",
    "trigger_cure_periods": "0",
    "controlled_amortisation_periods": "1",
    "residual_release": "after_rated_repaid",
    "pricing_date": "",
}


def test_originator_creates_a_draft_from_the_form(client, user_a):
    client.force_login(user_a)
    assert client.get(reverse("deal_create")).status_code == 200
    response = client.post(
        reverse("deal_create"),
        {
            "name": "Alpha traffic data licence ABS",
            "deal_type": DealType.LICENCE_REVENUE,
            "target_size": "300000000",
            "tenor_months": "36",
            "payment_frequency": "quarterly",
            "exchange": "SSE",
            "manager": "CITIC Securities",
            "trustee": "",
            "expected_issue_date": "",
            "legal_maturity_date": "",
            **STRUCTURE_AS_POSTED,
        },
    )
    deal = Deal.objects.get(name="Alpha traffic data licence ABS")
    assert response.status_code == 302
    assert response["Location"] == reverse("deal_detail", args=[deal.pk])
    assert deal.originator == user_a.originator
    assert deal.status == DealStatus.DRAFT
    assert deal.target_size == Decimal("300000000")
    assert AuditEvent.objects.filter(deal=deal, action="create").count() == 1


def test_deal_form_shows_field_errors_and_creates_nothing(client, user_a):
    client.force_login(user_a)
    response = client.post(reverse("deal_create"), {"name": "", "target_size": "-5", "tenor_months": "0"})
    assert response.status_code == 400
    assert Deal.objects.count() == 0
    assert response.context["form"].errors["name"]


def test_only_originators_open_the_new_deal_form(client, compliance_user):
    assert _page(client, compliance_user, reverse("deal_create")).status_code == 403


def test_originator_builds_the_pool_and_capital_structure_from_the_deal_page(client, user_a):
    client.force_login(user_a)
    deal = submittable_deal(user_a)
    asset = DataAssetFactory(originator=user_a.originator, name="Freight telematics")
    response = client.post(
        reverse("deal_pool_asset_add", args=[deal.pk]),
        {
            "pool-obligor": "Hubei Logistics Co.",
            "pool-obligor_city": "Wuhan",
            "pool-kind": PoolAssetKind.RECEIVABLE,
            "pool-principal": "20000000",
            "pool-rate_pct": "4.5",
            "pool-maturity_date": "2028-06-30",
            "pool-default_probability_pct": "1.2",
            "pool-recovery_rate_pct": "40",
            "pool-data_assets": [asset.pk],
        },
    )
    assert response.status_code == 302
    added = PoolAsset.objects.get(deal=deal, obligor="Hubei Logistics Co.")
    assert added.rate == Decimal("0.0450")  # typed as a percentage, stored as a fraction
    assert added.default_probability == Decimal("0.0120")
    assert list(added.data_assets.all()) == [asset]

    response = client.post(
        reverse("deal_tranche_add", args=[deal.pk]),
        {
            "tranche-name": "B",
            "tranche-tranche_class": "mezzanine",
            "tranche-size": "5000000",
            "tranche-coupon_pct": "3.2",
            "tranche-target_rating": "AA",
            "tranche-payment_priority": "2",  # taken by the subordinated tranche
        },
    )
    assert response.status_code == 400  # the service refuses the duplicate priority; the page says why
    html = response.content.decode()
    assert "already exists" in html
    assert "__all__" not in html
    assert not Tranche.objects.filter(deal=deal, name="B").exists()


def test_another_companys_data_asset_cannot_be_put_in_the_pool(client, user_a, originator_b):
    client.force_login(user_a)
    deal = submittable_deal(user_a)
    foreign = DataAssetFactory(originator=originator_b)
    response = client.post(
        reverse("deal_pool_asset_add", args=[deal.pk]),
        {
            "pool-obligor": "X",
            "pool-kind": PoolAssetKind.LOAN,
            "pool-principal": "1000",
            "pool-rate_pct": "0",
            "pool-maturity_date": "2028-06-30",
            "pool-default_probability_pct": "0",
            "pool-recovery_rate_pct": "0",
            "pool-data_assets": [foreign.pk],
        },
    )
    assert response.status_code == 400
    assert not PoolAsset.objects.filter(deal=deal, obligor="X").exists()


# --- editing the application ------------------------------------------------------------------------------------


def _form_data(form) -> dict:
    """What a browser posts for an unbound form: every field's initial value, as the page renders it."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        elif value is None:
            data[key] = ""
        elif isinstance(value, dt.date):
            data[key] = value.isoformat()
        else:
            data[key] = str(value)
    return data


def _audit_reasons(client, deal) -> list[tuple[str, str]]:
    rows = client.get(reverse("deal_detail", args=[deal.pk])).context["audit_rows"]
    return [(row["action"], row["reason"]) for row in rows]


def test_originator_edits_the_terms_and_structure_and_the_log_says_what_changed(client, user_a):
    deal = submittable_deal(user_a)
    client.force_login(user_a)
    page = client.get(reverse("deal_edit", args=[deal.pk]))
    assert page.status_code == 200
    data = _form_data(page.context["form"])
    assert (data["tenor_months"], data["paydown_mode"], data["structuring_ratio"]) == ("36", "sequential", "1.200")
    data.update(paydown_mode="pro_rata", dscr_trigger="1.05", trigger_window_periods="2")
    response = client.post(reverse("deal_edit", args=[deal.pk]), data)
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.paydown_mode, deal.dscr_trigger, deal.trigger_window_periods) == ("pro_rata", Decimal("1.05"), 2)
    assert _audit_reasons(client, deal)[-1] == (
        "Terms updated",
        "Changed the terms: Paydown from Sequential pass-through to Pro rata, sequential after a trigger; "
        "DSCR trigger (blank: no DSCR test) from — to 1.05; DSCR test window (payment periods) from 1 to 2.",
    )
    html = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    assert "Pro rata, sequential after a trigger" in html  # the structure is shown with the terms


def test_a_trigger_at_the_structuring_ratio_is_shown_on_its_field_and_nothing_is_saved(client, user_a):
    deal = submittable_deal(user_a)
    client.force_login(user_a)
    data = _form_data(client.get(reverse("deal_edit", args=[deal.pk])).context["form"])
    response = client.post(reverse("deal_edit", args=[deal.pk]), {**data, "dscr_trigger": "1.2", "manager": "CICC"})
    assert response.status_code == 400
    assert "The trigger must be below the structuring ratio (1.200)." in response.context["form"].errors["dscr_trigger"]
    deal.refresh_from_db()
    assert (deal.dscr_trigger, deal.manager) == (None, "CITIC Securities")
    assert deal.audit_events.count() == 1


def test_originator_edits_a_pool_asset_on_its_own_page(client, user_a):
    deal = submittable_deal(user_a)
    pool_asset = deal.pool_assets.get()
    PoolAsset.objects.filter(pk=pool_asset.pk).update(rate=Decimal("0.0450"))
    client.force_login(user_a)
    url = reverse("deal_pool_asset_edit", args=[deal.pk, pool_asset.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = _form_data(page.context["form"])
    assert (data["rate_pct"], data["cash_source"], data["principal"]) == ("4.5", "data_generated", "100000000.00")
    data.update(obligor_city="Shenzhen", collateral_kind="receivables", collateral_value="2000000")
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("deal_detail", args=[deal.pk]) + "#pool"
    pool_asset.refresh_from_db()
    assert (pool_asset.obligor_city, pool_asset.collateral_kind) == ("Shenzhen", "receivables")
    assert pool_asset.rate == Decimal("0.0450")  # shown as 4.5 %, saved back unchanged
    assert list(pool_asset.data_assets.all())  # the data assets stay linked
    action, reason = _audit_reasons(client, deal)[-1]
    assert action == "Pool asset changed"
    assert reason == (
        f"Changed pool asset “{pool_asset.obligor}” (#{pool_asset.pk}): Obligor city from — to Shenzhen; "
        "Other collateral from None to Receivables; Value of the other collateral (CNY) from 0.00 to 2000000."
    )


def test_a_pool_asset_edit_with_collateral_but_no_value_says_so_on_the_field(client, user_a):
    deal = submittable_deal(user_a)
    pool_asset = deal.pool_assets.get()
    client.force_login(user_a)
    url = reverse("deal_pool_asset_edit", args=[deal.pk, pool_asset.pk])
    data = _form_data(client.get(url).context["form"])
    response = client.post(url, {**data, "collateral_kind": "real_estate", "collateral_value": "0"})
    assert response.status_code == 400
    assert response.context["form"].errors["collateral_value"] == [
        "Give the other collateral's kind and its value together."
    ]
    pool_asset.refresh_from_db()
    assert pool_asset.collateral_kind == "none"


def test_originator_edits_a_tranche_and_a_taken_priority_is_refused_on_its_field(client, user_a):
    deal = submittable_deal(user_a)
    senior = deal.tranches.get(name="A")
    client.force_login(user_a)
    url = reverse("deal_tranche_edit", args=[deal.pk, senior.pk])
    data = _form_data(client.get(url).context["form"])
    assert data["coupon_pct"] == "2.1"
    refused = client.post(url, {**data, "payment_priority": "2"})
    assert refused.status_code == 400
    assert "already exists" in refused.content.decode()
    assert client.post(url, {**data, "coupon_pct": "2.35"}).status_code == 302
    senior.refresh_from_db()
    assert (senior.coupon, senior.payment_priority) == (Decimal("0.0235"), 1)


def test_originator_turns_an_enhancement_into_a_shortfall_undertaking_with_its_coverage(client, user_a):
    deal = submittable_deal(user_a)
    enhancement = deal.credit_enhancements.get()
    client.force_login(user_a)
    url = reverse("deal_enhancement_edit", args=[deal.pk, enhancement.pk])
    data = _form_data(client.get(url).context["form"])
    data.update(kind="shortfall_undertaking", amount="30000000", coverage="ultimate", provider_rating="AA")
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert refused.context["form"].errors["guarantor_type"]
    data.update(guarantor_type="parent_company", provider="Alpha Group", covered_classes=["senior"])
    assert client.post(url, data).status_code == 302
    enhancement.refresh_from_db()
    assert (enhancement.kind, enhancement.guarantor_type, enhancement.coverage) == (
        "shortfall_undertaking", "parent_company", "ultimate",
    )  # fmt: skip
    assert enhancement.covered_classes == ["senior"]


def test_originator_records_a_pledges_filing_on_its_edit_page(client, user_a):
    deal = submittable_deal(user_a, deal_type="data_pledge")
    pledge = deal.pledges.get()
    client.force_login(user_a)
    url = reverse("deal_pledge_edit", args=[deal.pk, pledge.pk])
    response = client.post(url, {"registry_filing_no": "PBOC-NEW-1", "filed_on": "2026-11-02"})
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert (pledge.registry_filing_no, pledge.filed_on) == ("PBOC-NEW-1", dt.date(2026, 11, 2))
    assert _audit_reasons(client, deal)[-1][0] == "Pledge filing changed"


def test_the_add_forms_take_the_new_inputs(client, user_a):
    deal = submittable_deal(user_a, deal_type="empowerment")
    client.force_login(user_a)
    page = client.get(reverse("deal_detail", args=[deal.pk]))
    assert {"cash_source", "repayment_source", "collateral_kind", "collateral_value"} <= set(
        page.context["pool_asset_form"].fields
    )
    assert {"covered_classes", "coverage", "provider_rating"} <= set(page.context["enhancement_form"].fields)
    response = client.post(
        reverse("deal_pool_asset_add", args=[deal.pk]),
        {
            "pool-obligor": "Xiangya Hospital", "pool-kind": PoolAssetKind.LEASE, "pool-principal": "8000000",
            "pool-rate_pct": "5.2", "pool-maturity_date": "2029-06-30", "pool-default_probability_pct": "0.9",
            "pool-recovery_rate_pct": "55", "pool-default_probability_without_data_pct": "1.5",
            "pool-cash_source": "", "pool-collateral_kind": "equipment", "pool-collateral_value": "3000000",
        },
    )  # fmt: skip
    assert response.status_code == 302
    lease = PoolAsset.objects.get(deal=deal, obligor="Xiangya Hospital")
    assert lease.default_probability_without_data == Decimal("0.0150")
    assert lease.cash_source == "data_empowered"  # left blank: derived from the deal type
    assert (lease.collateral_kind, lease.collateral_value) == ("equipment", Decimal("3000000"))
    response = client.post(
        reverse("deal_enhancement_add", args=[deal.pk]),
        {
            "ce-kind": "external_guarantee", "ce-guarantor_type": "bank_guarantee_letter", "ce-provider": "ICBC",
            "ce-amount": "20000000", "ce-covered_classes": ["senior", "subordinated"], "ce-coverage": "timely",
            "ce-provider_rating": "AAA",
        },
    )  # fmt: skip
    assert response.status_code == 302
    guarantee = deal.credit_enhancements.get(kind="external_guarantee")
    assert (guarantee.covered_classes, guarantee.provider_rating) == (["senior", "subordinated"], "AAA")


def test_a_submitted_deal_offers_no_edit_and_its_edit_pages_send_the_originator_back(client, user_a):
    deal = workflow.deal_submit(deal=submittable_deal(user_a), actor=user_a)
    tranche = deal.tranches.get(name="A")
    client.force_login(user_a)
    html = client.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    assert reverse("deal_edit", args=[deal.pk]) not in html
    assert reverse("deal_tranche_edit", args=[deal.pk, tranche.pk]) not in html
    for url in (reverse("deal_edit", args=[deal.pk]), reverse("deal_tranche_edit", args=[deal.pk, tranche.pk])):
        response = client.post(url, {"name": "Changed", "size": "1"}, follow=True)
        assert response.redirect_chain[-1][0] == reverse("deal_detail", args=[deal.pk])
        assert "This application can no longer be changed." in response.content.decode()
    tranche.refresh_from_db()
    assert tranche.size == Decimal("90000000.00")


def test_another_companys_part_has_no_edit_page(client, user_a, user_b):
    deal = submittable_deal(user_a)
    tranche = deal.tranches.get(name="A")
    client.force_login(user_b)
    assert client.get(reverse("deal_tranche_edit", args=[deal.pk, tranche.pk])).status_code == 404
    assert client.get(reverse("deal_edit", args=[deal.pk])).status_code == 404
    other = submittable_deal(user_a)
    client.force_login(user_a)
    assert client.get(reverse("deal_tranche_edit", args=[other.pk, tranche.pk])).status_code == 404


def test_the_officers_reason_stays_on_top_while_the_originator_edits(client, user_a, compliance_user):
    deal = submittable_deal(user_a)
    workflow.deal_submit(deal=deal, actor=user_a)
    workflow.deal_start_review(deal=deal, actor=compliance_user)
    workflow.deal_request_changes(deal=deal, actor=compliance_user, reason="Raise the senior coupon.")
    client.force_login(user_a)
    url = reverse("deal_tranche_edit", args=[deal.pk, deal.tranches.get(name="A").pk])
    client.post(url, {**_form_data(client.get(url).context["form"]), "coupon_pct": "2.5"})
    page = client.get(reverse("deal_detail", args=[deal.pk]))
    assert page.context["latest_reason"]["reason"] == "Raise the senior coupon."
    assert page.context["audit_rows"][-1]["action"] == "Tranche changed"


def test_the_audit_log_on_the_page_names_changed_fields_in_the_readers_language(client, user_a):
    deal = submittable_deal(user_a)
    client.force_login(user_a)
    data = _form_data(client.get(reverse("deal_edit", args=[deal.pk])).context["form"])
    client.post(reverse("deal_edit", args=[deal.pk]), {**data, "tenor_months": "48"})
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    reason = _audit_reasons(client, deal)[-1][1]
    assert "期限（月）" in reason
    assert "Tenor" not in reason


def test_the_submit_checklist_shows_what_an_impossible_deal_gets_wrong_and_where(client, user_a):
    deal = submittable_deal(user_a)
    # Priorities are 1-99 (docs/limits.md): the senior moves behind the subordinated class.
    Tranche.objects.filter(deal=deal, name="A").update(payment_priority=3)
    page = _page(client, user_a, reverse("deal_detail", args=[deal.pk]))
    item = next(i for i in page.context["checklist"] if i["key"] == "payment_priority")
    assert item["state"] == "todo"
    assert "“Sub” (payment priority 2) is paid before “A” (priority 3)" in item["detail"]
    assert "The subordinated class is paid last" in page.content.decode()


# --- query count ----------------------------------------------------------------------------------------------------


@pytest.fixture
def busy_deal(user_a, compliance_user):
    """A deal with 10 pool assets (each with its data asset) and 22 audit events, back with the originator."""
    deal = submittable_deal(user_a)
    for i in range(9):
        pool_asset = PoolAsset.objects.create(
            deal=deal,
            obligor=f"Obligor {i}",
            kind=PoolAssetKind.LICENCE_REVENUE,
            principal=Decimal("1000000"),
            maturity_date=dt.date(2029, 1, 1),
        )
        pool_asset.data_assets.add(DataAssetFactory(originator=user_a.originator))
    for _ in range(7):
        workflow.deal_submit(deal=deal, actor=user_a)
        workflow.deal_start_review(deal=deal, actor=compliance_user)
        workflow.deal_request_changes(deal=deal, actor=compliance_user, reason="More evidence.")
    return deal


def test_deal_page_queries_stay_bounded_with_many_pool_assets_and_events(
    client, user_a, busy_deal, django_assert_max_num_queries
):
    assert PoolAsset.objects.filter(deal=busy_deal).count() == 10
    assert AuditEvent.objects.filter(deal=busy_deal).count() == 22
    client.force_login(user_a)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("deal_detail", args=[busy_deal.pk]))
    assert response.status_code == 200
    assert len(response.context["audit_rows"]) == 22
    assert len(response.context["pool_assets"]) == 10


def test_deal_page_queries_do_not_grow_with_the_pool(client, user_a, compliance_user, busy_deal):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = submittable_deal(user_a)
    client.force_login(compliance_user)
    workflow.deal_submit(deal=small, actor=user_a)
    workflow.deal_submit(deal=busy_deal, actor=user_a)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("deal_detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("deal_detail", args=[busy_deal.pk]))
    assert len(many) == len(few)


# --- lists ------------------------------------------------------------------------------------------------------------


def test_deal_list_shows_only_own_company_deals(client, user_a, user_b):
    mine = submittable_deal(user_a)
    theirs = submittable_deal(user_b)
    html = _page(client, user_a, reverse("deal_list")).content.decode()
    assert reverse("deal_detail", args=[mine.pk]) in html
    assert reverse("deal_detail", args=[theirs.pk]) not in html


# --- market ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def market_2025(compliance_user, arranger_user):
    """Three deals issued in 2025, one in 2024, one published but not issued."""
    soe_a = originator_user(OriginatorFactory(ownership_type=OwnershipType.CENTRAL_SOE))
    soe_b = originator_user(OriginatorFactory(ownership_type=OwnershipType.LOCAL_SOE))
    private = originator_user(OriginatorFactory(ownership_type=OwnershipType.PRIVATE))
    people = (compliance_user, arranger_user)
    _issued(soe_a, *people, size=Decimal("1000000000"), coupon=Decimal("0.0210"), issue_date=dt.date(2025, 3, 20))
    _issued(
        private,
        *people,
        size=Decimal("800000000"),
        coupon=Decimal("0.0190"),
        issue_date=dt.date(2025, 7, 1),
        deal_type=DealType.EMPOWERMENT,
    )
    _issued(
        soe_b,
        *people,
        size=Decimal("690000000"),
        coupon=Decimal("0.0240"),
        issue_date=dt.date(2025, 11, 5),
        deal_type=DealType.DATA_PLEDGE,
    )
    _issued(soe_a, *people, size=Decimal("500000000"), coupon=Decimal("0.0300"), issue_date=dt.date(2024, 12, 1))
    _to_published(submittable_deal(soe_b, size=Decimal("400000000")), soe_b, *people)


def test_market_page_shows_the_2025_figures_of_issued_deals(
    client, investor_staff, market_2025, django_assert_max_num_queries
):
    client.force_login(investor_staff)
    with django_assert_max_num_queries(12):  # fixed: summaries, the issued list and its tranches
        response = client.get(reverse("market"))
    assert response.status_code == 200
    assert response.context["year"] == 2025
    html = response.content.decode()
    # 3 issued in 2025: 1.00 + 0.80 + 0.69 = 2.49 bn CNY; 2 data asset ABS, 1 empowerment;
    # 2 of 3 SOE-initiated = 66.7 %; senior coupons (2.10 + 1.90 + 2.40) / 3 = 2.13 %.
    assert 'data-figure="products_issued">3<' in html
    assert 'data-figure="total_issuance">2.49 bn CNY<' in html
    assert 'data-figure="data_asset_abs">2<' in html
    assert 'data-figure="empowerment_abs">1<' in html
    assert "66.7 % (2 of 3)" in html
    assert 'data-figure="average_coupon">2.13 %<' in html
    assert len(response.context["issued"]) == 3


def test_market_page_for_all_years_and_for_2024(client, investor_staff, market_2025):
    client.force_login(investor_staff)
    everything = client.get(reverse("market"), {"year": "all"}).content.decode()
    assert 'data-figure="products_issued">4<' in everything
    assert 'data-figure="total_issuance">2.99 bn CNY<' in everything
    only_2024 = client.get(reverse("market"), {"year": "2024"}).content.decode()
    assert 'data-figure="products_issued">1<' in only_2024
    assert 'data-figure="average_coupon">3.00 %<' in only_2024


def test_market_page_in_chinese_reports_issuance_in_yi_yuan(client, investor_staff, market_2025):
    client.force_login(investor_staff)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/market/"})
    html = client.get(reverse("market")).content.decode()
    assert 'data-figure="total_issuance">24.90 亿元<' in html


def test_market_page_with_no_issued_deal_says_so(client, arranger_user):
    response = _page(client, arranger_user, reverse("market"))
    assert response.status_code == 200
    assert "No deal was issued in this period." in response.content.decode()


def test_market_year_change_by_htmx_returns_only_the_figures(client, investor_staff, market_2025):
    client.force_login(investor_staff)
    response = client.get(reverse("market"), {"year": "2024"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert 'data-figure="products_issued">1<' in html
