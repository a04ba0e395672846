"""Built-in value synonyms: the words real files use for our enums, booleans, billing
intervals and currencies.

Lookups compare :func:`compact_value` forms (NFKC, case-folded, without spaces, ``_``,
``-`` and ``・``), so ``Decision Maker``, ``decision_maker``, ``ＤＥＣＩＳＩＯＮ　ＭＡＫＥＲ``
and ``Decision-Maker`` are one entry. Every member's value and name also stand for
themselves.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from kizuna.models.enums import (
    ActivityKind,
    ContactRole,
    Influence,
    InquiryStatus,
    Phase,
    ProductKind,
    ProductUnit,
    SurveyKind,
    Tier,
)

_T = TypeVar("_T")

_SPACES = re.compile(r"\s+")
_COMPACT_DROP = re.compile(r"[\s_\-・]+")


def value_key(raw: str) -> str:
    """NFKC, case-folded, stripped, inner whitespace collapsed: how ``values`` keys compare."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", raw).casefold().strip())


def compact_value(raw: str) -> str:
    """:func:`value_key` without spaces, underscores, hyphens and ``・``."""
    return _COMPACT_DROP.sub("", value_key(raw))


ENUM_SYNONYMS: dict[type[StrEnum], dict[str, tuple[str, ...]]] = {
    ContactRole: {
        "decision_maker": (
            "決裁者",
            "意思決定者",
            "決定権者",
            "最終決裁者",
            "Decision Maker",
            "DM",
        ),
        "admin": (
            "管理者",
            "システム管理者",
            "運用管理者",
            "管理担当",
            "Admin",
            "Administrator",
            "System Administrator",
        ),
        "user": (
            "利用者",
            "ユーザー",
            "ユーザ",
            "エンドユーザー",
            "一般ユーザー",
            "User",
            "End User",
        ),
        "champion": ("チャンピオン", "推進者", "社内推進者", "推進担当", "Champion"),
        "executive_sponsor": (
            "エグゼクティブスポンサー",
            "役員",
            "経営層",
            "スポンサー",
            "Executive Sponsor",
            "Executive",
            "Sponsor",
        ),
    },
    Tier: {
        "tier1": ("Tier 1", "ティア1", "T1", "A", "Aランク", "ランクA", "1"),
        "tier2": ("Tier 2", "ティア2", "T2", "B", "Bランク", "ランクB", "2"),
        "tier3": ("Tier 3", "ティア3", "T3", "C", "Cランク", "ランクC", "3"),
    },
    Phase: {
        "onboarding": ("導入期", "導入", "オンボーディング", "立ち上げ期", "Onboarding"),
        "adoption": ("定着期", "定着", "活用期", "利活用期", "Adoption"),
        "expansion": (
            "拡大期",
            "更新期",
            "拡大・更新期",
            "拡大",
            "更新",
            "Expansion",
            "Renewal",
            "Expansion & Renewal",
        ),
    },
    ActivityKind: {
        "meeting": (
            "打ち合わせ",
            "打合せ",
            "打合わせ",
            "会議",
            "ミーティング",
            "MTG",
            "面談",
            "訪問",
            "Web会議",
            "オンライン会議",
            "Meeting",
            "Visit",
        ),
        "call": ("電話", "架電", "通話", "Call", "Phone", "Phone Call"),
        "email": ("メール", "Eメール", "E-mail", "Email", "Mail"),
        "inquiry": (
            "問い合わせ",
            "問合せ",
            "問い合せ",
            "お問い合わせ",
            "サポート",
            "Inquiry",
            "Case",
            "Ticket",
            "Support Ticket",
        ),
        "note": ("メモ", "ノート", "備考", "Note", "Memo"),
        "qbr": ("QBR", "四半期レビュー", "ビジネスレビュー", "Quarterly Business Review"),
        "training": ("トレーニング", "研修", "勉強会", "Training", "Workshop"),
        "event": (
            "イベント",
            "セミナー",
            "ウェビナー",
            "ユーザー会",
            "Event",
            "Seminar",
            "Webinar",
        ),
        "proposal": ("提案", "提案書", "見積提示", "Proposal", "Quote"),
    },
    InquiryStatus: {
        "open": ("未対応", "対応中", "新規", "オープン", "Open", "New", "In Progress"),
        "pending": (
            "保留",
            "回答待ち",
            "お客様回答待ち",
            "Pending",
            "Waiting on customer",
            "On Hold",
        ),
        "resolved": (
            "解決",
            "解決済み",
            "完了",
            "対応済み",
            "クローズ",
            "Resolved",
            "Closed",
            "Done",
        ),
    },
    SurveyKind: {
        "nps": ("NPS", "ネットプロモータースコア", "推奨度", "Net Promoter Score"),
        "csat": ("CSAT", "顧客満足度", "満足度", "Customer Satisfaction"),
    },
    ProductKind: {
        "base_plan": (
            "基本プラン",
            "ベースプラン",
            "プラン",
            "本体",
            "基本料金",
            "Plan",
            "Base Plan",
            "Base",
        ),
        "option": ("オプション", "Option"),
        "add_on": ("アドオン", "追加機能", "Add-on", "Addon"),
        "service": (
            "サービス",
            "役務",
            "導入支援",
            "初期費用",
            "Service",
            "Services",
            "Professional Services",
        ),
    },
    ProductUnit: {
        "seat": (
            "シート",
            "ユーザー",
            "ID",
            "ライセンス",
            "席",
            "Seat",
            "User",
            "Per Seat",
            "Per User",
            "License",
        ),
        "fixed": ("固定", "定額", "月額固定", "Fixed", "Flat", "Flat Fee"),
        "usage": ("従量", "従量課金", "Usage", "Metered", "Usage-based"),
    },
    Influence: {
        "high": ("高", "高い", "大", "High", "H"),
        "medium": ("中", "普通", "Medium", "Mid", "M"),
        "low": ("低", "低い", "小", "Low", "L"),
    },
}

