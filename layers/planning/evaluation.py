"""The annual evaluation of an enterprise from its year's figures: component scores, total, grade, pass, lists.

Pure (no Django). The seed (003 §5(3)) combines contract fulfilment, complaint handling, daily inspections and the
street offices' opinions into a yearly grade; failing → a talk and a risk notice, failing two years running → the
black list (planning.credit_rating). Many complaints → key supervision (000 §4(1)); the best → the red list. How the
four inputs are scored and weighed the seeds leave to the district (EvaluationScheme); the rules below are
docs/EVALUATIONS.md:

- contract fulfilment = 100 × (estates contracted in the year − estates whose service ended before the year was
  over) / estates contracted; no contract in the year → no score;
- complaint handling = 40 % on-time rate (closed by the close deadline, of those closed or overdue) + 40 %
  satisfaction rate (satisfied or basically satisfied, of those rated) + 20 % volume score
  (100 × max(0, 1 − complaints per 1,000 households ÷ (2 × the key-supervision threshold))); a rate with nothing
  to count is 100; no households served → no score;
- inspections = the year's average inspection score in percent; street opinions = the average of the streets'
  scores; none → no score;
- total = the weighted mean of the scores present (a missing component's weight is shared by the others), one
  decimal; grade by the scheme's lowest totals; passed when total ≥ pass line;
- key supervision when complaints per 1,000 households reach the scheme's threshold; red list proposed for AAA
  that passed and is not under key supervision.

Every result carries its explanation: lines (text, params), the text an English msgid the page translates.
"""
from __future__ import annotations

from dataclasses import dataclass, field

COMPONENTS = ("contracts", "complaints", "inspections", "opinions")
GRADES = ("AAA", "AA", "A", "B")  # C below the last threshold
SHARE_ON_TIME, SHARE_SATISFACTION, SHARE_VOLUME = 0.4, 0.4, 0.2


def N_(text: str) -> str:
    """Marks an explanation text (translated where it is shown)."""
    return text


@dataclass(frozen=True)
class Scheme:
    weights: dict = field(default_factory=lambda: {"contracts": 25, "complaints": 30, "inspections": 25,
                                                   "opinions": 20})
    thresholds: tuple = (90, 80, 70, 60)  # lowest totals for AAA, AA, A, B
    pass_line: float = 60
    key_per_1000: float = 10

    def problems(self) -> list[str]:
        """What is wrong with the scheme (the database checks the same)."""
        out = []
        if any(self.weights.get(c, -1) < 0 for c in COMPONENTS):
            out.append("weights must be 0 or more")
        if sum(self.weights.get(c, 0) for c in COMPONENTS) != 100:
            out.append("weights must add up to 100")
        t = list(self.thresholds)
        if len(t) != 4 or t[0] > 100 or any(t[k] <= t[k + 1] for k in range(3)):
            out.append("grade thresholds must fall from AAA to B")
        if not 0 <= self.pass_line <= 100:
            out.append("the pass line must lie between 0 and 100")
        if self.key_per_1000 <= 0:
            out.append("the key-supervision threshold must be above 0")
        return out


@dataclass(frozen=True)
class Inputs:
    contracted_estates: int = 0
    ended_early: int = 0
    households: int = 0
    complaints: int = 0
    on_time: int = 0
    late: int = 0
    rated: int = 0
    satisfied: int = 0  # satisfied or basically satisfied
    inspections: int = 0
    inspection_pct: float | None = None
    opinions: int = 0
    opinion_avg: float | None = None


@dataclass
class Result:
    scores: dict
    total: float
    grade: str
    passed: bool
    key_supervision: bool
    red_list_proposed: bool
    per_1000: float | None
    explanation: list = field(default_factory=list)


def _r(value: float) -> float:
    return round(value + 1e-9, 1)


