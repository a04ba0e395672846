"""Header synonyms: the column names real files use for each target, Japanese and English.

Data, and how headers compare: :func:`normalise_header` (NFKC, case-folded, without
spaces, ``_ - . ・ ( ) 「 」`` and a Salesforce ``__c`` suffix), so ``Account Name``,
``account_name``, ``ＡｃｃｏｕｎｔＮａｍｅ`` and ``AccountName`` are one entry. Within a
kind a synonym belongs to one target only (a test checks it): ``Account ID`` is the
external id in an accounts file and ``account_ref`` in every other file.

Sources: Salesforce API names and Japanese/English field labels, HubSpot property labels
(English and Japanese UI), Stripe Dashboard exports, and the spreadsheets Japanese SaaS
companies keep by hand.
"""

from __future__ import annotations

import re
import unicodedata

from kizuna.models.importing import ImportKind

# Dropped when comparing headers: spaces, _ - . ・ * ※ : and brackets (after NFKC, which
# turns full-width （）：＿ into their ASCII forms).
_HEADER_DROP = re.compile(r"[\s_\-.・*※:()\[\]「」『』【】〔〕]+")
_SF_CUSTOM_SUFFIX = "__c"


def normalise_header(header: str) -> str:
    """How headers compare: NFKC, case-folded, stripped, without a byte-order mark, a
    Salesforce ``__c`` suffix, spaces, ``_ - . ・ * ※ :`` and brackets.
    ``Ｅ－ｍａｉｌ`` → ``email``, ``都道府県(請求先)`` → ``都道府県請求先``."""
    text = unicodedata.normalize("NFKC", header).casefold().strip()
    text = text.removeprefix("\ufeff").removesuffix(_SF_CUSTOM_SUFFIX)
    return _HEADER_DROP.sub("", text)


Synonyms = tuple[str, ...]

# Dense tables, wrapped by hand: one entry per target.
# fmt: off
_ID: Synonyms = ("ID", "Id", "id", "外部ID", "Record ID", "レコードID", "External ID", "管理番号")
# Headers that name the account a row belongs to (in files other than accounts).
_ACCOUNT_KEY: Synonyms = ("Account ID", "AccountId", "取引先 ID", "取引先ID",
    "Associated Company ID", "Associated Company IDs", "Associated Company IDs (Primary)",
    "関連付けられた会社ID", "Company ID", "会社ID", "企業ID", "顧客ID", "顧客コード",
    "取引先コード", "会社コード", "Customer ID", "Customer", "account_id", "account",
    "account_external_id", "account_id (metadata)", "Company Domain Name", "会社ドメイン",
    "企業ドメイン")
_CONTACT_KEY: Synonyms = ("Contact ID", "ContactId", "取引先責任者 ID", "担当者ID", "コンタクトID",
    "contact_id")
_EMAIL: Synonyms = ("メールアドレス", "メール", "Eメール", "E-mail", "Email", "Email Address",
    "E-mail Address", "Mail", "Mail Address")
_CURRENCY: Synonyms = ("通貨", "Currency", "通貨コード", "CurrencyIsoCode", "Currency Code")
_NAME_KANA: Synonyms = ("フリガナ", "ふりがな", "カナ", "読み", "よみがな", "Name Kana", "Kana")

_ACCOUNTS: dict[str, Synonyms] = {
    "external_id": (*_ID, "Account ID", "取引先 ID", "Company ID", "会社ID", "企業ID", "顧客ID",
        "顧客コード", "取引先コード", "会社コード", "Customer ID", "account_id"),
    "name": ("会社名", "企業名", "取引先名", "顧客名", "アカウント名", "社名", "法人名",
        "Account Name", "Company name", "Company", "Name", "Customer Name", "組織名"),
    "name_kana": (*_NAME_KANA, "会社名カナ", "会社名(カナ)", "会社名フリガナ", "取引先名(カナ)",
        "企業名カナ", "Account Name Kana", "Company Name Kana"),
    "domain": ("ドメイン", "Website", "Web サイト", "Webサイト", "ウェブサイト", "ホームページ",
        "HP", "URL", "会社URL", "企業URL", "Domain", "Company Domain Name", "会社のドメイン名",
        "Website URL", "Company Website"),
    "industry": ("業種", "業界", "業種分類", "Industry", "Industry Type"),
    "employee_count": ("従業員数", "社員数", "従業員", "Employees", "Number of Employees",
        "NumberOfEmployees", "Employee Count", "Headcount", "# of Employees"),
    "region": ("都道府県", "地域", "エリア", "都道府県(請求先)", "請求先都道府県", "都道府県/地域",
        "Region", "Billing State/Province", "BillingState", "Billing State", "State/Region",
        "State", "Prefecture"),
    "currency": _CURRENCY,
    "tier": ("ティア", "ランク", "顧客ランク", "顧客区分", "Tier", "Rank", "Customer Tier"),
    "phase": ("フェーズ", "顧客フェーズ", "ジャーニー", "ジャーニーフェーズ", "Phase",
        "Customer Phase", "Journey Phase", "CS Phase"),
    "purpose_of_adoption": ("導入目的", "導入背景", "Purpose of Adoption", "Purpose"),
    "business_challenges": ("課題", "経営課題", "業務課題", "Business Challenges", "Challenges"),
    "success_criteria": ("成功基準", "成功の定義", "サクセス定義", "Success Criteria"),
    "expansion_room": ("拡大余地", "アップセル余地", "Expansion Room", "Expansion Potential"),
    "notes": ("備考", "メモ", "Notes", "Note", "Description", "説明", "Comments"),
    "csm_owner_ref": ("CSM", "担当CSM", "CS担当", "CS担当者", "カスタマーサクセス担当",
        "CSM Email", "CSM Owner", "CSM Owner Email"),
    "sales_owner_ref": ("営業担当", "営業担当者", "Sales Owner", "Sales Owner Email"),
    "ae_owner_ref": ("AE", "AE担当", "Account Executive", "AE Email"),
    "support_owner_ref": ("サポート担当", "サポート担当者", "Support Owner", "Support Owner Email"),
}

