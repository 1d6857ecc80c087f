"""Inputs of the matching engine: the scales, the array encodings and the helpers that build them from dicts.

NumPy only, no Django: the Celery task maps database rows to plain dicts and
calls `encode_investors` / `encode_tranches`; tests and benchmarks may build
the array dataclasses directly.

Encodings
---------
- rating index: position in `RATING_SCALE` (0 = AAA ... 12 = CCC, 13 = NR).
  An investor whose minimum rating is NR accepts every tranche, rated or not.
- risk: investor tolerance C1..C5 as 1..5; product risk R1..R5 as 1..5.
- deal type code: position in `DEAL_TYPES`; an investor's allowed types are a
  bitmask (bit k = DEAL_TYPES[k]); an empty list means all types.
- industry code: position in `Vocabulary.industries` (the industries some
  investor excludes, normalised with strip + casefold), or -1 for an industry
  nobody excludes; an investor's excluded industries are a uint64 bitmask, so at
  most 64 distinct excluded industries across the investors matched together.
- money in CNY and rates as fractions (0.0204 = 2.04 %), float64; tenors in months.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

RATING_SCALE: tuple[str, ...] = (
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB", "B", "CCC", "NR",
)  # fmt: skip
RATING_INDEX: dict[str, int] = {name: i for i, name in enumerate(RATING_SCALE)}
NOT_RATED = RATING_INDEX["NR"]

DEAL_TYPES: tuple[str, ...] = ("licence_revenue", "data_pledge", "empowerment")
DEAL_TYPE_CODE: dict[str, int] = {name: i for i, name in enumerate(DEAL_TYPES)}
ALL_DEAL_TYPES_MASK = (1 << len(DEAL_TYPES)) - 1

MAX_EXCLUDED_INDUSTRIES = 64


def risk_label(level: int, *, prefix: str) -> str:
    """'C3' / 'R2' from a level 1..5."""
    return f"{prefix}{int(level)}"


def _level(value: Any, *, prefix: str, what: str) -> int:
    if isinstance(value, str):
        text = value.strip().upper()
        if len(text) == 2 and text[0] == prefix and text[1] in "12345":
            return int(text[1])
        raise ValueError(f"{what} must be {prefix}1..{prefix}5, got {value!r}")
    level = int(value)
    if not 1 <= level <= 5:
        raise ValueError(f"{what} must be 1..5, got {value!r}")
    return level


def rating_index(value: Any) -> int:
    """Index in RATING_SCALE of a rating name ('AA+') or an index already; '' and None are NR."""
    if value is None or value == "":
        return NOT_RATED
    if isinstance(value, str):
        try:
            return RATING_INDEX[value.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown rating {value!r}") from None
    index = int(value)
    if not 0 <= index < len(RATING_SCALE):
        raise ValueError(f"rating index out of range: {value!r}")
    return index


def normalise_industry(name: str) -> str:
    """The key industries are compared by: surrounding spaces dropped, case folded."""
    return " ".join(str(name).split()).casefold()


@dataclass(frozen=True)
class Vocabulary:
    """The excluded industries, one bit each: code k is industries[k] (normalised names)."""

    industries: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.industries) > MAX_EXCLUDED_INDUSTRIES:
            raise ValueError(
                f"{len(self.industries)} distinct excluded industries; the bitmask holds {MAX_EXCLUDED_INDUSTRIES}"
            )
        if len(set(self.industries)) != len(self.industries):
            raise ValueError("industries must be distinct")

    def industry_code(self, name: str | None) -> int:
        """Code of an industry, or -1 when no investor excludes it."""
        if not name:
            return -1
        try:
            return self.industries.index(normalise_industry(name))
        except ValueError:
            return -1

    def industry_mask(self, names: Iterable[str]) -> int:
        """Bitmask of a list of industries; names outside the vocabulary are refused."""
        mask = 0
        for name in names:
            code = self.industry_code(name)
            if code < 0:
                raise ValueError(f"industry {name!r} is not in the vocabulary")
            mask |= 1 << code
        return mask

    def industry_names(self, mask: int) -> list[str]:
        """The industries a bitmask names, in vocabulary order."""
        return [name for k, name in enumerate(self.industries) if (int(mask) >> k) & 1]


def build_vocabulary(*, investor_rows: Iterable[Mapping[str, Any]]) -> Vocabulary:
    """The vocabulary of every industry some investor excludes (sorted, normalised)."""
    names = {normalise_industry(n) for row in investor_rows for n in (row.get("excluded_industries") or ()) if n}
    return Vocabulary(industries=tuple(sorted(names)))


def deal_type_mask(types: Iterable[str]) -> int:
    """Bitmask of allowed deal types; an empty list allows all."""
    mask = 0
    for name in types:
        try:
            mask |= 1 << DEAL_TYPE_CODE[name]
        except KeyError:
            raise ValueError(f"unknown deal type {name!r}") from None
    return mask or ALL_DEAL_TYPES_MASK


def deal_type_names(mask: int) -> list[str]:
    """The deal types a bitmask allows, in DEAL_TYPES order."""
    return [name for k, name in enumerate(DEAL_TYPES) if (int(mask) >> k) & 1]


def _as_array(value: Any, dtype: Any, n: int | None, name: str) -> np.ndarray:
    array = np.ascontiguousarray(value, dtype=dtype)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if n is not None and array.shape[0] != n:
        raise ValueError(f"{name} has {array.shape[0]} entries, expected {n}")
    return array


class _Arrays:
    """Shared behaviour of the two input dataclasses: coercion, length, subsets."""

    DTYPES: dict[str, Any] = {}

    def _coerce(self) -> None:
        n = None
        for f in fields(self):  # type: ignore[arg-type]
            array = _as_array(getattr(self, f.name), self.DTYPES[f.name], n, f.name)
            n = array.shape[0]
            array.setflags(write=False)
            object.__setattr__(self, f.name, array)

    def __len__(self) -> int:
        return int(getattr(self, fields(self)[0].name).shape[0])  # type: ignore[arg-type]

    def take(self, index: Any):
        """The rows at `index` (a slice, or an integer array), as a new instance."""
        return type(self)(**{f.name: getattr(self, f.name)[index] for f in fields(self)})  # type: ignore[arg-type]

    def row(self, i: int) -> dict[str, Any]:
        """Row i as Python scalars (what the per-pair reference reads)."""
        return {f.name: getattr(self, f.name)[i].item() for f in fields(self)}  # type: ignore[arg-type]


def _check(condition: Any, message: str) -> None:
    if not bool(np.all(condition)):
        raise ValueError(message)


@dataclass(frozen=True, eq=False)
class InvestorArrays(_Arrays):
    """One entry per investor profile (see the module docstring for the encodings)."""

    risk_tolerance: np.ndarray  # int8, 1..5 for C1..C5
    min_rating: np.ndarray  # int8, rating index
    max_tenor_months: np.ndarray  # int32
    min_coupon: np.ndarray  # float64 fraction
    ticket_min: np.ndarray  # float64 CNY
    ticket_max: np.ndarray  # float64 CNY
    allowed_deal_types: np.ndarray  # uint8 bitmask over DEAL_TYPES
    excluded_industries: np.ndarray  # uint64 bitmask over Vocabulary.industries
    no_personal_info: np.ndarray  # bool
    require_pipia: np.ndarray  # bool
    max_guarantee_dependence: np.ndarray  # float64, 0..1

    DTYPES = {
        "risk_tolerance": np.int8, "min_rating": np.int8, "max_tenor_months": np.int32,
        "min_coupon": np.float64, "ticket_min": np.float64, "ticket_max": np.float64,
        "allowed_deal_types": np.uint8, "excluded_industries": np.uint64,
        "no_personal_info": np.bool_, "require_pipia": np.bool_, "max_guarantee_dependence": np.float64,
    }  # fmt: skip

    def __post_init__(self) -> None:
        self._coerce()
        _check((self.risk_tolerance >= 1) & (self.risk_tolerance <= 5), "risk tolerance must be 1..5")
        _check((self.min_rating >= 0) & (self.min_rating < len(RATING_SCALE)), "min rating index out of range")
        _check(self.max_tenor_months >= 0, "max tenor must be >= 0")
        _check(np.isfinite(self.min_coupon), "min coupon must be finite")
        _check((self.ticket_min >= 0) & (self.ticket_max >= self.ticket_min), "need 0 <= ticket min <= ticket max")
        _check(np.isfinite(self.ticket_max), "ticket max must be finite")
        _check((self.allowed_deal_types & ~np.uint8(ALL_DEAL_TYPES_MASK)) == 0, "unknown deal type bit")
        _check((self.max_guarantee_dependence >= 0) & (self.max_guarantee_dependence <= 1), "guarantee cap 0..1")


@dataclass(frozen=True, eq=False)
class TrancheArrays(_Arrays):
    """One entry per published tranche (see the module docstring for the encodings)."""

    risk_level: np.ndarray  # int8, 1..5 for R1..R5
    rating: np.ndarray  # int8, rating index
    tenor_months: np.ndarray  # int32
    coupon: np.ndarray  # float64 fraction
    size: np.ndarray  # float64 CNY
    deal_type: np.ndarray  # int8, index in DEAL_TYPES
    industry: np.ndarray  # int16, index in Vocabulary.industries or -1
    has_personal_info: np.ndarray  # bool
    has_pipia: np.ndarray  # bool
    guarantee_dependence: np.ndarray  # float64, 0..1
    stability_score: np.ndarray  # float64, 0..100
    data_share: np.ndarray  # float64, 0..1

    DTYPES = {
        "risk_level": np.int8, "rating": np.int8, "tenor_months": np.int32, "coupon": np.float64,
        "size": np.float64, "deal_type": np.int8, "industry": np.int16, "has_personal_info": np.bool_,
        "has_pipia": np.bool_, "guarantee_dependence": np.float64, "stability_score": np.float64,
        "data_share": np.float64,
    }  # fmt: skip

    def __post_init__(self) -> None:
        self._coerce()
        _check((self.risk_level >= 1) & (self.risk_level <= 5), "risk level must be 1..5")
        _check((self.rating >= 0) & (self.rating < len(RATING_SCALE)), "rating index out of range")
        _check(self.tenor_months >= 1, "tenor must be >= 1 month")
        _check(np.isfinite(self.coupon), "coupon must be finite")
        _check((self.size >= 0) & np.isfinite(self.size), "size must be >= 0")
        _check((self.deal_type >= 0) & (self.deal_type < len(DEAL_TYPES)), "deal type code out of range")
        _check((self.industry >= -1) & (self.industry < MAX_EXCLUDED_INDUSTRIES), "industry code out of range")
        _check((self.guarantee_dependence >= 0) & (self.guarantee_dependence <= 1), "guarantee dependence 0..1")
        _check((self.stability_score >= 0) & (self.stability_score <= 100), "stability score 0..100")
        _check((self.data_share >= 0) & (self.data_share <= 1), "data share 0..1")

    @property
    def industry_bit(self) -> np.ndarray:
        """uint64 with the tranche's industry bit set (0 for an industry nobody excludes)."""
        codes = self.industry.astype(np.int64)
        bits = np.left_shift(np.uint64(1), np.maximum(codes, 0).astype(np.uint64))
        return np.where(codes >= 0, bits, np.uint64(0))

    @property
    def deal_type_bit(self) -> np.ndarray:
        """uint8 with the tranche's deal type bit set."""
        return np.left_shift(np.uint8(1), self.deal_type.astype(np.uint8))