_BOOLEANS: dict[bool, tuple[str, ...]] = {
    True: (
        "はい",
        "○",
        "〇",
        "◯",
        "✓",
        "✔",
        "有",
        "あり",
        "有効",
        "true",
        "t",
        "1",
        "y",
        "yes",
        "on",
    ),
    False: ("いいえ", "×", "✕", "無", "なし", "無効", "false", "f", "0", "n", "no", "off"),
}

# Billing interval words (Stripe's ``Interval``, Japanese payment terms) → months.
_INTERVALS: dict[int, tuple[str, ...]] = {
    1: ("month", "monthly", "月", "月次", "月払い", "毎月", "月額", "1ヶ月", "1か月", "1カ月"),
    3: ("quarter", "quarterly", "四半期", "3ヶ月", "3か月", "3カ月"),
    6: ("half-year", "semiannual", "semi-annual", "半年", "半期", "6ヶ月", "6か月", "6カ月"),
    12: (
        "year",
        "yearly",
        "annual",
        "annually",
        "年",
        "年次",
        "年払い",
        "年額",
        "毎年",
        "1年",
        "12ヶ月",
        "12か月",
        "12カ月",
    ),
    24: ("2年", "24ヶ月", "24か月", "24カ月"),
    36: ("3年", "36ヶ月", "36か月", "36カ月"),
}

_CURRENCIES: dict[str, tuple[str, ...]] = {
    "JPY": ("円", "¥", "日本円", "yen"),
    "USD": ("ドル", "米ドル", "$", "US$", "dollar"),
    "EUR": ("ユーロ", "€", "euro"),
}


def _index(table: Mapping[_T, tuple[str, ...]]) -> dict[str, _T]:
    return {compact_value(word): target for target, words in table.items() for word in words}


def _enum_index(enum_cls: type[StrEnum]) -> dict[str, str]:
    index = _index(ENUM_SYNONYMS.get(enum_cls, {}))
    for member in enum_cls:
        index[compact_value(member.value)] = member.value
        index[compact_value(member.name)] = member.value
    return index


_ENUM_INDEX: dict[type[StrEnum], dict[str, str]] = {}
_BOOL_INDEX = _index(_BOOLEANS)
_INTERVAL_INDEX = _index(_INTERVALS)
_CURRENCY_INDEX = _index(_CURRENCIES)
_ISO_CURRENCY = re.compile(r"^[a-z]{3}$")


def enum_value(enum_cls: type[StrEnum], raw: str) -> str | None:
    """The member value ``raw`` stands for, or None."""
    index = _ENUM_INDEX.get(enum_cls)
    if index is None:
        index = _ENUM_INDEX[enum_cls] = _enum_index(enum_cls)
    return index.get(compact_value(raw))


def bool_value(raw: str) -> bool | None:
    """True/False for はい/いいえ, ○/×, true/false, 1/0, Y/N …, or None."""
    return _BOOL_INDEX.get(compact_value(raw))


def interval_months(raw: str) -> int | None:
    """Months of a billing interval word (``month`` → 1, ``year`` / ``年払い`` → 12), or None."""
    return _INTERVAL_INDEX.get(compact_value(raw))


def currency_code(raw: str) -> str | None:
    """ISO code for ``円`` / ``¥`` / ``jpy`` … (any three letters are upper-cased), or None."""
    key = compact_value(raw)
    if key in _CURRENCY_INDEX:
        return _CURRENCY_INDEX[key]
    return key.upper() if _ISO_CURRENCY.match(key) else None
