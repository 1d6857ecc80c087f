"""The risk questionnaire: each dimension scored, the lowest binds, and the reasons name the binding answers."""

import pytest

from investors.questionnaire import QuestionnaireError, score_questionnaire

INSURER = {
    "fixed_income_years": "gt10",  # C5
    "abs_experience": "senior_aaa",  # C2 -> knowledge = min(5, 2) = C2
    "net_assets": "gt10bn",  # C5
    "max_loss": "lt5",  # C2 -> capacity = min(5, 2) = C2
    "objective": "stable_income",  # C2
    "horizon": "gt10",  # C5
    "drawdown_reaction": "hold",  # C3
}


def test_binding_level_is_the_lowest_dimension():
    result = score_questionnaire(INSURER)
    assert result.dimension_levels == {
        "knowledge": "C2",
        "capacity": "C2",
        "objective": "C2",
        "horizon": "C5",
        "attitude": "C3",
    }
    assert result.risk_tolerance == "C2"
    assert result.binding_dimensions == ("knowledge", "capacity", "objective")
    assert any("AAA senior tranches only" in reason for reason in result.reasons)


def test_one_cautious_answer_binds_an_otherwise_aggressive_investor():
    answers = dict.fromkeys(("fixed_income_years", "horizon"), "gt10") | {
        "abs_experience": "subordinated",
        "net_assets": "gt10bn",
        "max_loss": "gt20",
        "objective": "high_return",
        "drawdown_reaction": "sell_all",  # C1
    }
    assert score_questionnaire(answers).risk_tolerance == "C1"


def test_missing_and_unknown_answers_are_reported_by_question():
    answers = dict(INSURER)
    del answers["horizon"]
    answers["objective"] = "get_rich"
    with pytest.raises(QuestionnaireError) as exc:
        score_questionnaire(answers)
    assert set(exc.value.fields) == {"horizon", "objective"}