def encode_investors(*, rows: Sequence[Mapping[str, Any]], vocabulary: Vocabulary) -> InvestorArrays:
    """Investor arrays from dicts shaped like RiskProfile fields.

    Keys: risk_tolerance ('C3' or 3), min_rating ('AA+'), max_tenor_months, min_coupon (fraction),
    ticket_min, ticket_max (CNY), allowed_deal_types (list, empty = all), excluded_industries (list),
    no_personal_info, require_pipia (bool), max_guarantee_dependence (0..1). Decimals are accepted.
    """
    return InvestorArrays(
        risk_tolerance=[_level(r["risk_tolerance"], prefix="C", what="risk tolerance") for r in rows],
        min_rating=[rating_index(r["min_rating"]) for r in rows],
        max_tenor_months=[int(r["max_tenor_months"]) for r in rows],
        min_coupon=[float(r["min_coupon"]) for r in rows],
        ticket_min=[float(r["ticket_min"]) for r in rows],
        ticket_max=[float(r["ticket_max"]) for r in rows],
        allowed_deal_types=[deal_type_mask(r.get("allowed_deal_types") or ()) for r in rows],
        excluded_industries=np.array(
            [vocabulary.industry_mask(r.get("excluded_industries") or ()) for r in rows], dtype=np.uint64
        ),
        no_personal_info=[bool(r["no_personal_info"]) for r in rows],
        require_pipia=[bool(r["require_pipia"]) for r in rows],
        max_guarantee_dependence=[float(r["max_guarantee_dependence"]) for r in rows],
    )


