"""The deal import's batch-wise work agrees with the per-row code it replaced: money read and
priced in polars against the single-expression parser and the Decimal functions (`money`,
`base_amount`), cell for cell; first stage changes copied in SQL; stored deals compared as a
frame."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attain.crm.models import Deal, DealStageChange
from attain.importers.loaders import DealLoader
from attain.importers.lookups import base_amount, money, money_frame
from attain.importers.parsing import _CURRENCY_SYMBOLS, parse_money
from attain.importers.services import import_run
from tests.importers.conftest import HUBSPOT_DEALS, PIPEDRIVE_DEALS, SALESFORCE_DEALS

DAY = date(2026, 3, 1)


def parse_money_before(text: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """The parser as one expression, as it was until the batch-wise version (the reference)."""
    upper = text.str.to_uppercase()
    code = upper.str.extract(r"\b([A-Z]{3})\b", 1)
    symbol = upper.str.extract(r"([$€£¥₹])", 1).replace_strict(
        _CURRENCY_SYMBOLS, default=None, return_dtype=pl.String
    )
    currency = pl.coalesce([code, symbol])
    negative = upper.str.contains(r"^\s*\(.*\)\s*$") | upper.str.contains(r"^\s*[-−]|[-−]\s*$")
    digits = upper.str.replace_all(r"\b[A-Z]{3}\b", "").str.replace_all(
        r"[$€£¥₹()\s'\u00a0\u202f−-]", ""
    )
    has_comma = digits.str.contains(",", literal=True)
    has_dot = digits.str.contains(".", literal=True)
    decimal_comma = (
        has_comma
        & has_dot
        & (digits.str.replace(r".*,", "").str.contains(r"^\d+$"))
        & ~digits.str.replace(r".*\.", "").str.contains(r"^\d+$")
    ) | (has_comma & ~has_dot & digits.str.contains(r"^\d+,\d{1,2}$"))
    normal = (
        pl.when(decimal_comma)
        .then(digits.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
        .otherwise(digits.str.replace_all(",", "", literal=True))
    )
    valid = normal.str.contains(r"^\d+(\.\d+)?$") & (normal.str.len_chars() <= 19)
    amount = pl.when(valid).then(pl.when(negative).then(pl.lit("-") + normal).otherwise(normal))
    reason = (
        pl.when(text.is_null())
        .then(None)
        .when(~valid)
        .then(pl.lit("not an amount; expected a number such as 12000, 12,000.50 or USD 12,000"))
        .when(negative & (normal.str.replace_all(r"[0.]", "") != ""))
        .then(pl.lit("negative amount"))
    )
    return amount, currency, reason


# Cells built from what amounts are made of, so most are near misses of a valid amount.
PIECES = st.sampled_from(
    [
        *"0123456789,. '()-−$€£¥₹",
        *["USD", "EUR", "chf", "Usd", "US", "ABCD", "x", "\u00a0", "\u202f", "\n", "0,5", "1.000"],
    ]
)
CELLS = st.one_of(
    st.none(),
    st.lists(PIECES, max_size=12).map("".join),
    st.text(max_size=10),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)


@settings(max_examples=400, deadline=None)
@given(cells=st.lists(CELLS, min_size=1, max_size=30))
def test_money_cells_read_as_before(cells):
    frame = pl.DataFrame({"c0": cells}, schema={"c0": pl.String})
    amount, currency, reason = parse_money_before(pl.col("c0"))
    before = frame.select(
        amount.alias("amount"), currency.alias("currency"), reason.alias("reason")
    )
    assert parse_money(frame, pl.col("c0")).to_dicts() == before.to_dicts()


def test_money_cells_read_as_documented():
    cells: list[str | None] = ["12000", "12,000.50", "12.000,50", "USD 12,000.00", "$12,000"]
    cells += ["12 000 €", "(500)", "-0", "abc", None]
    frame = pl.DataFrame({"c0": cells}, schema={"c0": pl.String})
    assert parse_money(frame, pl.col("c0")).rows() == [
        ("12000", None, None),
        ("12000.50", None, None),
        ("12000.50", None, None),
        ("12000.00", "USD", None),
        ("12000", "USD", None),
        ("12000", "EUR", None),
        ("-500", None, "negative amount"),
        ("-0", None, None),
        (None, "ABC", "not an amount; expected a number such as 12000, 12,000.50 or USD 12,000"),
        (None, None, None),
    ]


# Amounts as parse_money leaves them: digits, maybe a fraction, at most 19 characters.
AMOUNTS = st.one_of(
    st.from_regex(r"\A-?\d{1,12}(\.\d{1,6})?\Z", fullmatch=True),
    st.from_regex(r"\A\d{1,17}(\.\d{1,2})?\Z", fullmatch=True),
    st.from_regex(r"\A0\.\d{1,17}\Z", fullmatch=True),
    st.sampled_from(["0.005", "0.015", "2.5", "0.5", "1.005", "-0", "-0.000", "9999999999999999"]),
).filter(lambda text: len(text.lstrip("-")) <= 19)
RATES = st.one_of(
    st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("99999"), places=8),
    st.sampled_from([Decimal("0.9"), Decimal("1.00000000"), Decimal("0.00612345")]),
)
# USD, EUR: 2 places; JPY, KRW: none; BHD: 3, which amounts keep at 2.
CURRENCIES = st.sampled_from(["USD", "EUR", "JPY", "KRW", "BHD"])


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(AMOUNTS, CURRENCIES, RATES), min_size=1, max_size=20),
    base=CURRENCIES,
)
def test_money_is_priced_as_the_decimal_functions_price_it(rows, base):
    rates: dict[tuple[str, date], Decimal | None] = {}
    for _, currency, rate in rows:
        rates.setdefault((currency, DAY), rate)
    frame = pl.DataFrame(
        {"amount": [a for a, _, _ in rows], "currency": [c for _, c, _ in rows], "day": DAY}
    )
    priced = money_frame(frame, rates, base)
    assert priced.height == len(rows)
    for (text, currency, _), (amount, rate, amount_base, exact) in zip(
        rows, priced.iter_rows(), strict=True
    ):
        expected = money(text, currency)
        stored_rate = rates[(currency, DAY)]
        assert stored_rate is not None
        if not exact:
            # Only when amount and rate together have more digits than the context keeps, or
            # for digits other than 0-9 (the parser's \d takes "٣"; Decimal reads it too).
            digits = len(expected.as_tuple().digits) + len(stored_rate.as_tuple().digits)
            assert digits > 28 or not text.isascii()
            continue
        expected_base = base_amount(expected, stored_rate, base)
        assert Decimal(amount) == expected and Decimal(amount_base) == expected_base
        assert rate == str(stored_rate)
        # The same text too, except that Python keeps a zero's minus sign ("-0.00").
        for mine, theirs in ((amount, expected), (amount_base, expected_base)):
            assert mine == (str(abs(theirs)) if theirs.is_zero() else str(theirs))


def test_rows_without_a_rate_or_with_too_many_digits_are_left_to_the_row_path():
    frame = pl.DataFrame(
        {
            "amount": ["10", "10", "1234567890123456789", "12.5", "٣"],
            "currency": ["USD", "GBP", "USD", "CHF", "CHF"],
            "day": DAY,
        }
    )
    rates: dict[tuple[str, date], Decimal | None] = {
        ("USD", DAY): Decimal("1234567890.12345678"),
        ("GBP", DAY): None,
        ("CHF", DAY): Decimal("1.10000000"),
    }
    priced = money_frame(frame, rates, "EUR")
    assert priced.get_column("exact").to_list() == [True, False, False, True, False]
    assert priced.row(0) == ("10.00", "1234567890.12345678", "12345678901.23", True)
    assert priced.row(3) == ("12.50", "1.10000000", "13.75", True)


@pytest.mark.django_db
def test_each_new_deal_enters_its_stage_when_created_by_the_importer(
    reps, usd_rate, write_csv, adam
):
    result = import_run(actor=adam.user, kind="deals", path=write_csv("sf.csv", SALESFORCE_DEALS))
    assert result.committed and result.created == 5
    changes = {c.deal_id: c for c in DealStageChange.objects.all()}
    assert len(changes) == 5
    for deal in Deal.objects.all():
        change = changes[deal.pk]
        assert (change.from_stage_id, change.to_stage_id) == (None, deal.stage_id)
        assert change.changed_at == deal.created_at == deal.stage_entered_at
        assert change.changed_by_id == adam.user.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rows", "stages"),
    [
        (SALESFORCE_DEALS, None),
        (HUBSPOT_DEALS, None),
        (PIPEDRIVE_DEALS, {"Qualified": "Prospecting"}),
    ],
    ids=["salesforce", "hubspot", "pipedrive"],
)
def test_an_unchanged_deal_is_recognised_from_the_stored_frame(
    reps, usd_rate, write_csv, monkeypatch, settings, rows, stages
):
    settings.DEBUG = True  # queries are logged as with ATTAIN_DEBUG=1 (a stray % would fail)
    path = write_csv("deals.csv", rows)
    first = import_run(actor=None, kind="deals", path=path, stage_mapping=stages)
    assert first.committed and first.rejected == 0, first.errors
    asked: list[str] = []
    real = DealLoader.existing

    def existing(self, model, ids, fields):
        asked.extend(ids)
        return real(self, model, ids, fields)

    # Only rows left for the row path read the stored deals as Python values.
    monkeypatch.setattr(DealLoader, "existing", existing)
    again = import_run(actor=None, kind="deals", path=path, stage_mapping=stages)
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    assert asked == []
