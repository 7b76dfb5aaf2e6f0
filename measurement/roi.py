"""Phillips ROI from fully loaded costs and isolated, adjusted benefits (MEASUREMENT.md).

Pure functions on plain data, so the same arithmetic serves the roll-up, the pages and tests:
first-year benefits only; a claim counts ``annual value × isolation × confidence``; revenue is
turned into profit with the margin; non-respondents count zero (they have no claim); claims
that are pending, rejected or excluded (extreme or unsupported) count nothing; where a sponsor
adjusted a claim, its ``annual_value`` already is the lower of the two estimates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class ClaimLike(Protocol):
    """The fields of ``projects.queries.BenefitClaimFact`` the ROI reads."""

    @property
    def claim_id(self) -> int: ...
    @property
    def learner_ids(self) -> tuple[int, ...]: ...
    @property
    def project_title(self) -> str: ...
    @property
    def measure(self) -> str: ...
    @property
    def basis(self) -> str: ...
    @property
    def annual_value(self) -> Decimal: ...
    @property
    def is_revenue(self) -> bool: ...
    @property
    def isolation_pct(self) -> float: ...
    @property
    def confidence_pct(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def excluded_reason(self) -> str: ...


@dataclass(frozen=True)
class CostItem:
    category: str
    label: str
    description: str
    amount: Decimal  # the line's full amount
    shared_by: int = 1

    @property
    def allocated(self) -> Decimal:
        return (self.amount / self.shared_by).quantize(CENT)


@dataclass(frozen=True)
class Benefit:
    """One monetised benefit with its isolation method and adjustments."""

    source: str  # "comparison group (DiD)" | "trend" | "participants' estimates"
    label: str
    gross: Decimal  # annual value before isolation and confidence
    isolation_pct: float
    confidence_pct: float
    value: Decimal  # what goes into ROI
    facts: dict[str, object]  # what a reader can follow down to (claim ids, n)


@dataclass(frozen=True)
class RoiResult:
    costs: Decimal
    benefits: Decimal
    costs_by_category: dict[str, Decimal]
    benefit_items: tuple[Benefit, ...]

    @property
    def bcr(self) -> float | None:
        return float(self.benefits / self.costs) if self.costs else None

    @property
    def roi_pct(self) -> float | None:
        return float((self.benefits - self.costs) / self.costs * HUNDRED) if self.costs else None

    @property
    def payback_months(self) -> float | None:
        if not self.benefits or not self.costs:
            return None
        return float(self.costs / (self.benefits / 12))


def total_costs(items: Iterable[CostItem]) -> tuple[Decimal, dict[str, Decimal]]:
    by_category: dict[str, Decimal] = {}
    for item in items:
        by_category[item.category] = by_category.get(item.category, Decimal(0)) + item.allocated
    return sum(by_category.values(), Decimal(0)), by_category


def to_profit(value: Decimal, is_revenue: bool, margin_pct: Decimal) -> Decimal:
    return value * margin_pct / HUNDRED if is_revenue else value


def metric_benefit(
    label: str,
    effect: float,
    unit: str,
    population: int,
    unit_value: Decimal,
    is_revenue: bool,
    margin_pct: Decimal,
    isolated_by: str,
    facts: dict[str, object],
) -> Benefit:
    """A metric's isolated change in money. ``effect`` is the change in the good direction (e.g.
    +3 points of turnover avoided). For a metric in %, a point is ``population / 100`` events;
    otherwise the effect is per person. A change in the wrong direction counts zero, never a
    negative benefit hidden in a total (the page shows the estimate itself)."""
    per_person = Decimal(str(effect)) / HUNDRED if unit.strip() == "%" else Decimal(str(effect))
    events = per_person * population
    gross = to_profit(max(Decimal(0), events * unit_value), is_revenue, margin_pct).quantize(CENT)
    return Benefit(
        source=isolated_by,
        label=label,
        gross=gross,
        isolation_pct=100.0,
        confidence_pct=100.0,
        value=gross,
        facts={**facts, "events": float(events)},
    )


def claims_benefit(
    claims: Sequence[ClaimLike], participants: int, margin_pct: Decimal
) -> tuple[Benefit, list[dict[str, object]]]:
    """Benefit B: participants' own estimates, adjusted. Returns the benefit and one row per
    claim (counted or not, and why) for the evidence drill-down."""
    total = Decimal(0)
    gross = Decimal(0)
    rows: list[dict[str, object]] = []
    respondents: set[int] = set()
    for claim in claims:
        counted = claim.status == "confirmed"
        profit = to_profit(claim.annual_value, claim.is_revenue, margin_pct)
        value = (
            profit * Decimal(str(claim.isolation_pct)) * Decimal(str(claim.confidence_pct))
        ) / (HUNDRED * HUNDRED)
        if counted:
            respondents.update(claim.learner_ids)
            total += value
            gross += profit
        rows.append(
            {
                "claim_id": claim.claim_id,
                "project": claim.project_title,
                "measure": claim.measure,
                "basis": claim.basis,
                "annual_value": str(claim.annual_value),
                "is_revenue": claim.is_revenue,
                "isolation_pct": claim.isolation_pct,
                "confidence_pct": claim.confidence_pct,
                "status": claim.status,
                "reason": claim.excluded_reason,
                "counted": str(value.quantize(CENT)) if counted else "0.00",
            }
        )
    total = total.quantize(CENT)
    share = (float(total / gross) * 100) if gross else 0.0
    benefit = Benefit(
        source="participants' estimates",
        label="Project benefits claimed by participants",
        gross=gross.quantize(CENT),
        isolation_pct=share,  # combined isolation × confidence, as a share of the gross
        confidence_pct=100.0,
        value=total,
        facts={
            "claims": len(claims),
            "counted": sum(1 for c in claims if c.status == "confirmed"),
            "excluded": sum(1 for c in claims if c.status in ("excluded", "rejected")),
            "respondents": len(respondents),
            "participants": participants,
        },
    )
    return benefit, rows


def roi(costs: Iterable[CostItem], benefits: Iterable[Benefit]) -> RoiResult:
    total, by_category = total_costs(costs)
    items = tuple(benefits)
    return RoiResult(
        costs=total,
        benefits=sum((b.value for b in items), Decimal(0)),
        costs_by_category=by_category,
        benefit_items=items,
    )
