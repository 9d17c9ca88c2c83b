"""The data-quality report: each check finds its problem records and leaves clean ones alone."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from attain.core.errors import NotFound, ValidationFailed
from attain.crm.models import Account, Deal, Product, Stage
from attain.crm.services import account_create, deal_create, exchange_rate_set, product_create
from attain.org.models import Person
from attain.org.selectors import org_today
from attain.quality.normalise import category_key, company_key
from attain.quality.selectors import quality_report
from tests.conftest import berlin


@pytest.fixture
def messy(alice: Person, stages: dict[str, Stage]) -> dict[str, int]:
    """A small CRM with exactly one instance of each problem, next to clean look-alikes."""
    ids: dict[str, int] = {}

    def account(name: str, industry: str) -> Account:
        return account_create(actor=None, name=name, industry=industry)

    acme = account("Acme GmbH", "Retail")
    acme_dup = account("ACME", "Retail")
    acme_dup2 = account("Acme, Inc.", "Retial")  # misspelt industry
    globex = account("Globex", "Retail")
    account("Globex Logistics", "RETAIL")  # case variant of Retail
    account("Initech", "Software")
    account("Initrode", "Software")  # similar name, different company: not a duplicate
    ids.update(acme=acme.pk, acme_dup=acme_dup.pk, acme_dup2=acme_dup2.pk)

    def product(name: str) -> Product:
        return product_create(actor=None, name=name, family="Platform", list_price=Decimal("100"))

    starter = product("Insight Starter")
    startr = product("Insight Startr")  # active near-spelling, used less
    pro = product("Insight Professional")
    legacy = product("Insight Legacy Edition")
    Product.objects.filter(pk=legacy.pk).update(active=False)
    ids.update(startr=startr.pk, legacy=legacy.pk)

    today = org_today()
    created = berlin(2026, 1, 5, 10)

    def deal(name: str, **kwargs: object) -> Deal:
        kwargs.setdefault("account", globex)
        kwargs.setdefault("amount", Decimal("1000"))
        kwargs.setdefault("stage", stages["Proposal"])
        kwargs.setdefault("expected_close_date", today + timedelta(days=30))
        return deal_create(actor=None, name=name, owner=alice, created_at=created, **kwargs)  # type: ignore[arg-type]

    for n in range(3):
        deal(f"Starter {n}", product=starter, account=acme, lead_source="Website")
    deal("Pro", product=pro, lead_source="Website")
    ids["startr_deal"] = deal("Startr", product=startr, lead_source="Webiste").pk
    ids["legacy_deal"] = deal("Legacy", product=legacy).pk
    deal("Won fine", stage=stages["Won"], closed_at=berlin(2026, 2, 1, 12))
    ids["no_account"] = deal("Orphan", account=None).pk
    ids["zero"] = deal("Free pilot", amount=Decimal("0")).pk
    ids["stale"] = deal("Stale", expected_close_date=today - timedelta(days=1)).pk
    deal("Due today", expected_close_date=today)  # not past yet
    deal(
        "Lost long ago",
        stage=stages["Lost"],
        closed_at=berlin(2026, 3, 1, 12),
        lost_reason="Price",
        expected_close_date=today - timedelta(days=90),  # closed: a past date is fine
    )
    backwards = deal("Backwards", stage=stages["Won"], closed_at=berlin(2026, 2, 1, 12))
    # The service refuses this; an import from a CRM with bad dates is how it really happens.
    Deal.objects.filter(pk=backwards.pk).update(closed_at=berlin(2025, 12, 1, 12))
    ids["backwards"] = backwards.pk
    return ids


def test_every_check_finds_exactly_its_problem(messy: dict[str, int]) -> None:
    report = quality_report()

    counts = {check.code: check.count for check in report.checks}
    assert counts == {
        "duplicate_accounts": 1,
        "unknown_products": 2,
        "misspelled_categories": 3,
        "deals_without_account": 1,
        "closed_before_created": 1,
        "non_positive_amounts": 1,
        "open_deals_past_close_date": 1,
    }
    assert report.total_issues == 10


def test_duplicate_accounts_are_grouped_across_case_punctuation_and_legal_form(
    messy: dict[str, int],
) -> None:
    check = quality_report().check("duplicate_accounts")

    (group,) = check.examples
    assert group["size"] == 3
    assert [a["id"] for a in group["accounts"]] == [
        messy["acme"],
        messy["acme_dup"],
        messy["acme_dup2"],
    ]
    assert [a["deals"] for a in group["accounts"]] == [3, 0, 0]


def test_unknown_products_name_the_closest_catalog_match(messy: dict[str, int]) -> None:
    examples = quality_report().check("unknown_products").examples

    by_id = {row["product_id"]: row for row in examples}
    assert set(by_id) == {messy["startr"], messy["legacy"]}
    assert by_id[messy["startr"]]["closest_match"] == "Insight Starter"
    assert by_id[messy["startr"]]["active"] is True
    assert by_id[messy["legacy"]]["active"] is False
    assert by_id[messy["legacy"]]["deals"] == 1


def test_misspelled_categories_suggest_the_frequent_spelling(messy: dict[str, int]) -> None:
    examples = quality_report().check("misspelled_categories").examples

    found = {(row["field"], row["value"], row["suggestion"]) for row in examples}
    assert found == {
        ("account industry", "Retial", "Retail"),
        ("account industry", "RETAIL", "Retail"),
        ("deal lead source", "Webiste", "Website"),
    }


def test_deal_checks_list_the_offending_deals(messy: dict[str, int]) -> None:
    report = quality_report()

    def ids(code: str) -> list[int]:
        return [row["id"] for row in report.check(code).examples]

    assert ids("deals_without_account") == [messy["no_account"]]
    assert ids("closed_before_created") == [messy["backwards"]]
    assert ids("non_positive_amounts") == [messy["zero"]]
    assert ids("open_deals_past_close_date") == [messy["stale"]]


def test_clean_data_reports_nothing(alice: Person, stages: dict[str, Stage]) -> None:
    acme = account_create(actor=None, name="Acme", industry="Retail")
    account_create(actor=None, name="Acme Tools", industry="Retail")  # different company
    deal_create(
        actor=None,
        name="Fine",
        owner=alice,
        account=acme,
        amount=Decimal("10"),
        stage=stages["Proposal"],
        created_at=berlin(2026, 1, 5, 10),
        expected_close_date=org_today() + timedelta(days=3),
    )

    report = quality_report()

    assert report.total_issues == 0
    assert all(check.examples == [] for check in report.checks)


def test_examples_are_limited_but_counts_are_not(messy: dict[str, int]) -> None:
    report = quality_report(limit_examples=1)

    assert report.check("misspelled_categories").count == 3
    assert len(report.check("misspelled_categories").examples) == 1
    assert quality_report(limit_examples=0).check("deals_without_account").examples == []


def test_as_dict_is_json_safe(messy: dict[str, int]) -> None:
    data = json.loads(json.dumps(quality_report().as_dict()))

    assert data["total_issues"] == 10
    zero = next(c for c in data["checks"] if c["code"] == "non_positive_amounts")
    assert zero["examples"][0]["amount"] == "0.00"


def test_unknown_run_id_is_a_clear_error(org: object) -> None:
    with pytest.raises(NotFound, match="No import run has id 999"):
        quality_report(since_run_id=999)


def test_quality_command_prints_table_and_json(messy: dict[str, int]) -> None:
    out = StringIO()
    call_command("quality", stdout=out)
    text = out.getvalue()
    assert "Likely duplicate accounts" in text
    assert "'Retial' (1×) — did you mean 'Retail' (3×)?" in text
    assert "10 problems in total." in text

    out = StringIO()
    call_command("quality", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["total_issues"] == 10


def test_quality_command_rejects_unknown_run(org: object) -> None:
    with pytest.raises(CommandError, match="No import run has id 5"):
        call_command("quality", "--since-run", "5", stdout=StringIO())


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme GmbH", "ACME"),
        ("Acme, Inc.", "acme inc"),
        ("A.C.M.E. Ltd", "Acme"),
        ("Smith & Sons", "smith and sons"),
        ("The Widget Co.", "Widget"),
        ("Café Noir SARL", "Cafe Noir"),
    ],
)
def test_company_key_treats_these_as_one_company(a: str, b: str) -> None:
    assert company_key(a) == company_key(b)


@pytest.mark.parametrize(
    ("a", "b"), [("Acme", "Acme Tools"), ("Company", "Co"), ("Initech", "Initrode")]
)
def test_company_key_keeps_these_apart(a: str, b: str) -> None:
    assert company_key(a) != company_key(b)


def test_category_key_folds_case_and_spacing() -> None:
    assert category_key(" Financial  services") == category_key("Financial Services")


def test_since_run_limits_the_deal_checks_to_that_runs_deals(
    messy: dict[str, int], bob: Person, carol: Person, tmp_path: Path
) -> None:
    from attain.importers.services import import_run
    from tests.importers.conftest import SALESFORCE_DEALS

    exchange_rate_set(actor=None, currency="USD", valid_from=date(2025, 1, 1), rate=Decimal("0.9"))
    path = tmp_path / "sf.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(SALESFORCE_DEALS)
    stages = {
        "Closed Won": "Won",
        "Closed Lost": "Lost",
        "Negotiation/Review": "Negotiation",
        "Prospecting": "Qualification",
    }
    result = import_run(actor=None, kind="deals", path=path, stage_mapping=stages)
    assert result.committed and result.run_id is not None, result.errors

    report = quality_report(since_run_id=result.run_id)

    # Two of the file's open deals (expected to close in August and September 2026) are past
    # their close date on the real today; the older stale deal from `messy` is not this run's.
    stale = report.check("open_deals_past_close_date")
    if org_today() > date(2026, 9, 30):
        assert {row["external_id"] for row in stale.examples} == {
            "0065g00000AbCdE4",
            "0065g00000AbCdE5",
        }
    assert messy["stale"] not in {row["id"] for row in stale.examples}
    assert report.check("deals_without_account").count == 0  # messy's orphan is older
    assert report.check("duplicate_accounts").count == 1  # account checks stay global
    assert result.quality is not None and result.quality["since_run_id"] == result.run_id


def test_a_subset_of_checks_runs_only_those(messy: dict[str, int]) -> None:
    report = quality_report(checks=["non_positive_amounts", "duplicate_accounts"])

    assert [c.code for c in report.checks] == ["duplicate_accounts", "non_positive_amounts"]
    assert report.total_issues == 2
    with pytest.raises(ValidationFailed, match="unknown nonsense"):
        quality_report(checks=["nonsense"])


def test_quality_command_runs_one_check(messy: dict[str, int]) -> None:
    out = StringIO()
    call_command("quality", "--check", "deals_without_account", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert [c["code"] for c in data["checks"]] == ["deals_without_account"]
    assert data["total_issues"] == 1
