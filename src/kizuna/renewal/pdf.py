"""A closing plan as a PDF for the customer (reportlab; Japanese with the built-in CID font
HeiseiKakuGo-W5, so no font file is needed). Takes the customer view only: internal notes
never reach this module."""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kizuna.renewal.schemas import PublicPlan

FONT = "HeiseiKakuGo-W5"

_TEXT: dict[str, dict[str, str]] = {
    "ja": {
        "subtitle": "ミューチュアル・クロージング・プラン",
        "customer": "お客様",
        "goal": "目指す成果",
        "renews_on": "更新日",
        "progress": "進捗",
        "steps": "ステップ",
        "no": "#",
        "step": "内容",
        "side": "担当側",
        "owner": "担当者",
        "due": "期日",
        "status": "状況",
        "ours": "当社",
        "customer_side": "お客様",
        "planned": "予定",
        "in_progress": "進行中",
        "done": "完了",
        "blocked": "保留",
        "overdue": "期日超過",
        "updated": "最終更新",
        "none": "ステップはまだありません。",
    },
    "en": {
        "subtitle": "Mutual closing plan",
        "customer": "Customer",
        "goal": "Goal",
        "renews_on": "Renewal date",
        "progress": "Progress",
        "steps": "Steps",
        "no": "#",
        "step": "Step",
        "side": "Side",
        "owner": "Owner",
        "due": "Due",
        "status": "Status",
        "ours": "Us",
        "customer_side": "Customer",
        "planned": "Planned",
        "in_progress": "In progress",
        "done": "Done",
        "blocked": "Blocked",
        "overdue": "Overdue",
        "updated": "Last updated",
        "none": "No steps yet.",
    },
}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _day(value: date | None, language: str) -> str:
    if value is None:
        return "—"
    return f"{value.year}年{value.month}月{value.day}日" if language == "ja" else value.isoformat()


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def render_pdf(plan: PublicPlan) -> bytes:
    """The plan on A4 pages: title, customer, goal, progress and the table of steps."""
    font = _font()
    t = _TEXT.get(plan.language, _TEXT["ja"])
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=colors.grey)
    title = ParagraphStyle("title", parent=body, fontSize=17, leading=22, spaceAfter=2)
    heading = ParagraphStyle("heading", parent=body, fontSize=11.5, leading=16, spaceBefore=8)
    story: list[object] = [
        _p(t["subtitle"], small),
        _p(plan.title, title),
        _p(f"{t['customer']}: {plan.account_name}", body),
    ]
    if plan.renews_on is not None:
        story.append(_p(f"{t['renews_on']}: {_day(plan.renews_on, plan.language)}", body))
    story.append(
        _p(
            f"{t['progress']}: {plan.progress}% ({plan.steps_done}/{plan.steps_total})",
            body,
        )
    )
    if plan.goal:
        story += [_p(t["goal"], heading), _p(plan.goal, body)]
    story += [_p(t["steps"], heading), Spacer(1, 2 * mm)]
    if plan.steps:
        rows: list[list[object]] = [
            [_p(t[k], small) for k in ("no", "step", "side", "owner", "due", "status")]
        ]
        for i, step in enumerate(plan.steps, start=1):
            text = step.title + (f"\n{step.note}" if step.note else "")
            status = t[step.status.value]
            if step.status.value == "done" and step.done_on:
                status += f"\n{_day(step.done_on, plan.language)}"
            elif step.overdue:
                status += f"\n{t['overdue']}"
            rows.append(
                [
                    _p(str(i), body),
                    _p(text, body),
                    _p(t["ours"] if step.side.value == "ours" else t["customer_side"], body),
                    _p(step.owner or "—", body),
                    _p(_day(step.due_on, plan.language), body),
                    _p(status, body),
                ]
            )
        table = Table(
            rows,
            colWidths=[8 * mm, 72 * mm, 18 * mm, 30 * mm, 26 * mm, 24 * mm],
            repeatRows=1,
        )
        style: list[Any] = [
            ("GRID", (0, 0), (-1, -1), 0.4, colors.lightgrey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        for i, step in enumerate(plan.steps, start=1):
            if step.overdue:
                style.append(("BACKGROUND", (5, i), (5, i), colors.HexColor("#fdecea")))
        table.setStyle(TableStyle(style))
        story.append(table)
    else:
        story.append(_p(t["none"], body))
    story += [
        Spacer(1, 6 * mm),
        _p(f"{t['updated']}: {_day(plan.updated_at.date(), plan.language)}", small),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=plan.title,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    )
    doc.build(story)  # type: ignore[arg-type]
    return buffer.getvalue()