_CONTACTS: dict[str, Synonyms] = {
    "external_id": (*_ID, *_CONTACT_KEY),
    "account_ref": _ACCOUNT_KEY,
    "name": ("氏名", "名前", "お名前", "担当者名", "担当者", "取引先責任者名", "Full Name", "Name",
        "Contact Name"),
    "name_kana": (*_NAME_KANA, "氏名カナ", "氏名(カナ)", "氏名フリガナ", "名前(カナ)",
        "担当者名カナ"),
    "email": _EMAIL,
    "phone": ("電話番号", "電話", "TEL", "Phone", "Phone Number", "Business Phone", "直通電話"),
    "title": ("役職", "役職名", "肩書", "肩書き", "職位", "Title", "Job Title", "Position"),
    "department": ("部署", "部署名", "所属", "所属部署", "部門", "Department", "Division"),
    "influence": ("影響度", "影響力", "Influence"),
    "roles": ("役割", "ロール", "Role", "Roles", "Contact Role", "Buying Role", "購買関与者区分"),
    "is_primary": ("主担当", "主担当者", "メイン担当", "Primary", "Is Primary", "Primary Contact"),
    "is_active": ("在籍", "有効", "Active", "Is Active", "IsActive"),
    "email_opt_out": ("メール配信停止", "配信停止", "メール拒否", "Email Opt Out",
        "HasOptedOutOfEmail", "Unsubscribed", "Unsubscribed from all email"),
    "call_opt_out": ("電話拒否", "架電不可", "Do Not Call", "DoNotCall", "Call Opt Out"),
}

_PRODUCTS: dict[str, Synonyms] = {
    "code": ("製品コード", "商品コード", "プランコード", "品番", "コード", "Product Code",
        "ProductCode", "SKU", "Code", "Plan Code", "Item Code"),
    "name": ("製品名", "商品名", "プラン名", "名称", "Product Name", "Name", "Plan Name"),
    "name_en": ("英語名", "製品名(英語)", "英名", "English Name", "Name (EN)", "Name EN"),
    "kind": ("製品種別", "商品種別", "種別", "区分", "Product Type", "Type", "Kind", "Family",
        "Product Family"),
    "unit": ("単位", "課金単位", "課金体系", "Unit", "Billing Unit", "Pricing Model"),
    "list_price_amount": ("定価", "単価", "価格", "標準価格", "月額単価", "List Price",
        "ListPrice", "Price", "Unit Price", "UnitPrice"),
    "currency": _CURRENCY,
    "description": ("説明", "概要", "備考", "Description", "Product Description"),
    "is_active": ("有効", "販売中", "Active", "Is Active", "IsActive"),
}

_SUBSCRIPTIONS: dict[str, Synonyms] = {
    "external_id": (*_ID, "Subscription ID", "契約明細ID", "明細ID", "Line ID", "Line Item ID",
        "subscription_id"),
    "account_ref": _ACCOUNT_KEY,
    "product_ref": ("製品", "製品コード", "商品", "商品コード", "プラン", "プランコード",
        "Product", "Product Code", "ProductCode", "Plan", "SKU", "product_code", "product"),
    "contract_ref": ("契約番号", "契約ID", "契約書番号", "Contract", "Contract Number",
        "Contract ID", "ContractNumber", "商談名", "案件名", "Deal Name", "Opportunity Name"),
    "quantity": ("数量", "ライセンス数", "シート数", "ユーザー数", "ID数", "Quantity", "Seats",
        "Licenses", "Licences", "Qty"),
    "mrr_amount": ("MRR", "月額", "月額料金", "月額費用", "月額売上", "月額(税抜)",
        "Monthly Amount", "Monthly Recurring Revenue", "Monthly Fee", "mrr"),
    "currency": _CURRENCY,
    "unit_list_price_amount": ("単価", "定価", "List Price", "ListPrice", "Unit Price",
        "UnitPrice", "Sales Price"),
    "discount_percent": ("割引率", "値引率", "割引", "Discount", "Discount (%)",
        "Discount Percent"),
    "start_on": ("契約開始日", "開始日", "利用開始日", "課金開始日", "Start Date", "start_date",
        "Start", "Contract Start Date", "Current Period Start", "Current Period Start (UTC)",
        "ServiceDate", "Effective Date"),
    "end_on": ("終了日", "契約終了日", "利用終了日", "解約日", "End Date", "end_date",
        "Contract End Date", "Current Period End", "Current Period End (UTC)", "Cancellation Date",
        "EndDate"),
    "term_months": ("契約期間", "契約期間(月)", "契約月数", "Term", "Term (months)",
        "Contract Term", "ContractTerm"),
    "billing_period_months": ("請求周期", "請求サイクル", "課金周期", "支払サイクル", "支払周期",
        "Billing Period", "Billing Frequency", "Billing Interval", "Interval"),
    "auto_renew": ("自動更新", "Auto Renew", "Auto-renew", "Auto Renewal", "AutoRenew"),
}

