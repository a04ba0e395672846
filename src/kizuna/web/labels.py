"""Display labels for stored codes (enum values, roles): English msgids, translated on render."""

from __future__ import annotations

from kizuna.kit.i18n import N_

LABELS: dict[str, str] = {
    # tiers and phases
    "tier1": N_("Tier 1"),
    "tier2": N_("Tier 2"),
    "tier3": N_("Tier 3"),
    "onboarding": N_("Onboarding"),
    "adoption": N_("Adoption"),
    "expansion": N_("Expansion & renewal"),
    # roles of users
    "admin": N_("Administrator"),
    "manager": N_("Manager"),
    "csm": N_("CSM"),
    "support": N_("Customer support"),
    "customer_sales": N_("Customer sales"),
    "customer_marketing": N_("Customer marketing"),
    "sales": N_("Field sales"),
    "read_only": N_("Read only"),
    # team kinds (those not already above)
    "cs_ops": N_("CS Ops"),
    "management": N_("Management"),
    # contact roles and influence
    "decision_maker": N_("Decision maker"),
    "contact_admin": N_("Administrator (customer)"),
    "user": N_("User"),
    "champion": N_("Champion"),
    "executive_sponsor": N_("Executive sponsor"),
    "high": N_("High"),
    "medium": N_("Medium"),
    "low": N_("Low"),
    # products
    "base_plan": N_("Base plan"),
    "option": N_("Option"),
    "add_on": N_("Add-on"),
    "service": N_("Service"),
    "seat": N_("Per seat"),
    "fixed": N_("Fixed"),
    "usage": N_("Usage-based"),
    # activities
    "meeting": N_("Meeting"),
    "call": N_("Call"),
    "email": N_("E-mail"),
    "inquiry": N_("Inquiry"),
    "note": N_("Note"),
    "qbr": N_("QBR"),
    "training": N_("Training"),
    "event": N_("Event"),
    "open": N_("Open"),
    "pending": N_("Pending"),
    "resolved": N_("Resolved"),
    # surveys
    "nps": N_("NPS"),
    "csat": N_("CSAT"),
    "promoter": N_("Promoter"),
    "passive": N_("Passive"),
    "detractor": N_("Detractor"),
    # custom field objects and types
    "account": N_("Account"),
    "contact": N_("Contact"),
    "product": N_("Product"),
    "subscription": N_("Contract line"),
    "activity": N_("Activity"),
    "text": N_("Text"),
    "long_text": N_("Long text"),
    "integer": N_("Whole number"),
    "decimal": N_("Decimal number"),
    "money": N_("Amount"),
    "date": N_("Date"),
    "boolean": N_("Yes / no"),
    "select": N_("Choice"),
    "multi_select": N_("Multiple choice"),
    "url": N_("URL"),
    # audit actor kinds
    "token": N_("API token"),
    "system": N_("System"),
}

# Where one code means different things in different vocabularies.
CONTEXT_LABELS: dict[tuple[str, str], str] = {
    ("contact_role", "admin"): LABELS["contact_admin"],
    ("contact_role", "user"): LABELS["user"],
    # revenue cuts (revenue.schemas.Cut) and cohort bases
    ("revenue_cut", "tier"): N_("Tier"),
    ("revenue_cut", "segment"): N_("Company size"),
    ("revenue_cut", "owner"): N_("CSM owner"),
    ("revenue_cut", "product"): N_("Product"),
    ("revenue_cut", "industry"): N_("Industry"),
    ("revenue_cut", "cohort"): N_("Sign-up cohort"),
    ("segment", "smb"): N_("SMB (under 100 employees)"),
    ("segment", "mid_market"): N_("Mid-market (100–999)"),
    ("segment", "enterprise"): N_("Enterprise (1,000 or more)"),
    ("segment", "unknown"): N_("Size unknown"),
    ("revenue_figure", "start"): N_("Paying at the start"),
    ("revenue_figure", "end"): N_("Paying at the end"),
    ("revenue_figure", "retained"): N_("Retained accounts"),
    ("revenue_figure", "churned"): N_("Churned accounts"),
    ("revenue_figure", "contraction"): N_("Contraction"),
    ("revenue_figure", "expansion"): N_("Expansion"),
    ("revenue_figure", "new"): N_("New accounts"),
    ("revenue_figure", "reactivation"): N_("Reactivated accounts"),
    ("movement", "new"): N_("New"),
    ("movement", "expansion"): N_("Expansion"),
    ("movement", "contraction"): N_("Contraction"),
    ("movement", "churn"): N_("Churn"),
    ("movement", "reactivation"): N_("Reactivation"),
    ("movement", "unchanged"): N_("Unchanged"),
    ("cohort_basis", "logo"): N_("Accounts (logo)"),
    ("cohort_basis", "mrr"): N_("MRR"),
}
