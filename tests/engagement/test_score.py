"""CSAT, NPS, the monthly trend and the experience score, worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servanda.engagement.model import Feedback
from servanda.engagement.score import (
    ABOVE,
    AGREE,
    BELOW,
    CsatScore,
    NpsScore,
    csat_score,
    experience_score,
    for_display,
    in_period,
    monthly_trend,
    nps_score,
    perceived_quality,
)

APRIL_10 = datetime(2024, 4, 10, 9, tzinfo=UTC)


def answers(csat: list[int | None], nps: list[int | None] | None = None) -> list[Feedback]:
    nps = nps if nps is not None else [None] * len(csat)
    return [
        Feedback(customer="hospital", at=APRIL_10, csat=c, nps=n, comment="" if c or n else "hi")
        for c, n in zip(csat, nps, strict=True)
    ]


def test_csat_mean_and_share_satisfied() -> None:
    # 5 + 4 + 4 + 2 + 1 = 16 over 5 answers: mean 3.2; 3 of 5 answered 4 or 5: 60 %.
    score = csat_score(answers([5, 4, 4, 2, 1, None]))
    assert score == CsatScore(
        count=5,
        mean=Decimal("3.2"),
        satisfied=3,
        satisfied_share=Decimal(60),
        counts=(1, 1, 0, 2, 1),
    )
    assert csat_score(answers([None])) is None
    assert csat_score([]) is None


def test_a_mean_that_does_not_terminate_keeps_28_digits_whatever_the_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        score = csat_score(answers([4, 4, 5]))  # 13 / 3
    assert score is not None
    assert score.mean == Decimal("4.333333333333333333333333333")
    assert for_display(score.mean) == Decimal("4.3")


def test_nps_counts_promoters_passives_and_detractors() -> None:
    # 10 and 9 promote, 8 is passive, 6, 3 and 0 detract: (2 − 3) / 6 × 100 = −16.67.
    score = nps_score(answers([None] * 7, [10, 9, 8, 6, 0, 3, None]))
    assert score == NpsScore(
        count=6,
        promoters=2,
        passives=1,
        detractors=3,
        score=Decimal("-16.66666666666666666666666667"),
    )
    assert for_display(score.score, 0) == Decimal(-17)
    assert nps_score(answers([5])) is None


def test_nps_bounds() -> None:
    all_promoters = nps_score(answers([None, None], [9, 10]))
    all_detractors = nps_score(answers([None, None], [0, 6]))
    assert all_promoters is not None
    assert all_detractors is not None
    assert (all_promoters.score, all_detractors.score) == (100, -100)
    passives = nps_score(answers([None, None], [7, 8]))
    assert passives is not None
    assert passives.score == 0


def test_perceived_quality_from_csat_then_from_nps() -> None:
    csat = csat_score(answers([5, 4, 4, 2, 1]))
    nps = nps_score(answers([None] * 6, [10, 9, 8, 6, 0, 3]))
    # (3.2 − 1) / 4 × 100 = 55; CSAT wins when both are there.
    assert perceived_quality(csat, nps) == (Decimal(55), "csat")
    # (−16.67 + 100) / 2 = 41.67, computed as (2 − 3 + 6) × 50 / 6 = 250 / 6.
    assert perceived_quality(None, nps) == (Decimal("41.66666666666666666666666667"), "nps")
    assert perceived_quality(None, None) is None
    one = csat_score(answers([1]))
    five = csat_score(answers([5]))
    assert perceived_quality(one, None) == (Decimal(0), "csat")
    assert perceived_quality(five, None) == (Decimal(100), "csat")


def test_experience_score_reads_the_gap() -> None:
    feedback = answers([5, 4, 4, 2, 1])  # perceived 55
    below = experience_score(feedback, Decimal("99.5"))
    assert below is not None
    assert (below.perceived, below.measured, below.gap) == (Decimal(55), Decimal("99.5"), -44.5)
    assert below.perceived_from == "csat"
    assert below.reading == BELOW
    assert below.reading.startswith("perceived below measured: the outages hurt more")
    agree = experience_score(feedback, Decimal(60))  # gap −5: within the tolerance
    assert agree is not None
    assert (agree.gap, agree.reading) == (-5, AGREE)
    above = experience_score(feedback, Decimal(40))
    assert above is not None
    assert (above.gap, above.reading) == (15, ABOVE)
    strict = experience_score(feedback, Decimal(56), tolerance=Decimal(0))
    assert strict is not None
    assert strict.reading == BELOW
    from_nps = experience_score(answers([None], [10]), Decimal(100))
    assert from_nps is not None
    assert (from_nps.perceived, from_nps.perceived_from, from_nps.reading) == (100, "nps", AGREE)
    assert experience_score(answers([None]), Decimal(50)) is None


@pytest.mark.parametrize("measured", [Decimal(-1), Decimal("100.1")])
def test_measured_quality_is_on_the_0_to_100_scale(measured: Decimal) -> None:
    with pytest.raises(ValueError, match="from 0 to 100"):
        experience_score(answers([3]), measured)


def test_rounding_is_for_display_only() -> None:
    assert for_display(Decimal("4.25")) == Decimal("4.3")
    assert for_display(Decimal("-16.65")) == Decimal("-16.7")
    assert for_display(Decimal("99.949"), 2) == Decimal("99.95")
    assert str(for_display(Decimal(55), 1)) == "55.0"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_trend_takes_months_in_the_timezone() -> None:
    feedback = [
        Feedback(customer="hospital", at=at("2024-03-31T21:30:00+00:00"), csat=1),  # 31 Mar
        Feedback(customer="hospital", at=at("2024-03-31T22:30:00+00:00"), csat=5),  # 1 Apr Paris
        Feedback(customer="hospital", at=at("2024-04-15T10:00:00+00:00"), csat=3, nps=10),
        Feedback(customer="hospital", at=at("2024-04-30T22:30:00+00:00"), nps=2),  # 1 May Paris
        Feedback(customer="hospital", at=at("2024-05-20T10:00:00+00:00"), comment="slow DNS"),
    ]
    months = monthly_trend(feedback, "Europe/Paris")
    assert [(m.month, m.count) for m in months] == [
        (date(2024, 3, 1), 1),
        (date(2024, 4, 1), 2),
        (date(2024, 5, 1), 2),
    ]
    april = months[1]
    assert april.csat is not None
    assert april.csat.mean == 4  # (5 + 3) / 2
    assert april.nps is not None
    assert april.nps.score == 100
    may = months[2]
    assert may.csat is None
    assert may.nps is not None
    assert may.nps.score == -100
    utc = monthly_trend(feedback, "UTC")
    assert [(m.month.month, m.count) for m in utc] == [(3, 2), (4, 2), (5, 1)]


def test_a_trend_over_a_period_shows_every_month() -> None:
    feedback = [
        Feedback(customer="hospital", at=at("2024-03-31T21:30:00+00:00"), csat=1),  # before
        Feedback(customer="hospital", at=at("2024-04-15T10:00:00+00:00"), csat=3),
    ]
    start, end = at("2024-03-31T22:00:00+00:00"), at("2024-06-30T22:00:00+00:00")
    months = monthly_trend(feedback, "Europe/Paris", start, end)
    assert [(m.month, m.count, m.csat is not None) for m in months] == [
        (date(2024, 4, 1), 1, True),
        (date(2024, 5, 1), 0, False),
        (date(2024, 6, 1), 0, False),
    ]
    with pytest.raises(ValueError, match="both start and end"):
        monthly_trend(feedback, "UTC", start)


def test_in_period_is_half_open_and_filters() -> None:
    start = APRIL_10
    end = APRIL_10 + timedelta(days=1)
    feedback = [
        Feedback(customer="hospital", at=start, csat=5, service="voice"),
        Feedback(customer="hospital", at=end, csat=5, service="voice"),
        Feedback(customer="quai", at=start, csat=4),
        Feedback(customer="hospital", at=start, csat=3),
    ]
    assert in_period(feedback, start, end) == [feedback[0], feedback[2], feedback[3]]
    assert in_period(feedback, start, end, customer="hospital") == [feedback[0], feedback[3]]
    assert in_period(feedback, start, end, service="voice") == [feedback[0]]


scores = st.lists(
    st.tuples(st.one_of(st.none(), st.integers(1, 5)), st.one_of(st.none(), st.integers(0, 10))),
    max_size=40,
)


@given(scores, st.decimals(min_value=0, max_value=100, places=3))
def test_scores_stay_in_their_ranges(
    pairs: list[tuple[int | None, int | None]], measured: Decimal
) -> None:
    feedback = answers([c for c, _ in pairs], [n for _, n in pairs])
    csat = csat_score(feedback)
    nps = nps_score(feedback)
    if csat is not None:
        assert 1 <= csat.mean <= 5
        assert 0 <= csat.satisfied_share <= 100
        assert sum(csat.counts) == csat.count == sum(c is not None for c, _ in pairs)
    if nps is not None:
        assert -100 <= nps.score <= 100
        assert nps.promoters + nps.passives + nps.detractors == nps.count
    experience = experience_score(feedback, measured)
    assert (experience is None) == (csat is None and nps is None)
    if experience is not None:
        assert 0 <= experience.perceived <= 100
        assert experience.gap == experience.perceived - experience.measured
    months = monthly_trend(feedback, "Europe/Paris")
    assert sum(m.count for m in months) == len(feedback)