_ACTIVITIES: dict[str, Synonyms] = {
    "external_id": (*_ID, "Activity ID", "活動ID", "Ticket ID", "チケットID", "Case Number",
        "問い合わせ番号"),
    "account_ref": _ACCOUNT_KEY,
    "kind": ("種別", "活動種別", "区分", "活動区分", "Type", "Activity Type", "Kind"),
    "subject": ("件名", "タイトル", "表題", "Subject", "Title"),
    "body": ("内容", "本文", "議事録", "詳細", "Description", "Body", "Notes", "Details",
        "Comments"),
    "occurred_at": ("日時", "日付", "実施日", "実施日時", "活動日", "対応日時", "Date",
        "Activity Date", "Date Time", "Occurred At", "ActivityDate"),
    "duration_minutes": ("所要時間", "所要時間(分)", "時間(分)", "Duration", "Duration (minutes)",
        "DurationInMinutes"),
    "is_pre_sale": ("導入前", "商談中", "Pre-sale", "Presale", "Is Pre-sale"),
    "author_ref": ("作成者", "記録者", "対応者", "Author", "Owner", "Assigned To", "Owner Email",
        "Activity assigned to"),
    "participant_emails": ("参加者", "参加者メール", "出席者", "Participants", "Attendees",
        "Participant Emails"),
    "inquiry_status": ("ステータス", "対応状況", "Status", "Ticket Status"),
    "opened_at": ("受付日時", "起票日時", "Opened", "Opened At"),
    "first_response_at": ("初回回答日時", "初回応答日時", "First Response", "First Response At",
        "First response date"),
    "resolved_at": ("解決日時", "完了日時", "クローズ日時", "Resolved", "Resolved At",
        "Closed Date", "Close date"),
}

_SURVEY_RESPONSES: dict[str, Synonyms] = {
    "external_id": (*_ID, "Response ID", "回答ID"),
    "account_ref": _ACCOUNT_KEY,
    "contact_ref": (*_CONTACT_KEY, *_EMAIL, "Contact", "回答者メールアドレス", "回答者メール",
        "Respondent Email"),
    "kind": ("種別", "アンケート種別", "調査種別", "Survey Type", "Type", "Kind"),
    "score": ("スコア", "点数", "評価", "推奨度", "満足度", "NPS", "NPSスコア", "CSAT", "Score",
        "Rating", "NPS Score"),
    "comment": ("コメント", "自由記述", "ご意見", "理由", "Comment", "Comments", "Feedback",
        "Reason"),
    "responded_on": ("回答日", "回答日時", "タイムスタンプ", "日付", "Date", "Timestamp",
        "Response Date", "Responded On", "Submitted At"),
}

# fmt: on

HEADER_SYNONYMS: dict[ImportKind, dict[str, Synonyms]] = {
    ImportKind.ACCOUNTS: _ACCOUNTS,
    ImportKind.CONTACTS: _CONTACTS,
    ImportKind.PRODUCTS: _PRODUCTS,
    ImportKind.SUBSCRIPTIONS: _SUBSCRIPTIONS,
    ImportKind.ACTIVITIES: _ACTIVITIES,
    ImportKind.SURVEY_RESPONSES: _SURVEY_RESPONSES,
}

# A target that may be composed of two columns: (family-name headers, given-name headers).
# Family name first, the Japanese order: 姓「山田」+ 名「太郎」 → 「山田 太郎」.
NAME_PARTS: dict[ImportKind, dict[str, tuple[Synonyms, Synonyms]]] = {
    ImportKind.CONTACTS: {
        "name": (
            ("姓", "苗字", "名字", "Last Name", "LastName", "Family Name", "Surname"),
            ("名", "First Name", "FirstName", "Given Name"),
        ),
        "name_kana": (
            ("セイ", "姓(カナ)", "姓カナ", "フリガナ(姓)", "Last Name Kana"),
            ("メイ", "名(カナ)", "名カナ", "フリガナ(名)", "First Name Kana"),
        ),
    },
}