def encode_tranches(*, rows: Sequence[Mapping[str, Any]], vocabulary: Vocabulary) -> TrancheArrays:
    """Tranche arrays from dicts, one per published tranche.

    Keys: risk_level ('R2' or 2, from product_risk), rating ('AAA'; implied or target, the caller
    decides), tenor_months, coupon (fraction), size (CNY), deal_type, industry (the originator's),
    has_personal_info, has_pipia (bool), guarantee_dependence (0..1), stability_score (0..100),
    data_share (0..1). Decimals are accepted.
    """
    return TrancheArrays(
        risk_level=[_level(r["risk_level"], prefix="R", what="risk level") for r in rows],
        rating=[rating_index(r["rating"]) for r in rows],
        tenor_months=[int(r["tenor_months"]) for r in rows],
        coupon=[float(r["coupon"]) for r in rows],
        size=[float(r["size"]) for r in rows],
        deal_type=[_deal_type_code(r["deal_type"]) for r in rows],
        industry=[vocabulary.industry_code(r.get("industry")) for r in rows],
        has_personal_info=[bool(r["has_personal_info"]) for r in rows],
        has_pipia=[bool(r["has_pipia"]) for r in rows],
        guarantee_dependence=[float(r["guarantee_dependence"]) for r in rows],
        stability_score=[float(r["stability_score"]) for r in rows],
        data_share=[float(r["data_share"]) for r in rows],
    )


def _deal_type_code(name: str) -> int:
    try:
        return DEAL_TYPE_CODE[name]
    except KeyError:
        raise ValueError(f"unknown deal type {name!r}") from None
