"""Facility capacity and cost of goods (COGS) per dose.

Relations (domain primer, "Scale-up and facility"):

* batches per year = available suite-days / (cycle time + changeover), per suite,
  rounded down to whole batches by default (each batch is charged its changeover);
* doses per year = titer x working volume x DSP yield x batches / dose;
* suite utilisation = days occupied by batches and changeovers / available days;
* COGS per dose = (facility + labour + QC/QA + materials x batches) / doses,
  returned with the split by category.  At low demand labour and indirect
  (facility) costs dominate; at high demand raw materials do (Farid and
  co-workers' lentiviral vector COGS analyses, UCL).

Units: days for times, L for the working volume, a titer per mL (vg/mL, TU/mL,
...) and the dose in the same count unit (vg/dose), costs in one currency per year
or per batch as named.  Every cost result carries that currency as an ISO 4217 code
(``currency``, default ``"USD"``) and the year of the prices (``price_year``); the
price year has no default value: when it is not given the result says "price year
not stated" wherever it is shown, so an undated cost is visibly undated.  pdkit
converts neither currencies nor price years.

Examples
--------
>>> from pdkit import facility
>>> facility.batches_per_year(cycle_time_days=14, changeover_days=3, available_days=330)
19
>>> round(facility.doses_per_year(1e10, 2000, 0.3, 19, 1e15), 1)
114.0
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pdkit._checks import number
from pdkit.errors import InputError
from pdkit.results import ResultMixin, fmt

__all__ = [
    "batches_per_year",
    "doses_per_year",
    "suite_utilisation",
    "CostOfGoods",
    "DEFAULT_CURRENCY",
    "check_currency",
    "check_price_year",
    "price_basis",
    "cost_of_goods",
    "COST_MODEL_INPUTS",
    "cost_model",
    "cost_sensitivity",
]

_EPS = 1e-9

#: Currency assumed when none is given (ISO 4217 code).
DEFAULT_CURRENCY = "USD"

_ISO_4217 = re.compile(r"[A-Z]{3}")


def check_currency(currency: Any, name: str = "currency") -> str:
    """Return ``currency`` if it has the form of an ISO 4217 code (three upper-case letters).

    Only the form is checked (``"USD"``, ``"EUR"``, ``"GBP"``, ``"CHF"`` ...), not
    membership of the current ISO 4217 list.

    Examples
    --------
    >>> check_currency("EUR")
    'EUR'
    >>> check_currency("usd")
    Traceback (most recent call last):
    ...
    pdkit.errors.InputError: parameter 'currency': expected an ISO 4217 currency code of three upper-case letters (e.g. 'USD', 'EUR'), got 'usd'
    """
    if not isinstance(currency, str) or not _ISO_4217.fullmatch(currency):
        raise InputError(
            f"parameter '{name}': expected an ISO 4217 currency code of three upper-case letters "
            f"(e.g. 'USD', 'EUR'), got {currency!r}"
        )
    return currency


def check_price_year(price_year: Any, name: str = "price_year") -> int | None:
    """Return ``price_year`` as an int (a four-digit year), or None when not stated.

    Examples
    --------
    >>> check_price_year(2025), check_price_year(None)
    (2025, None)
    """
    if price_year is None:
        return None
    if isinstance(price_year, (bool, np.bool_)) or not isinstance(price_year, (int, np.integer)) \
            or not 1000 <= int(price_year) <= 9999:
        raise InputError(f"parameter '{name}': expected a four-digit year such as 2025 (or None), got {price_year!r}")
    return int(price_year)


def price_basis(currency: str, price_year: int | None) -> str:
    """The words that qualify every cost: ``"USD, 2025 prices"`` or ``"USD, price year not stated"``.

    Examples
    --------
    >>> price_basis("EUR", 2024), price_basis("USD", None)
    ('EUR, 2024 prices', 'USD, price year not stated')
    """
    return f"{currency}, {price_year} prices" if price_year is not None else f"{currency}, price year not stated"


def batches_per_year(
    cycle_time_days: float,
    changeover_days: float = 0.0,
    available_days: float = 330.0,
    suites: int = 1,
    whole_batches: bool = True,
) -> int | float:
    """Batches per year from the available suite-days, cycle time and changeover.

    ``suites x available_days / (cycle_time_days + changeover_days)``, rounded down
    per suite to whole batches unless ``whole_batches=False``.

    Parameters
    ----------
    cycle_time_days : float
        Days a batch occupies the suite (e.g. seed train in the suite + production + harvest).
    changeover_days : float
        Cleaning/turnaround days charged to every batch.
    available_days : float
        Operating days per suite per year after shutdowns and maintenance (<= 366).
    suites : int
        Number of identical suites working in parallel.
    whole_batches : bool
        Round down to whole batches per suite (default) or return the fractional rate.

    Examples
    --------
    >>> batches_per_year(14, 3, 330)
    19
    >>> round(batches_per_year(14, 3, 330, whole_batches=False), 4)
    19.4118
    """
    ct = number(cycle_time_days, "cycle_time_days", positive=True)
    co = number(changeover_days, "changeover_days", nonnegative=True)
    avail = number(available_days, "available_days", positive=True, at_most=366.0)
    if isinstance(suites, (bool, np.bool_)) or not float(number(suites, "suites", positive=True)).is_integer():
        raise InputError(f"parameter 'suites': expected a whole number >= 1, got {suites!r}")
    per_suite = avail / (ct + co)
    if whole_batches:
        return int(math.floor(per_suite + _EPS)) * int(suites)
    return per_suite * int(suites)


def doses_per_year(
    titer_per_ml: float,
    working_volume_l: float,
    dsp_yield: float,
    batches: float,
    dose: float,
) -> float:
    """Doses per year = titer x working volume x DSP yield x batches / dose.

    Parameters
    ----------
    titer_per_ml : float
        Crude (harvest) titer per mL, e.g. vg/mL (about 1e10 vg/mL for HEK293 AAV).
    working_volume_l : float
        Bioreactor working volume, L.
    dsp_yield : float
        Overall downstream yield as a fraction in (0, 1] (planning value about 0.3 for AAV).
    batches : float
        Batches per year (e.g. from :func:`batches_per_year`).
    dose : float
        Amount per dose in the titer's count unit (e.g. vg/dose).

    Examples
    --------
    >>> round(doses_per_year(1e10, 200, 0.3, 19, 1e15), 2)
    11.4
    """
    t = number(titer_per_ml, "titer_per_ml", positive=True)
    v = number(working_volume_l, "working_volume_l", positive=True)
    y = number(dsp_yield, "dsp_yield", positive=True, at_most=1.0)
    b = number(batches, "batches", nonnegative=True)
    d = number(dose, "dose", positive=True)
    return t * 1000.0 * v * y * b / d


def suite_utilisation(
    batches: float, cycle_time_days: float, changeover_days: float = 0.0, available_days: float = 330.0,
    suites: int = 1,
) -> float:
    """Fraction of the available suite-days occupied by batches and their changeovers.

    Examples
    --------
    >>> round(suite_utilisation(19, 14, 3, 330), 4)
    0.9788
    """
    b = number(batches, "batches", nonnegative=True)
    ct = number(cycle_time_days, "cycle_time_days", positive=True)
    co = number(changeover_days, "changeover_days", nonnegative=True)
    avail = number(available_days, "available_days", positive=True, at_most=366.0)
    s = number(suites, "suites", positive=True)
    u = b * (ct + co) / (avail * s)
    if u > 1.0 + _EPS:
        raise InputError(
            f"parameter 'batches': {b:g} batches of {ct + co:g} days need {b * (ct + co):g} suite-days, "
            f"more than the {avail * s:g} available"
        )
    return u


@dataclass(frozen=True)
class CostOfGoods(ResultMixin):
    """Cost of goods per dose and its split by category, in one stated currency and price year.

    Attributes
    ----------
    facility_per_dose, labour_per_dose, qc_qa_per_dose, materials_per_dose : float
        Per-dose share of each category, in ``currency``.
    total_per_dose : float
        Sum of the four.
    annual_cost : float
        Total cost per year.
    doses, batches : float
        Doses and batches per year the costs are spread over.
    currency : str
        ISO 4217 code of every cost (default ``"USD"``).
    price_year : int or None
        Year of the prices; None means "price year not stated", which the summary,
        the table and the figures then say.
    """

    facility_per_dose: float
    labour_per_dose: float
    qc_qa_per_dose: float
    materials_per_dose: float
    total_per_dose: float
    annual_cost: float
    doses: float
    batches: float
    currency: str = DEFAULT_CURRENCY
    price_year: int | None = None

    @property
    def basis(self) -> str:
        """Currency and price year in words, e.g. ``"USD, 2025 prices"``."""
        return price_basis(self.currency, self.price_year)

    @property
    def table(self) -> pd.DataFrame:
        """Tidy split: ``category, annual_cost, per_dose, share, currency, price_year``.

        ``annual_cost`` and ``per_dose`` are in ``currency`` at ``price_year`` prices
        (the two units columns; ``price_year`` is empty when not stated).
        """
        cats = ["facility", "labour", "qc_qa", "materials"]
        per = [self.facility_per_dose, self.labour_per_dose, self.qc_qa_per_dose, self.materials_per_dose]
        return pd.DataFrame(
            {
                "category": cats,
                "annual_cost": [p * self.doses for p in per],
                "per_dose": per,
                "share": [p / self.total_per_dose for p in per],
                "currency": [self.currency] * len(cats),
                "price_year": pd.array([self.price_year] * len(cats), dtype="Int64"),
            }
        )

    _frame_from = 'table'  # to_frame() is this table

    def summary(self) -> str:
        """One line: cost per dose with its currency and price year, and what it is spread over."""
        return f"cost of goods {fmt(self.total_per_dose)} {self.currency} per dose ({self.basis}; " \
               f"{fmt(self.doses)} doses from {fmt(self.batches)} batches a year; annual cost " \
               f"{fmt(self.annual_cost)} {self.currency})"


def cost_of_goods(
    doses: float,
    batches: float,
    facility_per_year: float,
    labour_per_year: float,
    qc_qa_per_year: float,
    materials_per_batch: float,
    qc_qa_per_batch: float = 0.0,
    *,
    currency: str = DEFAULT_CURRENCY,
    price_year: int | None = None,
) -> CostOfGoods:
    """COGS per dose = (facility + labour + QC/QA + materials x batches) / doses.

    All costs are in one ``currency`` at ``price_year`` prices; both are carried into
    the result, its summary, table and figures.

    Parameters
    ----------
    doses : float
        Doses per year (> 0), e.g. from :func:`doses_per_year`.
    batches : float
        Batches per year.
    facility_per_year : float
        Facility-dependent cost per year (depreciation, maintenance, utilities, overheads).
    labour_per_year : float
        Operating labour per year.
    qc_qa_per_year : float
        Fixed quality control and assurance cost per year.
    materials_per_batch : float
        Raw materials and consumables per batch (media, plasmids, PEI, resins, single-use bags).
    qc_qa_per_batch : float
        Batch-release testing cost per batch, added to the QC/QA category (default 0).
    currency : str
        ISO 4217 code of the costs (three upper-case letters; default ``"USD"``).
    price_year : int, optional
        Year of the prices.  No default year is assumed: without it the result says
        "price year not stated".

    Examples
    --------
    >>> c = cost_of_goods(100, 10, 2e6, 1e6, 5e5, 1.5e5, price_year=2025)
    >>> c.total_per_dose
    50000.0
    >>> c.table["per_dose"].tolist()
    [20000.0, 10000.0, 5000.0, 15000.0]
    >>> c.summary()
    'cost of goods 5e+04 USD per dose (USD, 2025 prices; 100 doses from 10 batches a year; annual cost 5e+06 USD)'
    """
    n = number(doses, "doses", positive=True)
    b = number(batches, "batches", nonnegative=True)
    fac = number(facility_per_year, "facility_per_year", nonnegative=True)
    lab = number(labour_per_year, "labour_per_year", nonnegative=True)
    qc = number(qc_qa_per_year, "qc_qa_per_year", nonnegative=True)
    mat = number(materials_per_batch, "materials_per_batch", nonnegative=True)
    qcb = number(qc_qa_per_batch, "qc_qa_per_batch", nonnegative=True)
    cur = check_currency(currency)
    year = check_price_year(price_year)
    qc_total = qc + qcb * b
    mat_total = mat * b
    annual = fac + lab + qc_total + mat_total
    if annual <= 0:
        raise InputError("cost_of_goods: all costs are zero, expected at least one cost > 0")
    return CostOfGoods(
        facility_per_dose=fac / n,
        labour_per_dose=lab / n,
        qc_qa_per_dose=qc_total / n,
        materials_per_dose=mat_total / n,
        total_per_dose=annual / n,
        annual_cost=annual,
        doses=n,
        batches=b,
        currency=cur,
        price_year=year,
    )


#: Inputs of :func:`cost_model` with their meaning (defaults in brackets).
COST_MODEL_INPUTS: dict[str, str] = {
    "titer_per_ml": "crude titer per mL (vg/mL)",
    "working_volume_l": "bioreactor working volume, L",
    "dsp_yield": "overall downstream yield, fraction",
    "dose": "amount per dose in the titer's unit (vg/dose)",
    "cycle_time_days": "suite days per batch",
    "changeover_days": "changeover days per batch [0]",
    "available_days": "available suite-days per year [330]",
    "suites": "number of suites [1]",
    "facility_per_year": "facility-dependent cost per year",
    "labour_per_year": "labour cost per year",
    "qc_qa_per_year": "fixed QC/QA cost per year",
    "materials_per_batch": "materials and consumables per batch",
    "qc_qa_per_batch": "batch-release testing per batch [0]",
}
_OPTIONAL = {"changeover_days": 0.0, "available_days": 330.0, "suites": 1, "qc_qa_per_batch": 0.0}


def cost_model(
    inputs: Mapping[str, float],
    *,
    whole_batches: bool = True,
    currency: str = DEFAULT_CURRENCY,
    price_year: int | None = None,
) -> CostOfGoods:
    """Batches, doses and COGS per dose from one set of facility inputs.

    Chains :func:`batches_per_year`, :func:`doses_per_year` and :func:`cost_of_goods`.

    Parameters
    ----------
    inputs : mapping
        Keys of :data:`COST_MODEL_INPUTS` (``changeover_days``, ``available_days``,
        ``suites`` and ``qc_qa_per_batch`` are optional).
    whole_batches : bool
        Round batches per suite down to whole batches.
    currency, price_year
        ISO 4217 code and price year of the cost inputs (see :func:`cost_of_goods`).

    Examples
    --------
    >>> base = dict(titer_per_ml=1e10, working_volume_l=2000, dsp_yield=0.3, dose=1e15,
    ...             cycle_time_days=14, changeover_days=3, available_days=330,
    ...             facility_per_year=5e6, labour_per_year=3e6, qc_qa_per_year=2e6,
    ...             materials_per_batch=4e5)
    >>> c = cost_model(base, currency="EUR", price_year=2024)
    >>> int(c.batches), round(c.doses, 1), round(c.total_per_dose), c.basis
    (19, 114.0, 154386, 'EUR, 2024 prices')
    """
    if not isinstance(inputs, Mapping):
        raise InputError(f"cost_model: expected a mapping of inputs, got {type(inputs).__name__}")
    check_currency(currency)
    check_price_year(price_year)
    unknown = sorted(set(inputs) - set(COST_MODEL_INPUTS))
    if unknown:
        raise InputError(f"cost_model: unknown input(s) {unknown}; expected among {', '.join(COST_MODEL_INPUTS)}")
    missing = [k for k in COST_MODEL_INPUTS if k not in inputs and k not in _OPTIONAL]
    if missing:
        raise InputError(f"cost_model: missing input(s) {', '.join(missing)}")
    x = {**_OPTIONAL, **inputs}
    b = batches_per_year(x["cycle_time_days"], x["changeover_days"], x["available_days"], x["suites"], whole_batches)
    if b <= 0:
        raise InputError(
            f"cost_model: no batch fits: cycle_time_days ({x['cycle_time_days']:g}) + changeover_days "
            f"({x['changeover_days']:g}) exceed available_days ({x['available_days']:g})"
        )
    d = doses_per_year(x["titer_per_ml"], x["working_volume_l"], x["dsp_yield"], b, x["dose"])
    return cost_of_goods(
        d, b, x["facility_per_year"], x["labour_per_year"], x["qc_qa_per_year"], x["materials_per_batch"],
        x["qc_qa_per_batch"], currency=currency, price_year=price_year,
    )


def cost_sensitivity(
    base_inputs: Mapping[str, float],
    ranges: Mapping[str, tuple[float, float]],
    *,
    whole_batches: bool = True,
    currency: str = DEFAULT_CURRENCY,
    price_year: int | None = None,
) -> pd.DataFrame:
    """One-at-a-time sensitivity of COGS per dose (a tornado table).

    Each input in ``ranges`` is set to its low and then its high value with every
    other input at its base value.

    Parameters
    ----------
    base_inputs : mapping
        Base case for :func:`cost_model`.
    ranges : mapping of input name -> (low, high)
        Values to try for each input.
    whole_batches : bool
        Passed to :func:`cost_model`.  With whole batches a small change in a time
        may leave the COGS unchanged.
    currency, price_year
        ISO 4217 code and price year of the cost inputs (see :func:`cost_of_goods`).

    Returns
    -------
    pandas.DataFrame
        Columns ``input, base_value, low, high, cogs_low, cogs_high, base_cogs, swing,
        currency, price_year`` (``cogs_low`` is the COGS per dose with the input at
        ``low``; ``swing`` = ``|cogs_high - cogs_low|``; the COGS columns are in
        ``currency`` at ``price_year`` prices, ``price_year`` empty when not stated),
        sorted by ``swing`` descending.  ``attrs["currency"]``, ``attrs["price_year"]``
        and ``attrs["price_basis"]`` repeat them for plots.

    Examples
    --------
    >>> base = dict(titer_per_ml=1e10, working_volume_l=2000, dsp_yield=0.3, dose=1e15,
    ...             cycle_time_days=14, changeover_days=3, facility_per_year=5e6,
    ...             labour_per_year=3e6, qc_qa_per_year=2e6, materials_per_batch=4e5)
    >>> t = cost_sensitivity(base, {"dsp_yield": (0.2, 0.4), "labour_per_year": (2e6, 4e6)},
    ...                      price_year=2025)
    >>> t["input"].tolist(), t.attrs["price_basis"]
    (['dsp_yield', 'labour_per_year'], 'USD, 2025 prices')
    """
    if not isinstance(ranges, Mapping) or not ranges:
        raise InputError("parameter 'ranges': expected a mapping of input name -> (low, high)")
    cur = check_currency(currency)
    year = check_price_year(price_year)
    base = cost_model(base_inputs, whole_batches=whole_batches, currency=cur, price_year=year)
    full_base = {**_OPTIONAL, **base_inputs}
    rows = []
    for name, rng in ranges.items():
        if name not in COST_MODEL_INPUTS:
            raise InputError(
                f"parameter 'ranges': unknown input {name!r}; expected among {', '.join(COST_MODEL_INPUTS)}"
            )
        if isinstance(rng, (str, bytes)) or not hasattr(rng, "__len__") or len(rng) != 2:
            raise InputError(f"parameter 'ranges', input {name!r}: expected (low, high), got {rng!r}")
        lo = number(rng[0], f"ranges[{name!r}] low")
        hi = number(rng[1], f"ranges[{name!r}] high")
        if lo > hi:
            raise InputError(f"parameter 'ranges', input {name!r}: low ({lo:g}) is above high ({hi:g})")
        results = []
        for value in (lo, hi):
            try:
                results.append(cost_model({**base_inputs, name: value}, whole_batches=whole_batches).total_per_dose)
            except InputError as exc:
                raise InputError(f"parameter 'ranges', input {name!r} = {value:g}: {exc}") from None
        rows.append(
            {
                "input": name,
                "base_value": float(full_base[name]),
                "low": lo,
                "high": hi,
                "cogs_low": results[0],
                "cogs_high": results[1],
                "base_cogs": base.total_per_dose,
                "swing": abs(results[1] - results[0]),
            }
        )
    out = pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    out["currency"] = cur
    out["price_year"] = pd.array([year] * len(out), dtype="Int64")
    out.attrs["currency"] = cur
    out.attrs["price_year"] = year
    out.attrs["price_basis"] = price_basis(cur, year)
    return out
