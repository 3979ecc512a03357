"""The demo's programme effect: repeat orders of the key accounts after the cut, only."""

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from kam.analytics.demo import generate_demo_company
from kam.analytics.demo.programme import programme_uplift

CUT = date(2025, 9, 30)


@pytest.fixture(scope="module")
def company():
    return generate_demo_company(seed=5, customers=200)


def _keys(company, n=20):
    ids = company.customers.column("customer_id").to_pylist()
    return ids[:n]


def test_repeat_orders_are_key_invoices_after_the_cut_copied_under_their_own_number(company):
    keys = _keys(company)
    repeats = programme_uplift(company.transactions, keys, CUT, 0.5, seed=5)
    assert repeats.num_rows > 0
    assert set(repeats.column("customer_id").to_pylist()) <= set(keys)
    assert pc.min(repeats.column("date")).as_py() > CUT
    assert set(repeats.column("document_type").to_pylist()) == {"invoice"}
    numbers = repeats.column("invoice_id").to_pylist()
    assert all(number.endswith("-R") for number in numbers)
    originals = set(company.transactions.column("invoice_id").to_pylist())
    assert {number[:-2] for number in numbers} <= originals
    again = programme_uplift(company.transactions, keys, CUT, 0.5, seed=5)
    assert again.equals(repeats)  # the same seed, the same repeat orders


@pytest.mark.parametrize("effect", [0.25, 0.5, 1.0])
def test_the_effect_is_the_share_of_key_invoices_repeated(company, effect):
    keys = _keys(company)
    lines = company.transactions
    after = lines.filter(
        pc.and_(
            pc.and_(
                pc.is_in(lines["customer_id"], value_set=pa.array(keys)),
                pc.greater(lines["date"], pa.scalar(CUT)),
            ),
            pc.equal(lines["document_type"], "invoice"),
        )
    )
    invoices = len(set(after.column("invoice_id").to_pylist()))
    repeats = programme_uplift(lines, keys, CUT, effect, seed=5)
    repeated = len(set(repeats.column("invoice_id").to_pylist()))
    assert repeated == pytest.approx(effect * invoices, rel=0.15)


def test_no_effect_adds_nothing_and_an_effect_is_a_probability(company):
    assert programme_uplift(company.transactions, _keys(company), CUT, 0.0, seed=5).num_rows == 0
    with pytest.raises(ValueError, match="probability"):
        programme_uplift(company.transactions, _keys(company), CUT, 1.5, seed=5)
