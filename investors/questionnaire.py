"""The institutional investor risk questionnaire and its scoring into C1-C5.

Follows the structure of China's investor suitability rules (CSRC Measures for
the Suitability Management of Securities and Futures Investors, 2016, and the
SAC implementing guidelines): the investor is assessed on several dimensions
(knowledge and experience, financial capacity to bear loss, investment
objectives, horizon, risk attitude); each dimension is scored on its own and the
binding risk tolerance is the LOWEST of the dimension levels, so an
institution with a long horizon but no capacity to bear loss is still
conservative. Every question's option carries a level 1-5 (C1-C5); a
dimension with several questions takes the lowest of its answers, for the
same reason (large net assets do not make a no-loss mandate able to bear loss).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Option:
    """One answer of a question and the level (1 = C1 ... 5 = C5) it points to."""

    value: str
    label: str
    level: int


@dataclass(frozen=True)
class Question:
    """A question of one dimension."""

    key: str
    dimension: str
    text: str
    options: tuple[Option, ...]

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


DIMENSIONS = {
    "knowledge": _("Knowledge and experience"),
    "capacity": _("Financial capacity to bear loss"),
    "objective": _("Investment objective"),
    "horizon": _("Investment horizon"),
    "attitude": _("Risk attitude"),
}

QUESTIONS: tuple[Question, ...] = (
    Question("fixed_income_years", "knowledge", _("How long has the institution invested in fixed income?"), (
        Option("none", _("Not yet"), 1),
        Option("lt2", _("Less than 2 years"), 2),
        Option("2to5", _("2 to 5 years"), 3),
        Option("5to10", _("5 to 10 years"), 4),
        Option("gt10", _("More than 10 years"), 5),
    )),
    Question("abs_experience", "knowledge", _("Which asset-backed securities has it held?"), (
        Option("none", _("None"), 1),
        Option("senior_aaa", _("AAA senior tranches only"), 2),
        Option("senior", _("Senior tranches of any rating"), 3),
        Option("mezzanine", _("Mezzanine tranches"), 4),
        Option("subordinated", _("Subordinated tranches"), 5),
    )),
    Question("net_assets", "capacity", _("Net assets of the institution (or of the product investing)"), (
        Option("lt50m", _("Less than 50 million CNY"), 1),
        Option("50to200m", _("50 to 200 million CNY"), 2),
        Option("200mto1bn", _("200 million to 1 billion CNY"), 3),
        Option("1to10bn", _("1 to 10 billion CNY"), 4),
        Option("gt10bn", _("More than 10 billion CNY"), 5),
    )),
    Question("max_loss", "capacity", _("The largest loss of principal the mandate can bear on this allocation"), (
        Option("none", _("None: principal must be preserved"), 1),
        Option("lt5", _("Less than 5 %"), 2),
        Option("5to10", _("5 % to 10 %"), 3),
        Option("10to20", _("10 % to 20 %"), 4),
        Option("gt20", _("More than 20 %"), 5),
    )),
    Question("objective", "objective", _("The main objective of the allocation"), (
        Option("preservation", _("Preserve capital"), 1),
        Option("stable_income", _("Stable income above deposits"), 2),
        Option("balanced", _("Balance income and growth"), 3),
        Option("growth", _("Growth, accepting swings"), 4),
        Option("high_return", _("Highest return, accepting large losses"), 5),
    )),
    Question("horizon", "horizon", _("How long can the money stay invested?"), (
        Option("lt1", _("Less than 1 year"), 1),
        Option("1to3", _("1 to 3 years"), 2),
        Option("3to5", _("3 to 5 years"), 3),
        Option("5to10", _("5 to 10 years"), 4),
        Option("gt10", _("More than 10 years"), 5),
    )),
    # xgettext:no-python-format
    Question("drawdown_reaction", "attitude", _("If the holding fell 10 % in value, the institution would"), (
        Option("sell_all", _("Sell everything at once"), 1),
        Option("sell_part", _("Sell part of it"), 2),
        Option("hold", _("Hold and watch"), 3),
        Option("hold_long", _("Hold to maturity without concern"), 4),
        Option("buy_more", _("Buy more"), 5),
    )),
)  # fmt: skip

QUESTIONS_BY_KEY = {q.key: q for q in QUESTIONS}


@dataclass(frozen=True)
class QuestionnaireResult:
    """The binding level, each dimension's level and the reasons a reader sees."""

    risk_tolerance: str
    dimension_levels: dict[str, str]
    binding_dimensions: tuple[str, ...]
    reasons: tuple[str, ...]


class QuestionnaireError(ValueError):
    """Answers missing or not among a question's options; `fields` maps question key to problem."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def score_questionnaire(answers: dict[str, str]) -> QuestionnaireResult:
    """Score every dimension, take the lowest as the binding C-level, and say which answers bind it."""
    problems: dict[str, str] = {}
    chosen: dict[str, Option] = {}
    for question in QUESTIONS:
        value = answers.get(question.key)
        option = question.option(value) if value is not None else None
        if value is None or value == "":
            problems[question.key] = str(_("This question needs an answer."))
        elif option is None:
            problems[question.key] = str(_("'%(value)s' is not one of the options.") % {"value": value})
        else:
            chosen[question.key] = option
    unknown = sorted(set(answers) - set(QUESTIONS_BY_KEY))
    for key in unknown:
        problems[key] = str(_("There is no such question."))
    if problems:
        raise QuestionnaireError(problems)
    levels: dict[str, int] = {}
    for dimension in DIMENSIONS:
        points = [chosen[q.key].level for q in QUESTIONS if q.dimension == dimension]
        levels[dimension] = min(points)
    binding = min(levels.values())
    binding_dimensions = tuple(d for d, level in levels.items() if level == binding)
    reasons = []
    for dimension in binding_dimensions:
        lowest = min((q for q in QUESTIONS if q.dimension == dimension), key=lambda q: chosen[q.key].level)
        reasons.append(
            str(
                _("%(dimension)s is C%(level)d: “%(question)s” — %(answer)s.")
                % {
                    "dimension": DIMENSIONS[dimension],
                    "level": binding,
                    "question": lowest.text,
                    "answer": chosen[lowest.key].label,
                }
            )
        )
    return QuestionnaireResult(
        risk_tolerance=f"C{binding}",
        dimension_levels={d: f"C{level}" for d, level in levels.items()},
        binding_dimensions=binding_dimensions,
        reasons=tuple(reasons),
    )
