"""The annual evaluation's pure computation (layers/planning/evaluation.py), expectations worked out by hand."""
from layers.planning.evaluation import Inputs, Scheme, evaluate


def test_all_four_components_weighed():
    # contracts 3/4 = 75; 10 complaints / 2,000 households = 5 per 1,000 → volume 100×(1−5/20) = 75;
    # on time 6/8 = 75; satisfied 3/4 = 75 → complaints 75; total (25×75+30×75+25×80+20×90)/100 = 79.25 → 79.3
    result = evaluate(Inputs(contracted_estates=4, ended_early=1, households=2000, complaints=10, on_time=6, late=2,
                             rated=4, satisfied=3, inspections=5, inspection_pct=80, opinions=2, opinion_avg=90))
    assert result.scores == {"contracts": 75.0, "complaints": 75.0, "inspections": 80.0, "opinions": 90.0}
    assert result.per_1000 == 5.0
    assert result.total == 79.3
    assert (result.grade, result.passed, result.key_supervision, result.red_list_proposed) == ("A", True, False, False)
    texts = [text for text, _ in result.explanation]
    assert any(text.startswith("Total") for text in texts)
    total_line = next(params for text, params in result.explanation if text.startswith("Total"))
    assert total_line["parts"] == "25 × 75.0 + 30 × 75.0 + 25 × 80.0 + 20 × 90.0"


def test_missing_components_share_their_weight_and_top_grade_is_proposed_red():
    # contracts 2/2 = 100; no complaints → every rate 100 → 100; no inspections, no opinions: (25×100+30×100)/55
    result = evaluate(Inputs(contracted_estates=2, households=1000))
    assert result.scores == {"contracts": 100.0, "complaints": 100.0}
    assert result.total == 100.0
    assert result.grade == "AAA" and result.passed and result.red_list_proposed and not result.key_supervision


def test_many_complaints_key_supervision():
    # 10 / 500 households = 20 per 1,000 ≥ 10 → key supervision; volume 0; on time 0/10 = 0; none rated → 100
    # → complaints 0.4×0 + 0.4×100 + 0.2×0 = 40; total (25×100 + 30×40 + 20×50)/75 = 62.67 → 62.7 → B, passed
    result = evaluate(Inputs(contracted_estates=1, households=500, complaints=10, late=10, opinions=1, opinion_avg=50))
    assert result.scores["complaints"] == 40.0
    assert result.total == 62.7
    assert result.grade == "B" and result.passed
    assert result.key_supervision and not result.red_list_proposed


def test_failing_below_pass_line():
    # contracts 1/2 = 50, nothing else → total 50 → C, failed
    scheme = Scheme(pass_line=60)
    result = evaluate(Inputs(contracted_estates=2, ended_early=1), scheme)
    assert result.total == 50.0 and result.grade == "C" and not result.passed
    assert any(text.startswith("Failed") for text, _ in result.explanation)


def test_scheme_weights_and_thresholds_checked():
    assert Scheme().problems() == []
    assert Scheme(weights={"contracts": 50, "complaints": 30, "inspections": 25, "opinions": 20}).problems()
    assert Scheme(thresholds=(90, 90, 70, 60)).problems()
    assert Scheme(key_per_1000=0).problems()
