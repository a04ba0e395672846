"""Survey answers: quarterly NPS from contacts and CSAT after resolved inquiries.

Scores follow the account's engagement in that month, with noise; a share of answers
carries a Japanese comment in the matching tone.
"""

from __future__ import annotations

import random
from datetime import date

from kizuna.demo import texts
from kizuna.demo.dates import jst_date
from kizuna.demo.model import DemoActivity, DemoSurvey
from kizuna.demo.story import Story
from kizuna.models.enums import ActivityKind, InquiryStatus, SurveyKind

# Calendar months in which the quarterly relationship survey goes out.
NPS_MONTHS = (1, 4, 7, 10)


def build_surveys(
    rng: random.Random,
    story: Story,
    activities: list[DemoActivity],
    months: tuple[date, ...],
    window: int,
    today: date,
) -> list[DemoSurvey]:
    out = [*_nps(rng, story, months, window, today)]
    for activity in activities:
        if (
            activity.kind is ActivityKind.INQUIRY
            and activity.inquiry_status is InquiryStatus.RESOLVED
            and activity.resolved_at is not None
            and activity.contacts
            and rng.random() < 0.45
        ):
            month = _index(months, jst_date(activity.resolved_at))
            hours = (activity.resolved_at - activity.occurred_at).total_seconds() / 3600
            out.append(_csat(rng, story, activity, month, slow=hours > 24))
    return out


def _index(months: tuple[date, ...], day: date) -> int:
    first = months[0]
    return min(len(months) - 1, (day.year - first.year) * 12 + day.month - first.month)


def _nps(
    rng: random.Random, story: Story, months: tuple[date, ...], window: int, today: date
) -> list[DemoSurvey]:
    out = []
    for month in range(window, len(months)):
        if months[month].month not in NPS_MONTHS or not story.is_active(month):
            continue
        e = story.engagement[month]
        for contact in story.contacts:
            if contact.email_opt_out or rng.random() >= 0.25 + 0.4 * e:
                continue
            day = months[month].replace(day=rng.randint(5, 25))
            if day >= today:
                continue
            score = _clamp(round(rng.gauss(1.0 + 9.5 * e, 1.4)), 0, 10)
            comment = _nps_comment(rng, score) if rng.random() < 0.4 else ""
            out.append(
                DemoSurvey(
                    "", story.external_id, contact.external_id, SurveyKind.NPS, score, comment, day
                )
            )
    return out


def _csat(
    rng: random.Random, story: Story, inquiry: DemoActivity, month: int, *, slow: bool
) -> DemoSurvey:
    e = story.engagement[month]
    score = _clamp(round(rng.gauss(1.9 + 2.8 * e - (0.6 if slow else 0.0), 0.7)), 1, 5)
    comment = ""
    if rng.random() < 0.35:
        comment = rng.choice(texts.CSAT_COMMENTS_GOOD if score >= 4 else texts.CSAT_COMMENTS_BAD)
    assert inquiry.resolved_at is not None
    return DemoSurvey(
        "",
        story.external_id,
        inquiry.contacts[0],
        SurveyKind.CSAT,
        score,
        comment,
        jst_date(inquiry.resolved_at),
    )


def _nps_comment(rng: random.Random, score: int) -> str:
    if score >= 9:
        return rng.choice(texts.NPS_COMMENTS_PROMOTER)
    if score >= 7:
        return rng.choice(texts.NPS_COMMENTS_PASSIVE)
    return rng.choice(texts.NPS_COMMENTS_DETRACTOR)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