def _rate(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 100.0


def evaluate(inputs: Inputs, scheme: Scheme = Scheme()) -> Result:
    lines: list = []

    def say(text, **params):
        lines.append([text, params])

    scores: dict = {}
    if inputs.contracted_estates:
        kept = inputs.contracted_estates - inputs.ended_early
        scores["contracts"] = _r(100.0 * kept / inputs.contracted_estates)
        say(N_("Contract fulfilment: %(kept)d of %(contracted)d estates contracted in the year served to its end "
               "(%(early)d ended early) → %(score)s."), kept=kept, contracted=inputs.contracted_estates,
            early=inputs.ended_early, score=scores["contracts"])
    else:
        say(N_("Contract fulfilment: no estate contracted in the year → no score."))

    per_1000 = None
    if inputs.households:
        per_1000 = _r(1000.0 * inputs.complaints / inputs.households)
        on_time = _rate(inputs.on_time, inputs.on_time + inputs.late)
        satisfaction = _rate(inputs.satisfied, inputs.rated)
        volume = 100.0 * max(0.0, 1.0 - per_1000 / (2 * scheme.key_per_1000))
        scores["complaints"] = _r(SHARE_ON_TIME * on_time + SHARE_SATISFACTION * satisfaction
                                  + SHARE_VOLUME * volume)
        say(N_("Complaints: %(n)d for %(households)d households served = %(rate)s per 1,000; volume score "
               "%(volume)s (0 at %(zero)s per 1,000)."), n=inputs.complaints, households=inputs.households,
            rate=per_1000, volume=_r(volume), zero=_r(2 * scheme.key_per_1000))
        say(N_("Complaints: %(on_time)d of %(due)d closed on time = %(rate)s %%; %(satisfied)d of %(rated)d rated "
               "satisfied or basically satisfied = %(satisfaction)s %% (a rate with nothing to count is 100)."),
            on_time=inputs.on_time, due=inputs.on_time + inputs.late, rate=_r(on_time), satisfied=inputs.satisfied,
            rated=inputs.rated, satisfaction=_r(satisfaction))
        say(N_("Complaint handling = 40 %% on time + 40 %% satisfaction + 20 %% volume → %(score)s."),
            score=scores["complaints"])
    else:
        say(N_("Complaints: no households served → no score."))

    if inputs.inspection_pct is not None:
        scores["inspections"] = _r(inputs.inspection_pct)
        say(N_("Inspections: average of %(n)d inspections → %(score)s."), n=inputs.inspections,
            score=scores["inspections"])
    else:
        say(N_("Inspections: none in the year → no score."))

    if inputs.opinion_avg is not None:
        scores["opinions"] = _r(inputs.opinion_avg)
        say(N_("Street opinions: average of %(n)d streets' scores → %(score)s."), n=inputs.opinions,
            score=scores["opinions"])
    else:
        say(N_("Street opinions: none given → no score."))

    weights = {c: scheme.weights.get(c, 0) for c in scores}
    weight_sum = sum(weights.values())
    total = _r(sum(weights[c] * scores[c] for c in scores) / weight_sum) if weight_sum else 0.0
    parts = " + ".join(f"{weights[c]} × {scores[c]}" for c in COMPONENTS if c in scores) or "0"
    say(N_("Total = (%(parts)s) ÷ %(weights)d = %(total)s (weights of missing components are shared by the "
           "others)."), parts=parts, weights=weight_sum, total=total)

    grade = "C"
    for name, lowest in zip(GRADES, scheme.thresholds):
        if total >= lowest:
            grade = name
            break
    passed = total >= scheme.pass_line
    say(N_("Grade %(grade)s (AAA from %(aaa)s, AA from %(aa)s, A from %(a)s, B from %(b)s, else C)."), grade=grade,
        aaa=scheme.thresholds[0], aa=scheme.thresholds[1], a=scheme.thresholds[2], b=scheme.thresholds[3])
    if passed:
        say(N_("Passed: the total reaches the pass line %(line)s."), line=scheme.pass_line)
    else:
        say(N_("Failed: the total is below the pass line %(line)s (a talk and a risk notice; two failing years "
               "running put the enterprise on the black list)."), line=scheme.pass_line)

    key = per_1000 is not None and inputs.complaints > 0 and per_1000 >= scheme.key_per_1000
    if key:
        say(N_("Key supervision proposed: %(rate)s complaints per 1,000 households reach the threshold %(line)s."),
            rate=per_1000, line=scheme.key_per_1000)
    red = grade == GRADES[0] and passed and not key
    if red:
        say(N_("Red list proposed: grade AAA, passed, not under key supervision."))
    return Result(scores=scores, total=total, grade=grade, passed=passed, key_supervision=key,
                  red_list_proposed=red, per_1000=per_1000, explanation=lines)
