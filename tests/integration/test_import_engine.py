"""The import engine through its service (issue 3 §8), on SQLite and on PostgreSQL.

Every test goes the way the web page, the worker and the CLI go: ``create_run`` keeps the
file and proposes a mapping, ``execute_run`` checks every row and writes in the caller's
transaction (the test's, rolled back afterwards).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from factories import make_account, make_product
from kizuna.auth.actor import Actor
from kizuna.customfield import service as custom_fields
from kizuna.customfield.schemas import CustomFieldCreate
from kizuna.importing import engine
from kizuna.importing.salesforce import normalise_salesforce_id
from kizuna.importing.service import Workspace, create_run, execute_run
from kizuna.importing.write import Batch, ChunkWriter, Counts
from kizuna.models import Account, Contact, ContactRoleLink, Subscription
from kizuna.models.enums import ContactRole, CustomFieldObject, CustomFieldType
from kizuna.models.importing import ImportKind, ImportRun, ImportStatus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
ACTOR = Actor.system("test")

SF_ACCOUNT_IDS = [
    "0015g00000KpQ3aAAF",
    "0015g00000kpQ3aAAE",
    "0015g00000Lm7RtAAJ",
    "0015g00000Xy2ZbAAJ",
    "0015g00000Ab9CdAAJ",
    "0015g00000Qw3ErAAJ",
    "0015g00000Ty6UiAAJ",
    "0015g00000Op1AsAAJ",
]


# --- helpers -------------------------------------------------------------------------------


def run_import(
    session: Session,
    tmp_path: Path,
    kind: ImportKind,
    path: Path,
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
) -> ImportRun:
    """Upload ``path`` and execute the run, as the CLI does (one call each)."""
    workspace = Workspace(tmp_path / "workspace")
    run = create_run(
        session,
        ACTOR,
        workspace,
        kind=kind,
        filename=path.name,
        upload=path,
        skip_invalid=skip_invalid,
        dry_run=dry_run,
    )
    return execute_run(session, ACTOR, workspace, run.id)


def fixture(name: str) -> Path:
    return FIXTURES / name


def write_csv(
    folder: Path, name: str, rows: Sequence[Sequence[object]], *, encoding: str = "utf-8"
) -> Path:
    path = folder / name
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def count(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def problems(run: ImportRun) -> list[tuple[int, str, str, str]]:
    """(row, column, value, code) of every kept problem, in row order."""
    return sorted((p["row"], p["column"], p["value"], p["code"]) for p in run.problems)


def accounts_by_external_id(session: Session) -> dict[str | None, Account]:
    """Stored accounts as the database has them now (imports write with Core, past the ORM)."""
    session.expire_all()
    return {a.external_id: a for a in session.scalars(select(Account))}


def assert_done(run: ImportRun, *, created: int = 0, updated: int = 0, unchanged: int = 0) -> None:
    assert run.problems == []
    assert run.status is ImportStatus.DONE
    assert (run.created_count, run.updated_count, run.unchanged_count) == (
        created,
        updated,
        unchanged,
    )
    assert run.invalid_rows == 0
    assert run.skipped_count == 0


# --- presets ---------------------------------------------------------------------------------


def test_salesforce_dataloader_accounts_then_contacts(session: Session, tmp_path: Path) -> None:
    accounts = run_import(
        session, tmp_path, ImportKind.ACCOUNTS, fixture("salesforce_dataloader_accounts.csv")
    )
    assert accounts.mapping["options"]["preset"] == "salesforce-dataloader-accounts"
    assert_done(accounts, created=8)
    stored = accounts_by_external_id(session)
    assert sorted(k for k in stored if k) == sorted(SF_ACCOUNT_IDS)
    sakura = stored["0015g00000KpQ3aAAF"]
    assert sakura.name == "株式会社さくらロジスティクス"
    assert sakura.domain == "sakura-logi.co.jp"  # the website URL, reduced to its domain
    assert sakura.employee_count == 1200
    assert sakura.region == "東京都"
    # Ids differing only in letter case are two records; a quoted cell may span lines.
    subsidiary = stored["0015g00000kpQ3aAAE"]
    assert subsidiary.name == "さくら物流サービス株式会社"
    assert subsidiary.notes == "さくらロジスティクスの子会社\n（IDは大文字小文字違い）"
    assert stored["0015g00000Ab9CdAAJ"].employee_count is None

    contacts = run_import(
        session, tmp_path, ImportKind.CONTACTS, fixture("salesforce_dataloader_contacts.csv")
    )
    assert_done(contacts, created=7)
    by_id = {c.external_id: c for c in session.scalars(select(Contact))}
    yamada = by_id["0035g00000Rt5YuAAJ"]
    assert yamada.name == "山田 太郎"  # LastName + FirstName, family name first
    assert yamada.account_id == sakura.id
    assert by_id["0035g00000Gh2JlAAJ"].name == "渡辺"  # no given name: no trailing space
    assert by_id["0035g00000Gh2JkAAJ"].email == "makoto.kobayashi@minato-seiki.co.jp"
    assert by_id["0035g00000Zx8CvAAJ"].email_opt_out is True
    assert by_id["0035g00000Zx8CvAAJ"].account_id == stored["0015g00000Xy2ZbAAJ"].id


def test_salesforce_report_gives_the_same_ids_as_data_loader(
    session: Session, tmp_path: Path
) -> None:
    """The report (CP932, 15-character ids, notice lines at the end) and Data Loader (18)
    name the same records: importing one after the other creates nothing new."""
    report = run_import(
        session,
        tmp_path,
        ImportKind.ACCOUNTS,
        fixture("salesforce_report_accounts.csv"),
        skip_invalid=True,
    )
    assert report.encoding == "cp932"
    assert report.mapping["options"]["preset"] == "salesforce-report-accounts"
    assert report.status is ImportStatus.DONE
    assert report.created_count == 8
    # The footer ("機密情報…", copyright) is two rows without a name; the blank line before
    # it is skipped and keeps its number.
    assert problems(report) == [
        (11, "取引先名", "", "required"),
        (12, "取引先名", "", "required"),
    ]
    assert report.skipped_count == 2
    stored = accounts_by_external_id(session)
    assert sorted(k for k in stored if k) == sorted(SF_ACCOUNT_IDS)
    assert stored["0015g00000KpQ3aAAF"].employee_count == 1200  # "1,200"
    assert stored["0015g00000Ab9CdAAJ"].name == "株式会社髙島建設"  # 髙 exists only in CP932
    assert {normalise_salesforce_id(i[:15]) for i in SF_ACCOUNT_IDS} == set(SF_ACCOUNT_IDS)

    loader = run_import(
        session, tmp_path, ImportKind.ACCOUNTS, fixture("salesforce_dataloader_accounts.csv")
    )
    assert loader.status is ImportStatus.DONE
    assert loader.created_count == 0
    assert loader.updated_count + loader.unchanged_count == 8
    assert count(session, Account) == 8
    stored = accounts_by_external_id(session)
    assert stored["0015g00000Qw3ErAAJ"].name == "ナゴヤテック株式会社"  # updated from the loader


def test_salesforce_report_contacts_read_japanese_roles(session: Session, tmp_path: Path) -> None:
    run_import(
        session, tmp_path, ImportKind.ACCOUNTS, fixture("salesforce_dataloader_accounts.csv")
    )
    report = run_import(
        session,
        tmp_path,
        ImportKind.CONTACTS,
        fixture("salesforce_report_contacts.csv"),
        skip_invalid=True,
    )
    assert report.encoding == "cp932"
    assert report.created_count == 6
    assert (7, "役割", "キーマン", "unknown_value") in problems(report)  # not a known role word
    assert report.invalid_rows == 3  # キーマン and the two notice lines
    roles = _roles(session)
    assert roles["0035g00000Rt5YuAAJ"] == {ContactRole.DECISION_MAKER}
    assert roles["0035g00000Rt5YvAAJ"] == {ContactRole.ADMIN, ContactRole.USER}
    assert roles["0035g00000Gh2JkAAJ"] == {ContactRole.CHAMPION}
    assert roles["0035g00000Wq1EsAAJ"] == {ContactRole.DECISION_MAKER, ContactRole.CHAMPION}


def test_hubspot_companies_then_contacts(session: Session, tmp_path: Path) -> None:
    companies = run_import(session, tmp_path, ImportKind.ACCOUNTS, fixture("hubspot_companies.csv"))
    assert companies.mapping["options"]["preset"] == "hubspot-companies"
    assert companies.encoding == "utf-8-sig"
    assert_done(companies, created=6)
    stored = accounts_by_external_id(session)
    assert stored["18234567803"].domain == "kotori-edu.com"
    assert stored["18234567806"].employee_count == 2400
    assert stored["18234567805"].employee_count is None
    assert stored["18234567805"].domain is None

    contacts = run_import(
        session, tmp_path, ImportKind.CONTACTS, fixture("hubspot_contacts.csv"), skip_invalid=True
    )
    assert contacts.status is ImportStatus.DONE
    assert contacts.created_count == 5
    # Record 51005 has neither a company nor a name.
    assert problems(contacts) == [
        (6, "Associated Company ID", "", "required"),
        (6, "Last Name + First Name", "", "required"),
    ]
    assert contacts.skipped_count == 1
    by_id = {c.external_id: c for c in session.scalars(select(Contact))}
    assert by_id["51001"].name == "佐々木 由紀"
    assert by_id["51001"].account_id == stored["18234567801"].id
    assert by_id["51003"].name == "Clark Emily"
    assert by_id["51006"].title == "DX推進室 室長"


def test_hubspot_deals_need_their_products(session: Session, tmp_path: Path) -> None:
    run_import(session, tmp_path, ImportKind.ACCOUNTS, fixture("hubspot_companies.csv"))
    session.get_one(Account, accounts_by_external_id(session)["18234567804"].id).currency = "USD"
    for code in ("KZ-STD", "KZ-ENT", "KZ-ONBOARD", "KZ-OPT-SSO", "KZ-STARTER"):
        make_product(session, code=code)
    deals = run_import(
        session, tmp_path, ImportKind.SUBSCRIPTIONS, fixture("hubspot_deals.csv"), skip_invalid=True
    )
    assert deals.status is ImportStatus.DONE
    assert deals.created_count == 4
    assert problems(deals) == [
        (4, "Monthly recurring revenue", "", "required"),  # a one-off fee: no MRR
        (7, "Associated Company IDs", "18234567806;18234567801", "unknown_reference"),
    ]
    lines = {s.external_id: s for s in session.scalars(select(Subscription))}
    assert lines["9100001"].mrr_amount == 50_000
    assert lines["9100001"].start_on == date(2024, 4, 1)
    assert lines["9100005"].mrr_amount == 20_000  # $200.00 in cents
    assert lines["9100005"].currency == "USD"


def test_stripe_subscriptions_monthly_and_yearly_mrr(session: Session, tmp_path: Path) -> None:
    """Amounts in major units per interval and unit: MRR = Amount × Quantity ÷ months."""
    accounts = {
        external_id: make_account(session, external_id=external_id, currency=currency)
        for external_id, currency in [
            ("0015g00000KpQ3aAAF", "JPY"),
            ("0015g00000Lm7RtAAJ", "JPY"),
            ("0015g00000Xy2ZbAAJ", "JPY"),
            ("0015g00000Op1AsAAJ", "USD"),
        ]
    }
    base = make_product(session, code="prod_PfG2BaseKz01")
    sso = make_product(session, code="prod_PfG2SsoOpt02")
    run = run_import(
        session,
        tmp_path,
        ImportKind.SUBSCRIPTIONS,
        fixture("stripe_subscriptions.csv"),
        skip_invalid=True,
    )
    assert run.mapping["options"]["preset"] == "stripe-subscriptions"
    assert run.status is ImportStatus.DONE
    assert run.created_count == 5
    assert problems(run) == [(7, "account_id (metadata)", "", "required")]
    lines = {s.external_id: s for s in session.scalars(select(Subscription))}
    monthly = lines["sub_1OqX7aLkd83JfQ2mZ1"]
    assert (monthly.mrr_amount, monthly.quantity, monthly.billing_period_months) == (60_000, 40, 1)
    assert monthly.unit_list_price_amount == 1500
    assert monthly.account_id == accounts["0015g00000KpQ3aAAF"].id
    assert monthly.product_id == base.id
    assert monthly.start_on == date(2024, 3, 1)
    assert monthly.end_on is None
    assert monthly.auto_renew is True
    yearly = lines["sub_1OqX9cLkd83JfQ2mZ2"]
    assert (yearly.mrr_amount, yearly.billing_period_months, yearly.product_id) == (
        10_000,
        12,
        sso.id,
    )
    assert lines["sub_1PbC2eLkd83JfQ2mZ3"].auto_renew is False  # Cancel At Period End
    assert lines["sub_1NzA1fLkd83JfQ2mZ4"].end_on == date(2024, 5, 1)
    assert lines["sub_1NzA1fLkd83JfQ2mZ4"].mrr_amount == 7_500
    dollars = lines["sub_1PcD3gLkd83JfQ2mZ5"]
    assert (dollars.currency, dollars.unit_list_price_amount, dollars.mrr_amount) == (
        "USD",
        1250,
        15_000,
    )

    again = run_import(
        session, tmp_path, ImportKind.SUBSCRIPTIONS, fixture("stripe_subscriptions.csv")
    )
    assert again.status is ImportStatus.VALIDATED  # the bad row blocks a run without skipping
    assert (again.created_count, again.unchanged_count) == (0, 0)
    assert count(session, Subscription) == 5


# --- encodings and the shape of the file ----------------------------------------------------


def test_shift_jis_cp932_file(session: Session, tmp_path: Path) -> None:
    names = ["㈱髙橋商事", "有限会社①号店", "ﾊﾝｶｸ物産株式会社", "株式会社　全角スペース"]
    path = write_csv(
        tmp_path,
        "sjis.csv",
        [["外部ID", "会社名", "業種"], *[[f"SJ-{i}", n, "製造"] for i, n in enumerate(names)]],
        encoding="cp932",
    )
    run = run_import(session, tmp_path, ImportKind.ACCOUNTS, path)
    assert run.encoding == "cp932"
    assert_done(run, created=4)
    assert sorted(a.name for a in session.scalars(select(Account))) == sorted(names)


def test_utf8_with_bom(session: Session, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "bom.csv",
        [["会社名", "外部ID"], ["株式会社ボム", "BOM-1"]],
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    run = run_import(session, tmp_path, ImportKind.ACCOUNTS, path)
    assert run.encoding == "utf-8-sig"
    assert run.mapping["columns"]["name"] == "会社名"  # the BOM is not part of the header
    assert_done(run, created=1)
    assert accounts_by_external_id(session)["BOM-1"].name == "株式会社ボム"


def test_ragged_rows_are_reported_with_their_row_numbers(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(
        "外部ID,会社名,業種\n"
        'R-1,"株式会社\n改行",製造\n'  # one record over two lines: still row 2
        "R-2,株式会社長い行,製造,余分,もう一つ\n"  # row 3: two cells too many
        "R-3,株式会社短い行\n"  # row 4: short rows are padded, not an error
        "R-4,株式会社末尾,製造,,\n",  # row 5: trailing empty cells are not extra
        encoding="utf-8",
    )
    run = run_import(session, tmp_path, ImportKind.ACCOUNTS, path)
    assert run.status is ImportStatus.VALIDATED
    assert run.total_rows == 4
    assert run.invalid_rows == 1
    assert problems(run) == [(3, "", "", "extra_cells")]
    assert run.problems[0]["message"] == "2 more cells than there are headers"
    assert count(session, Account) == 0

    skipped = run_import(session, tmp_path, ImportKind.ACCOUNTS, path, skip_invalid=True)
    assert (skipped.created_count, skipped.skipped_count) == (3, 1)
    assert accounts_by_external_id(session)["R-1"].name == "株式会社\n改行"


def test_wrong_types_name_row_column_value_and_reason(session: Session, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "types.csv",
        [
            ["外部ID", "会社名", "従業員数", "ティア", "フェーズ"],
            ["T-1", "株式会社正しい", "１２０", "tier1", "onboarding"],
            ["T-2", "株式会社数字違い", "約30名", "tier2", ""],
            ["T-3", "株式会社選択肢違い", "10", "tier9", "adoption"],
            ["T-4", "株式会社負数", "-5", "", ""],
        ],
    )
    run = run_import(session, tmp_path, ImportKind.ACCOUNTS, path)
    assert run.status is ImportStatus.VALIDATED
    assert run.invalid_rows == 3
    assert problems(run) == [
        (3, "従業員数", "約30名", "not_number"),
        (4, "ティア", "tier9", "unknown_value"),
        (5, "従業員数", "-5", "too_small"),
    ]
    by_row = {p["row"]: p for p in run.problems}
    assert by_row[3]["message"] == "not a number"
    assert by_row[4]["message"].startswith("not one of: tier1, tier2, tier3")
    assert count(session, Account) == 0
    report = (tmp_path / "workspace" / "imports" / str(run.id) / "problems.csv").read_text(
        encoding="utf-8-sig"
    )
    assert report.splitlines()[0] == "row,column,value,code,message"
    assert "3,従業員数,約30名,not_number,not a number" in report.splitlines()


def test_japanese_accounts_fixture(session: Session, tmp_path: Path) -> None:
    run = run_import(
        session, tmp_path, ImportKind.ACCOUNTS, fixture("japanese_accounts.csv"), skip_invalid=True
    )
    assert problems(run) == [
        (5, "従業員数", "約30名", "not_number"),
        (6, "外部ID", "CRM-0001", "duplicate_in_file"),
    ]
    assert run.created_count == 4
    stored = accounts_by_external_id(session)
    assert stored["CRM-0002"].employee_count == 18  # full-width digits
    assert stored["CRM-0003"].employee_count == 1050
    assert stored["CRM-0003"].domain == "mirai-jinzai.com"


def test_duplicate_keys_inside_one_file(session: Session, tmp_path: Path) -> None:
    account = make_account(session, external_id="DUP-A")
    product = make_product(session, code="DUP-P")
    path = write_csv(
        tmp_path,
        "dups.csv",
        [
            ["account_ref", "product_ref", "start_on", "mrr_amount"],
            ["DUP-A", "DUP-P", "2024-04-01", "1000"],
            ["DUP-A", "DUP-P", "2024-05-01", "1000"],
            ["DUP-A", "DUP-P", "2024/4/1", "2000"],  # the same line as row 2 (natural key)
        ],
    )
    run = run_import(session, tmp_path, ImportKind.SUBSCRIPTIONS, path)
    assert run.status is ImportStatus.VALIDATED
    assert [(p["row"], p["code"], p["message"]) for p in run.problems] == [
        (4, "duplicate_in_file", "the same record as row 2"),
    ]
    by_key = write_csv(
        tmp_path,
        "dup_keys.csv",
        [["外部ID", "会社名"], ["K-1", "一"], ["K-2", "二"], ["K-1", "三"], ["K-1", "四"]],
    )
    keyed = run_import(session, tmp_path, ImportKind.ACCOUNTS, by_key)
    assert problems(keyed) == [
        (4, "外部ID", "K-1", "duplicate_in_file"),
        (5, "外部ID", "K-1", "duplicate_in_file"),
    ]
    assert count(session, Subscription) == 0
    assert {a.id for a in session.scalars(select(Account))} == {account.id}
    assert product.id is not None


def test_bad_last_row_of_a_large_file_leaves_nothing_written(
    session: Session, tmp_path: Path
) -> None:
    rows: list[list[object]] = [["外部ID", "会社名", "従業員数"]]
    rows += [[f"BIG-{i:05d}", f"株式会社大量{i}", i % 500] for i in range(19_999)]
    rows.append(["BIG-LAST", "株式会社最後", "たくさん"])
    path = write_csv(tmp_path, "large.csv", rows)
    run = run_import(session, tmp_path, ImportKind.ACCOUNTS, path)
    assert run.total_rows == 20_000
    assert run.status is ImportStatus.VALIDATED
    assert run.invalid_rows == 1
    assert problems(run) == [(20_001, "従業員数", "たくさん", "not_number")]
    assert run.created_count == 0
    assert count(session, Account) == 0


# --- re-imports ------------------------------------------------------------------------------


def test_reimport_is_idempotent(session: Session, tmp_path: Path) -> None:
    path = fixture("salesforce_dataloader_accounts.csv")
    assert_done(run_import(session, tmp_path, ImportKind.ACCOUNTS, path), created=8)
    assert_done(run_import(session, tmp_path, ImportKind.ACCOUNTS, path), unchanged=8)
    contacts = fixture("salesforce_dataloader_contacts.csv")
    assert_done(run_import(session, tmp_path, ImportKind.CONTACTS, contacts), created=7)
    assert_done(run_import(session, tmp_path, ImportKind.CONTACTS, contacts), unchanged=7)
    assert count(session, Account) == 8
    assert count(session, Contact) == 7


def test_changed_values_are_updated_and_blank_cells_keep_stored_values(
    session: Session, tmp_path: Path
) -> None:
    header = ["外部ID", "会社名", "業種", "従業員数"]
    first = write_csv(
        tmp_path,
        "first.csv",
        [header, ["U-1", "株式会社一", "製造", "10"], ["U-2", "株式会社二", "小売", "20"]],
    )
    assert_done(run_import(session, tmp_path, ImportKind.ACCOUNTS, first), created=2)
    stored = accounts_by_external_id(session)
    created_at = stored["U-1"].updated_at
    second = write_csv(
        tmp_path,
        "second.csv",
        [header, ["U-1", "株式会社一", "", "11"], ["U-2", "株式会社二", "小売", "20"]],
    )
    assert_done(run_import(session, tmp_path, ImportKind.ACCOUNTS, second), updated=1, unchanged=1)
    session.expire_all()
    one = session.get_one(Account, stored["U-1"].id)
    assert one.employee_count == 11
    assert one.industry == "製造"  # a blank cell means "not given", not "clear"
    assert one.updated_at >= created_at


def test_skip_invalid_writes_the_good_rows(session: Session, tmp_path: Path) -> None:
    for external_id in ("ACME-001", "BETA-014", "GAMMA-203", "DELTA-077", "EPS-310"):
        make_account(session, external_id=external_id)
    for code in ("KZ-STD", "KZ-OPT-SSO", "KZ-ENT", "KZ-STARTER"):
        make_product(session, code=code)
    path = fixture("plain_subscriptions.csv")

    refused = run_import(session, tmp_path, ImportKind.SUBSCRIPTIONS, path)
    assert refused.status is ImportStatus.VALIDATED
    assert (refused.invalid_rows, refused.created_count, refused.skipped_count) == (3, 0, 0)
    assert count(session, Subscription) == 0

    run = run_import(session, tmp_path, ImportKind.SUBSCRIPTIONS, path, skip_invalid=True)
    assert run.status is ImportStatus.DONE
    assert (run.total_rows, run.created_count, run.invalid_rows, run.skipped_count) == (7, 4, 3, 3)
    assert problems(run) == [
        (6, "end_date", "2024-04-01", "before_start"),
        (7, "product", "KZ-UNKNOWN", "unknown_reference"),
        (8, "account_id", "", "required"),
    ]
    lines = sorted(session.scalars(select(Subscription)), key=lambda s: s.mrr_amount)
    assert [line.mrr_amount for line in lines] == [30_000, 98_000, 120_000, 480_000]
    gamma = lines[1]
    assert (gamma.start_on, gamma.end_on, gamma.quantity) == (
        date(2024, 7, 1),
        date(2025, 6, 30),
        10,
    )
    assert lines[3].start_on == date(2023, 10, 1)


def test_dry_run_writes_nothing(session: Session, tmp_path: Path) -> None:
    path = fixture("salesforce_dataloader_accounts.csv")
    run = run_import(session, tmp_path, ImportKind.ACCOUNTS, path, dry_run=True)
    assert run.status is ImportStatus.VALIDATED
    assert (run.total_rows, run.invalid_rows, run.created_count) == (8, 0, 0)
    assert count(session, Account) == 0


# --- custom fields and roles ---------------------------------------------------------------


def test_custom_fields_are_checked_against_their_definitions(
    session: Session, tmp_path: Path
) -> None:
    for key, field_type, choices in [
        ("plan_tier", CustomFieldType.SELECT, ["gold", "silver"]),
        ("seats", CustomFieldType.INTEGER, []),
    ]:
        custom_fields.create_definition(
            session,
            ACTOR,
            CustomFieldCreate(
                object_type=CustomFieldObject.ACCOUNT,
                key=key,
                label_ja=key,
                label_en=key,
                field_type=field_type,
                choices=choices,
            ),
        )
    path = write_csv(
        tmp_path,
        "custom.csv",
        [
            ["外部ID", "会社名", "custom.plan_tier", "custom.seats"],
            ["C-1", "株式会社金", "gold", "10"],
            ["C-2", "株式会社銅", "bronze", "5"],
            ["C-3", "株式会社席", "silver", "many"],
            ["C-4", "株式会社空", "", ""],
        ],
    )
    run = run_import(session, tmp_path, ImportKind.ACCOUNTS, path, skip_invalid=True)
    assert problems(run) == [
        (3, "custom.plan_tier", "bronze", "invalid"),
        (4, "custom.seats", "many", "invalid"),
    ]
    assert run.created_count == 2
    stored = accounts_by_external_id(session)
    assert stored["C-1"].custom_fields == {"plan_tier": "gold", "seats": 10}
    assert stored["C-4"].custom_fields == {}

    update = write_csv(
        tmp_path,
        "custom2.csv",
        [["外部ID", "custom.seats"], ["C-1", "12"]],
    )
    again = run_import(session, tmp_path, ImportKind.ACCOUNTS, update)
    assert_done(again, updated=1)
    session.expire_all()
    assert session.get_one(Account, stored["C-1"].id).custom_fields == {
        "plan_tier": "gold",
        "seats": 12,
    }


def test_contact_roles_from_japanese_values(session: Session, tmp_path: Path) -> None:
    make_account(session, external_id="ROLE-A")
    path = write_csv(
        tmp_path,
        "roles.csv",
        [
            ["担当者ID", "会社ID", "氏名", "メール", "役割"],
            ["R-1", "ROLE-A", "山田 花子", "hanako@example.jp", "決裁者;チャンピオン"],
            ["R-2", "ROLE-A", "佐藤 次郎", "jiro@example.jp", ""],
        ],
    )
    run = run_import(session, tmp_path, ImportKind.CONTACTS, path)
    assert_done(run, created=2)
    assert run.mapping["columns"]["roles"] == "役割"
    hanako = session.scalars(select(Contact).where(Contact.external_id == "R-1")).one()
    links = session.scalars(
        select(ContactRoleLink.role).where(ContactRoleLink.contact_id == hanako.id)
    ).all()
    assert sorted(links) == [ContactRole.CHAMPION, ContactRole.DECISION_MAKER]
    assert count(session, ContactRoleLink) == 2
    assert_done(run_import(session, tmp_path, ImportKind.CONTACTS, path), unchanged=2)
    assert count(session, ContactRoleLink) == 2


# --- one import, one transaction ------------------------------------------------------------


def test_a_database_failure_mid_write_leaves_nothing(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database refuses a statement after the second chunk was written (a NOT NULL
    violation): the rows already sent go with the transaction, the run stays as it was."""
    monkeypatch.setattr(engine, "CHUNK", 3)
    calls: list[int] = []
    original = ChunkWriter.write

    def failing_write(self: ChunkWriter, batch: Batch, counts: Counts) -> None:
        original(self, batch, counts)
        calls.append(len(batch.params))
        if len(calls) == 2:
            self.session.execute(insert(Account).values(name=None))

    monkeypatch.setattr(ChunkWriter, "write", failing_write)
    path = write_csv(
        tmp_path,
        "chunks.csv",
        [["外部ID", "会社名"], *[[f"TX-{i}", f"株式会社{i}"] for i in range(8)]],
    )
    workspace = Workspace(tmp_path / "workspace")
    run = create_run(
        session, ACTOR, workspace, kind=ImportKind.ACCOUNTS, filename=path.name, upload=path
    )
    with pytest.raises(IntegrityError), session.begin_nested():
        execute_run(session, ACTOR, workspace, run.id)
    assert calls == [3, 3]
    assert count(session, Account) == 0
    assert session.get_one(ImportRun, run.id).status is ImportStatus.UPLOADED


def _roles(session: Session) -> dict[str | None, set[ContactRole]]:
    found: dict[str | None, set[ContactRole]] = {}
    rows = session.execute(
        select(Contact.external_id, ContactRoleLink.role).join(
            ContactRoleLink, ContactRoleLink.contact_id == Contact.id
        )
    )
    for external_id, role in rows:
        found.setdefault(external_id, set()).add(role)
    return found
