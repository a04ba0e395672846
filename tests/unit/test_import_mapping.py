"""Import mapping: header matching, presets, the YAML form, value translation, Salesforce ids.

The fixtures in tests/fixtures/imports are small real-looking exports; only their header
lines (and, for the Salesforce id test, one column) are read here.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kizuna.importing.fields import TARGETS, target_field
from kizuna.importing.mapping import (
    Mapping,
    MappingOptions,
    auto_map,
    dump_mapping,
    load_mapping,
    map_value,
    normalise_header,
)
from kizuna.importing.presets import PRESETS, detect_preset, get_preset, list_presets
from kizuna.importing.salesforce import is_salesforce_id, normalise_salesforce_id
from kizuna.importing.synonyms import HEADER_SYNONYMS, NAME_PARTS
from kizuna.kit.errors import Invalid
from kizuna.models.importing import ImportKind

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"
A, C, P, S = (
    ImportKind.ACCOUNTS,
    ImportKind.CONTACTS,
    ImportKind.PRODUCTS,
    ImportKind.SUBSCRIPTIONS,
)
ACT, SURV = ImportKind.ACTIVITIES, ImportKind.SURVEY_RESPONSES


def read_rows(name: str, encoding: str) -> list[list[str]]:
    with (FIXTURES / name).open(encoding=encoding, newline="") as f:
        return list(csv.reader(f))


def headers_of(name: str, encoding: str) -> list[str]:
    return read_rows(name, encoding)[0]


def used_headers(mapping: Mapping) -> list[str]:
    return [h for target in mapping.columns for h in mapping.sources(target)]


# --- automatic matching on real exports --------------------------------------------------

FIXTURE_CASES: list[tuple[str, str, ImportKind, str | None, dict[str, Any]]] = [
    (
        "salesforce_report_accounts.csv",
        "cp932",
        A,
        "salesforce-report-accounts",
        {
            "external_id": "取引先 ID",
            "name": "取引先名",
            "domain": "Web サイト",
            "industry": "業種",
            "employee_count": "従業員数",
            "region": "都道府県(請求先)",
        },
    ),
    (
        "salesforce_dataloader_accounts.csv",
        "utf-8",
        A,
        "salesforce-dataloader-accounts",
        {
            "external_id": "ID",  # the file's own spelling (old Data Loader: capitals)
            "name": "NAME",
            "employee_count": "NUMBEROFEMPLOYEES",
            "region": "BILLINGSTATE",
            "tier": "TIER__C",  # a custom field found by its name without __c
            "notes": "DESCRIPTION",
        },
    ),
    (
        "salesforce_report_contacts.csv",
        "cp932",
        C,
        "salesforce-report-contacts",
        {
            "external_id": "取引先責任者 ID",
            "account_ref": "取引先 ID",
            "name": ["姓", "名"],
            "email": "メール",
            "roles": "役割",
        },
    ),
    (
        "salesforce_dataloader_contacts.csv",
        "utf-8",
        C,
        "salesforce-dataloader-contacts",
        {
            "external_id": "Id",
            "account_ref": "AccountId",
            "name": ["LastName", "FirstName"],
            "email_opt_out": "HasOptedOutOfEmail",
            "call_opt_out": "DoNotCall",
        },
    ),
    (
        "hubspot_companies.csv",
        "utf-8-sig",
        A,
        "hubspot-companies",
        {
            "external_id": "Record ID",
            "name": "Company name",
            "domain": "Company Domain Name",
            "employee_count": "Number of Employees",
            "region": "State/Region",
        },
    ),
    (
        "hubspot_contacts.csv",
        "utf-8-sig",
        C,
        "hubspot-contacts",
        {
            "external_id": "Record ID",
            "account_ref": "Associated Company ID",
            "name": ["Last Name", "First Name"],
            "title": "Job Title",
            "phone": "Phone Number",
        },
    ),
    (
        "hubspot_deals.csv",
        "utf-8-sig",
        S,
        "hubspot-deals",
        {
            "external_id": "Record ID",
            "account_ref": "Associated Company IDs",
            "product_ref": "プラン",  # not in the preset: found by synonym
            "mrr_amount": "Monthly recurring revenue",
            "start_on": "Close Date",
        },
    ),
    (
        "stripe_subscriptions.csv",
        "utf-8",
        S,
        "stripe-subscriptions",
        {
            "external_id": "id",
            "account_ref": "account_id (metadata)",
            "product_ref": "Product",
            "quantity": "Quantity",
            "unit_list_price_amount": "Amount",
            "start_on": "Start (UTC)",
            "end_on": "Ended At (UTC)",
            "billing_period_months": "Interval",
            "auto_renew": "Cancel At Period End",
        },
    ),
    (
        "plain_subscriptions.csv",
        "utf-8",
        S,
        None,
        {
            "account_ref": "account_id",
            "product_ref": "product",
            "start_on": "start_date",
            "end_on": "end_date",
            "mrr_amount": "mrr",
            "quantity": "quantity",
        },
    ),
    (
        "japanese_accounts.csv",
        "utf-8-sig",
        A,
        None,
        {
            "name": "会社名",
            "domain": "ドメイン",
            "industry": "業種",
            "employee_count": "従業員数",
            "region": "地域",
            "external_id": "外部ID",
        },
    ),
]


@pytest.mark.parametrize(
    ("filename", "encoding", "kind", "preset", "expected"),
    FIXTURE_CASES,
    ids=[case[0] for case in FIXTURE_CASES],
)
def test_auto_map_on_exports(
    filename: str,
    encoding: str,
    kind: ImportKind,
    preset: str | None,
    expected: dict[str, Any],
) -> None:
    headers = headers_of(filename, encoding)
    mapping, confidence = auto_map(kind, headers)

    assert detect_preset(kind, headers) == preset
    assert mapping.options.preset == preset
    for target, header in expected.items():
        assert mapping.columns.get(target) == header, target
        assert confidence[target] == 1.0, target
    assert mapping.unmapped_required() == []
    used = used_headers(mapping)
    assert len(used) == len(set(used)), "a header feeds two targets"
    assert set(used) <= set(headers)
    assert set(confidence) == set(mapping.columns)


def test_presets_keep_their_options() -> None:
    stripe, _ = auto_map(S, headers_of("stripe_subscriptions.csv", "utf-8"))
    assert stripe.options.amounts_in_major_units is True
    assert stripe.options.billing_period_months_from == "Interval"
    assert stripe.options.timezone == "UTC"
    assert map_value(stripe, "auto_renew", "true") is False  # Cancel At Period End, inverted

    deals, _ = auto_map(S, headers_of("hubspot_deals.csv", "utf-8-sig"))
    assert deals.options.amounts_in_major_units is True
    assert "Amount" not in used_headers(deals)  # a deal total is not an MRR

    plain, _ = auto_map(S, headers_of("plain_subscriptions.csv", "utf-8"))
    assert plain.options == MappingOptions()


def test_presets_only_for_their_kind() -> None:
    accounts_headers = headers_of("salesforce_report_accounts.csv", "cp932")
    assert detect_preset(C, accounts_headers) is None
    assert [p.name for p in list_presets(S)] == ["hubspot-deals", "stripe-subscriptions"]
    assert len(list_presets()) == len(PRESETS) == 8
    assert get_preset("salesforce-report-contacts").signature == ("取引先責任者 ID", "取引先 ID")


@pytest.mark.parametrize(
    ("kind", "header", "target"),
    [
        (A, "Ｃｏｍｐａｎｙ　Ｎａｍｅ", "name"),  # full-width letters and space
        (A, "company_name", "name"),
        (A, "ACCOUNT-NAME", "name"),
        (A, "社名", "name"),
        (A, "アカウント名", "name"),
        (A, "取引先 ID", "external_id"),
        (A, "Website", "domain"),
        (A, "NumberOfEmployees", "employee_count"),
        (A, "Billing State/Province", "region"),
        (A, "Tier__c", "tier"),
        (A, "CS_Phase__c", "phase"),
        (A, "導入目的", "purpose_of_adoption"),
        (C, "E-mail", "email"),
        (C, "ﾒｰﾙｱﾄﾞﾚｽ", "email"),  # half-width katakana
        (C, "取引先 ID", "account_ref"),  # another object's id is a reference
        (C, "Job Title", "title"),
        (C, "担当者名", "name"),
        (C, "役割", "roles"),
        (P, "SKU", "code"),
        (P, "製品コード", "code"),
        (S, "Current Period End (UTC)", "end_on"),
        (S, "ライセンス数", "quantity"),
        (S, "月額料金", "mrr_amount"),
        (S, "割引率", "discount_percent"),
        (S, "Customer ID", "account_ref"),
        (S, "Plan", "product_ref"),
        (ACT, "件名", "subject"),
        (ACT, "議事録", "body"),
        (ACT, "Activity Date", "occurred_at"),
        (ACT, "種別", "kind"),
        (SURV, "NPS", "score"),
        (SURV, "タイムスタンプ", "responded_on"),  # Google Forms
        (SURV, "メールアドレス", "contact_ref"),
    ],
)
def test_exact_synonyms(kind: ImportKind, header: str, target: str) -> None:
    mapping, confidence = auto_map(kind, [header])
    assert mapping.columns == {target: header}
    assert confidence[target] == 1.0


@pytest.mark.parametrize(
    ("kind", "header", "target", "low", "high"),
    [
        (A, "会社名（正式名称）", "name", 0.9, 0.9),
        (A, "【必須】会社名", "name", 0.9, 0.9),
        (A, "Account: Industry", "industry", 0.9, 0.9),
        (C, "ご担当者メールアドレス", "email", 0.6, 0.9),
        (C, "携帯電話", "phone", 0.6, 0.9),
        (A, "Compnay Name", "name", 0.6, 0.85),
    ],
)
def test_fuzzy_matches_have_lower_confidence(
    kind: ImportKind, header: str, target: str, low: float, high: float
) -> None:
    mapping, confidence = auto_map(kind, [header])
    assert mapping.columns == {target: header}
    assert low <= confidence[target] <= high


def test_identifiers_are_never_matched_fuzzily() -> None:
    mapping, _ = auto_map(A, ["Parent Account ID", "Company owner"])
    assert mapping.columns == {}


def test_one_header_per_target_and_target_per_header() -> None:
    mapping, confidence = auto_map(A, ["会社名", "取引先名", "業種"])
    assert mapping.columns == {"name": "会社名", "industry": "業種"}  # first wins, once
    assert confidence == {"name": 1.0, "industry": 1.0}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["姓", "名", "メール"], {"name": ["姓", "名"], "email": "メール"}),
        (["First Name", "Last Name"], {"name": ["Last Name", "First Name"]}),
        (["セイ", "メイ", "姓", "名"], {"name": ["姓", "名"], "name_kana": ["セイ", "メイ"]}),
        (["氏名", "姓", "名"], {"name": "氏名"}),  # a full-name column wins
    ],
)
def test_name_composed_of_family_and_given_name(
    headers: list[str], expected: dict[str, Any]
) -> None:
    mapping, confidence = auto_map(C, headers)
    assert mapping.columns == expected
    assert all(confidence[t] == 1.0 for t in expected)


def test_family_name_alone_is_a_guess() -> None:
    mapping, confidence = auto_map(C, ["LastName", "Email"])
    assert mapping.columns["name"] == "LastName"
    assert confidence["name"] < 1.0


def test_composition_against_single_columns() -> None:
    # Two name parts beat a loose single match; a family name alone does not.
    mapping, _ = auto_map(C, ["Company name", "First Name", "Last Name"])
    assert mapping.columns == {"name": ["Last Name", "First Name"]}
    mapping, confidence = auto_map(C, ["担当者氏名", "LastName"])
    assert mapping.columns == {"name": "担当者氏名"}
    assert 0.7 < confidence["name"] < 1.0


def test_blank_and_non_text_headers_are_ignored() -> None:
    mapping, _ = auto_map(A, [None, "", "会社名", "  "])  # type: ignore[list-item]
    assert mapping.columns == {"name": "会社名"}


def test_header_normalisation() -> None:
    assert normalise_header("\ufeffＥ－ｍａｉｌ ") == "email"
    assert normalise_header("都道府県（請求先）") == normalise_header("都道府県(請求先)")
    assert normalise_header("Account_Name__c") == "accountname"


def test_synonym_tables_are_consistent() -> None:
    for kind, table in HEADER_SYNONYMS.items():
        names = {f.name for f in TARGETS[kind]}
        assert set(table) <= names, kind
        owner: dict[str, str] = {}
        for target, words in table.items():
            for word in {normalise_header(w) for w in words}:
                assert owner.setdefault(word, target) == target, (kind, word)
        for parts in NAME_PARTS.get(kind, {}).values():
            for word in (w for group in parts for w in group):
                assert normalise_header(word) not in owner, (kind, word)


# --- YAML ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_yaml_round_trip(name: str) -> None:
    mapping = PRESETS[name]
    assert load_mapping(dump_mapping(mapping)) == mapping
    assert Mapping.from_dict(json.loads(json.dumps(mapping.to_dict()))) == mapping


def test_dump_is_readable_and_stable() -> None:
    mapping = Mapping(
        kind=C,
        columns={"roles": "役割", "name": ["姓", "名"], "custom.nps_owner": "NPS担当"},
        values={"roles": {"キーマン": "decision_maker"}},
        options=MappingOptions(list_separator="、"),
        name="営業部の月次エクスポート",
    )
    text = dump_mapping(mapping)
    assert "name: [姓, 名]" in text
    assert "キーマン: decision_maker" in text
    assert text.index("name: [") < text.index("roles:") < text.index("custom.nps_owner")
    assert dump_mapping(load_mapping(text)) == text
    assert load_mapping(text) == mapping


def test_load_a_hand_written_mapping() -> None:
    mapping = load_mapping(
        """
        kind: subscriptions
        columns:
          account_ref: 顧客コード
          product_ref: プラン
          start_on: 契約開始日
          mrr_amount: 月額(税抜)
        values:
          product_ref: {スタンダード: KZ-STD}
        options:
          amounts_in_major_units: true
          date_format: "%Y/%m/%d"
        """.replace("\n        ", "\n")
    )
    assert mapping.kind is S
    assert mapping.options.date_format == "%Y/%m/%d"
    assert mapping.options.match_key == "external_id"
    assert map_value(mapping, "product_ref", "ｽﾀﾝﾀﾞｰﾄﾞ") == "KZ-STD"
    assert mapping.unmapped_required() == []


def problems_of(text: str) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(Invalid) as caught:
        load_mapping(text)
    return [(p.loc, p.code) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("text", "loc", "code"),
    [
        ("kind: accounts\ncolumns: {mrr_amount: MRR}", ("mapping", "columns", "mrr_amount"),
         "unknown_target"),
        ("kind: invoices", ("mapping", "kind"), "unknown_kind"),
        ("columns: {}", ("mapping", "kind"), "required"),
        ("kind: accounts\nsheet: 1", ("mapping", "sheet"), "unknown_key"),
        ("kind: accounts\noptions: {encoding: cp932}", ("mapping", "options", "encoding"),
         "unknown_option"),
        ("kind: contacts\noptions: {match_key: domain}", ("mapping", "options", "match_key"),
         "invalid_option"),
        ("kind: accounts\noptions: {timezone: Mars/Olympus}",
         ("mapping", "options", "timezone"), "invalid_option"),
        ("kind: accounts\noptions: {amounts_in_major_units: 'yes'}",
         ("mapping", "options", "amounts_in_major_units"), "invalid_option"),
        ("kind: accounts\ncolumns: {name: {a: b}}", ("mapping", "columns", "name"),
         "invalid_header"),
        ("kind: contacts\nvalues: {roles: {キーマン: keyman}}",
         ("mapping", "values", "roles", "キーマン"), "unknown_value"),
        ("kind: contacts\nvalues: {is_primary: {主: maybe}}",
         ("mapping", "values", "is_primary", "主"), "unknown_value"),
        ("kind: survey-responses\ncolumns: {custom.reason: 理由}",
         ("mapping", "columns", "custom.reason"), "unknown_target"),
        ("kind: accounts\ncolumns: {custom.Bad-Key: x}", ("mapping", "columns", "custom.Bad-Key"),
         "unknown_target"),
        ("- just\n- a list", ("mapping",), "not_a_mapping"),
        ("kind: [unclosed", ("mapping",), "invalid_yaml"),
    ],
)  # fmt: skip
def test_load_errors_name_the_key(text: str, loc: tuple[str, ...], code: str) -> None:
    assert (loc, code) in problems_of(text)


def test_load_reports_every_problem_at_once() -> None:
    found = problems_of("kind: accounts\ncolumns: {mrr_amount: MRR, nmae: 会社名}\nextra: 1")
    assert {loc for loc, _ in found} == {
        ("mapping", "columns", "mrr_amount"),
        ("mapping", "columns", "nmae"),
        ("mapping", "extra"),
    }


def test_custom_fields_and_match_keys() -> None:
    mapping = load_mapping("kind: accounts\ncolumns: {custom.contract_plan: 契約プラン}")
    assert mapping.sources("custom.contract_plan") == ("契約プラン",)
    assert target_field(A, "custom.contract_plan") is not None
    assert load_mapping("kind: products").options.match_key == "code"
    assert Mapping(kind=P, columns={}).options.match_key == "code"
    assert load_mapping("kind: accounts\noptions: {match_key: domain}").options.match_key == (
        "domain"
    )


def test_unmapped_required_and_interval_column() -> None:
    assert Mapping(kind=A, columns={"domain": "URL"}).unmapped_required() == ["name"]
    assert Mapping(kind=S, columns={}).unmapped_required() == [
        "account_ref",
        "product_ref",
        "start_on",
    ]
    mapping = Mapping(kind=S, columns={}, options=MappingOptions(billing_period_months_from="期間"))
    assert mapping.sources("billing_period_months") == ("期間",)


# --- values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "target", "raw", "expected"),
    [
        (C, "roles", "決裁者", "decision_maker"),
        (C, "roles", "意思決定者", "decision_maker"),
        (C, "roles", "ＤＥＣＩＳＩＯＮ　ＭＡＫＥＲ", "decision_maker"),
        (C, "roles", "decision-maker", "decision_maker"),
        (C, "roles", "ｼｽﾃﾑ管理者", "admin"),
        (C, "roles", "ユーザー", "user"),
        (C, "roles", "推進者", "champion"),
        (C, "roles", " Executive Sponsor ", "executive_sponsor"),
        (C, "influence", "高", "high"),
        (C, "influence", "medium", "medium"),
        (C, "influence", "Ｌｏｗ", "low"),
        (A, "tier", "Tier 1", "tier1"),
        (A, "tier", "ティア２", "tier2"),
        (A, "tier", "ａ", "tier1"),
        (A, "tier", "T3", "tier3"),
        (A, "phase", "オンボーディング", "onboarding"),
        (A, "phase", "定着期", "adoption"),
        (A, "phase", "拡大・更新期", "expansion"),
        (ACT, "kind", "打ち合わせ", "meeting"),
        (ACT, "kind", "ＭＴＧ", "meeting"),
        (ACT, "kind", "電話", "call"),
        (ACT, "kind", "E-mail", "email"),
        (ACT, "kind", "問い合わせ", "inquiry"),
        (ACT, "kind", "Case", "inquiry"),
        (ACT, "kind", "メモ", "note"),
        (ACT, "kind", "qbr", "qbr"),
        (ACT, "kind", "研修", "training"),
        (ACT, "kind", "セミナー", "event"),
        (ACT, "inquiry_status", "対応済み", "resolved"),
        (SURV, "kind", "NPS", "nps"),
        (SURV, "kind", "顧客満足度", "csat"),
        (P, "kind", "基本プラン", "base_plan"),
        (P, "kind", "Add-on", "add_on"),
        (P, "kind", "オプション", "option"),
        (P, "kind", "サービス", "service"),
        (P, "unit", "シート", "seat"),
        (P, "unit", "固定", "fixed"),
        (P, "unit", "従量", "usage"),
        (C, "is_primary", "はい", True),
        (C, "is_primary", "○", True),
        (C, "is_primary", "Ｙ", True),
        (C, "is_primary", "TRUE", True),
        (C, "is_primary", 1, True),
        (C, "email_opt_out", "いいえ", False),
        (C, "email_opt_out", "×", False),
        (C, "email_opt_out", "0", False),
        (C, "email_opt_out", "n", False),
        (S, "billing_period_months", "month", 1),
        (S, "billing_period_months", "Year", 12),
        (S, "billing_period_months", "年払い", 12),
        (S, "billing_period_months", "四半期", 3),
        (S, "currency", "jpy", "JPY"),
        (S, "currency", "円", "JPY"),
        (S, "currency", "￥", "JPY"),
        (S, "currency", "usd", "USD"),
    ],
)
def test_builtin_value_synonyms(
    kind: ImportKind, target: str, raw: object, expected: object
) -> None:
    assert map_value(Mapping(kind=kind, columns={}), target, raw) == expected


@pytest.mark.parametrize(
    ("kind", "target", "raw"),
    [
        (C, "roles", "キーマン"),
        (A, "tier", "Platinum"),
        (C, "is_primary", "たぶん"),
        (S, "billing_period_months", "week"),
        (S, "billing_period_months", 12),
        (A, "employee_count", 5),
        (A, "name", "株式会社あさひ商事"),
        (A, "custom.plan", "Gold"),
        (A, "no_such_target", "x"),
        (ACT, "occurred_at", date(2024, 4, 1)),
        (A, "name", None),
    ],
)
def test_unknown_values_come_back_unchanged(kind: ImportKind, target: str, raw: object) -> None:
    assert map_value(Mapping(kind=kind, columns={}), target, raw) is raw


def test_mapping_values_come_first_ignoring_case_and_width() -> None:
    mapping = Mapping(
        kind=A,
        columns={},
        values={"tier": {"VIP": "tier1", "一般": "tier3"}, "industry": {"IT": "情報通信"}},
    )
    assert map_value(mapping, "tier", "vip") == "tier1"
    assert map_value(mapping, "tier", "ＶＩＰ ") == "tier1"
    assert map_value(mapping, "tier", "一般") == "tier3"
    assert map_value(mapping, "tier", "B") == "tier2"  # built-ins still apply
    assert map_value(mapping, "industry", "ｉｔ") == "情報通信"
    roles = Mapping(kind=C, columns={}, values={"roles": {"キーマン": "decision_maker"}})
    assert map_value(roles, "roles", "ｷｰﾏﾝ") == "decision_maker"


# --- Salesforce ids --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("001A000001abcde", "001A000001abcdeIAA"),
        ("a0D30000001n7Pi", "a0D30000001n7PiEAI"),  # the example of Salesforce's help
        ("00530000003xqAb", "00530000003xqAbAAI"),
        ("0015g00000KpQ3a", "0015g00000KpQ3aAAF"),
        ("0015g00000kpQ3a", "0015g00000kpQ3aAAE"),  # differs only in case: another record
        ("003000000000000", "003000000000000AAA"),
    ],
)
def test_salesforce_ids(id15: str, id18: str) -> None:
    assert normalise_salesforce_id(id15) == id18
    assert normalise_salesforce_id(id18) == id18
    assert normalise_salesforce_id(id18[:15] + id18[15:].lower()) == id18
    assert normalise_salesforce_id(f" {id15} ") == id18
    assert is_salesforce_id(id15)
    assert is_salesforce_id(id18)


@pytest.mark.parametrize("value", ["CRM-0001", "18234567801", "0015g00000KpQ3aZZZ", "", "abc"])
def test_other_ids_are_left_alone(value: str) -> None:
    assert normalise_salesforce_id(value) == value
    assert not is_salesforce_id(value) or len(value) == 15


def test_report_and_data_loader_exports_name_the_same_records() -> None:
    report = read_rows("salesforce_report_accounts.csv", "cp932")
    loader = read_rows("salesforce_dataloader_accounts.csv", "utf-8")
    report_map, _ = auto_map(A, report[0])
    loader_map, _ = auto_map(A, loader[0])
    rid, lid = report[0].index("取引先 ID"), loader[0].index("ID")
    report_ids = [map_value(report_map, "external_id", r[rid]) for r in report[1:] if len(r) > rid]
    loader_ids = [map_value(loader_map, "external_id", r[lid]) for r in loader[1:]]
    assert report_ids == loader_ids
    assert len(set(report_ids)) == len(report_ids)  # case-only twins stay apart

    contacts, _ = auto_map(C, headers_of("salesforce_report_contacts.csv", "cp932"))
    assert map_value(contacts, "account_ref", "0015g00000KpQ3a") == "0015g00000KpQ3aAAF"
    plain, _ = auto_map(A, headers_of("japanese_accounts.csv", "utf-8-sig"))
    assert map_value(plain, "external_id", "0015g00000KpQ3a") == "0015g00000KpQ3a"


def test_targets_describe_the_models() -> None:
    for kind, targets in TARGETS.items():
        names = [t.name for t in targets]
        assert len(names) == len(set(names)), kind
        for t in targets:
            assert (t.type == "money") == t.name.endswith("_amount"), t.name
            is_ref_name = t.name.endswith("_ref") and t.name != "contract_ref"  # a model field
            assert (t.type == "ref") == (t.ref is not None) == is_ref_name, t.name
            assert (t.enum is not None) <= (t.type in ("enum", "list")), t.name
    assert [t.name for t in TARGETS[C] if t.required] == ["account_ref", "name"]
    roles = target_field(C, "roles")
    assert roles is not None
    assert roles.type == "list"
