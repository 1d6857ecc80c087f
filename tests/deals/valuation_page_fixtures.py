"""Deals valued through the services for the valuation page and download tests, and helpers to read the page.

Import the fixtures into a test module by name. Every deal goes the way users
take it: filed by its originator (with its guarantee, where it has one),
reviewed and approved by compliance, valued by the arranger over 2,000 paths.
"""

from __future__ import annotations

import copy
import html as html_lib
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from deals import services, valuation_jobs, workflow
from deals.choices import DealType
from deals.models import Deal, ValuationRun
from origination.jobs import JobStatus
from tests.deals.compliance.helpers import pass_review
from tests.factories import submittable_deal

PATHS = 2000
GUARANTOR = "Zhejiang Provincial Financing Guarantee Co., Ltd."


def approve(deal: Deal, user, officer) -> Deal:
    """Submit the deal, review it and approve it, as its originator and a compliance officer would."""
    workflow.deal_submit(deal=deal, actor=user)
    workflow.deal_start_review(deal=deal, actor=officer)
    pass_review(deal, officer=officer, originator=user)
    return workflow.deal_approve(deal=deal, actor=officer)


def approved(user, officer, *, months=24, size=Decimal("2000000.00"), deal_type=DealType.LICENCE_REVENUE):
    """A compliance-approved deal; a licence deal's one licensee paid 100,000 CNY a month for `months` months."""
    return approve(submittable_deal(user, months=months, size=size, deal_type=deal_type), user, officer)


def value(deal: Deal, arranger, capture) -> tuple[Deal, ValuationRun]:
    """The arranger values the deal over 2,000 paths; returns the deal as it is now and the finished run."""
    with capture(execute=True):
        run = valuation_jobs.valuation_request(actor=arranger, deal=deal, n_paths=PATHS)
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED, run.error
    return Deal.objects.get(pk=deal.pk), run


@pytest.fixture
def approved_deal(user_a, compliance_user):
    return approved(user_a, compliance_user)


@pytest.fixture
def valued_deal(approved_deal, arranger_user, django_capture_on_commit_callbacks):
    """The approved 2m CNY licence deal (90 % senior, 10 % residual, no outside support) valued; (deal, run)."""
    return value(approved_deal, arranger_user, django_capture_on_commit_callbacks)


@pytest.fixture
def guaranteed_deal(user_a, compliance_user, arranger_user, django_capture_on_commit_callbacks):
    """A 3m CNY licence deal on the same 100,000 CNY a month whose senior a AAA guarantee company guarantees.

    The revenue covers a 2.7m senior far less well than the 1.8m one above, so
    the senior leans on its guarantor; (deal, run).
    """
    size = Decimal("3000000.00")
    deal = submittable_deal(user_a, months=24, size=size)
    services.credit_enhancement_create(
        actor=user_a, deal=deal, kind="external_guarantee", guarantor_type="guarantee_company", provider=GUARANTOR,
        amount=Decimal("2700000.00"), covered_classes=["senior"], provider_rating="AAA",
    )  # fmt: skip
    return value(approve(deal, user_a, compliance_user), arranger_user, django_capture_on_commit_callbacks)


@pytest.fixture
def empowerment_deal(user_a, compliance_user, arranger_user, django_capture_on_commit_callbacks):
    """A 2m CNY lease to a hospital whose default probability the data lowers from 1.5 % to 0.9 %; (deal, run)."""
    deal = approved(user_a, compliance_user, deal_type=DealType.EMPOWERMENT)
    return value(deal, arranger_user, django_capture_on_commit_callbacks)


def page(client, user, deal):
    """The deal's valuation page as `user` sees it."""
    client.force_login(user)
    return client.get(reverse("deal_valuation", args=[deal.pk]))


def restore(run: ValuationRun, change) -> dict:
    """Store a changed copy of the run's result (`change` edits it in place) and return the copy."""
    result = copy.deepcopy(run.result)
    change(result)
    ValuationRun.objects.filter(pk=run.pk).update(result=result)
    return result


def texts(html: str, attribute: str) -> list[str]:
    """The text inside every element carrying `attribute`, tags dropped, entities decoded, spaces collapsed."""
    found = []
    for match in re.finditer(rf"<(\w+)[^>]*\s{attribute}(?:=\"[^\"]*\")?[^>]*>(.*?)</\1>", html, re.S):
        found.append(re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group(2)))).strip())
    return found


def text_of(html: str, attribute: str) -> str:
    """The text of the one element carrying `attribute`."""
    found = texts(html, attribute)
    assert len(found) == 1, (attribute, found)
    return found[0]


def row_of(html: str, tranche: str) -> str:
    """The text of the rating table's row of a tranche."""
    match = re.search(rf'<tr data-tranche="{re.escape(tranche)}">(.*?)</tr>', html, re.S)
    assert match, tranche
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))).strip()


def charts(html: str) -> dict:
    """The charts' data the page hands to its script."""
    return json.loads(html.split('id="valuation-chart-data" type="application/json">')[1].split("</script>")[0])


def pct(fraction, digits=2):
    return f"{fraction * 100:,.{digits}f} %"


def senior(result):
    return next(t for t in result["tranches"] if t["tranche_class"] == "senior")


def residual(result):
    return next(t for t in result["tranches"] if t["tranche_class"] == "subordinated")


def shown_loss(text: str) -> float:
    """A loss the page shows ('0.0000096 %') back as a fraction."""
    return float(text.strip().rstrip("%").strip().replace(",", "")) / 100
