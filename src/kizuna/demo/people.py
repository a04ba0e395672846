"""Contacts at each customer: the buying group with its roles and titles."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from itertools import count

from kizuna.demo import names, texts
from kizuna.demo.model import DemoContact
from kizuna.demo.story import Story
from kizuna.models.enums import ContactRole, Influence, Tier

R = ContactRole
EMAIL_PATTERNS = ("{g}.{s}", "{s}.{g}", "{g0}{s}", "{s}-{g}", "{s}{g0}")


def build_contacts(rng: random.Random, story: Story, serial: count[int]) -> list[DemoContact]:
    """2–8 contacts; always a decision maker and an admin, usually a champion, and an
    executive sponsor on tier-1 accounts. A contact may hold several roles."""
    size = max(2, min(8, 2 + int(math.log10(story.employee_count)) + rng.randint(-1, 2)))
    roles = _role_sets(rng, size, story.tier)
    pattern = rng.choice(EMAIL_PATTERNS)
    used_names: set[tuple[str, str]] = set()
    used_emails: set[str] = set()
    primary = next(i for i, r in enumerate(roles) if R.CHAMPION in r or R.ADMIN in r)
    contacts = []
    for i, held in enumerate(roles):
        surname, given = _unique_person(rng, used_names)
        email = _email(pattern, surname, given, story.domain, used_emails)
        titles, departments = texts.ROLE_PROFILES[_lead_role(held)]
        contacts.append(
            DemoContact(
                external_id=f"CON-{next(serial):06d}",
                account=story.external_id,
                name=f"{surname.text} {given.text}",
                name_kana=f"{surname.kana} {given.kana}",
                email=email,
                phone=_phone(rng, story.area_code),
                title=rng.choice(titles),
                department=rng.choice(departments),
                influence=_influence(rng, held),
                roles=held,
                is_primary=i == primary,
                email_opt_out=rng.random() < 0.04,
                created_at=story.created_at + timedelta(days=rng.randint(0, 20), hours=i),
            )
        )
    return contacts


def _role_sets(rng: random.Random, size: int, tier: Tier) -> list[tuple[ContactRole, ...]]:
    roles: list[set[ContactRole]] = [{R.DECISION_MAKER}, {R.ADMIN}]
    roles += [{R.USER} for _ in range(size - 2)]
    if rng.random() < 0.85:
        # The champion is usually a hands-on manager, sometimes the admin themself.
        if size > 2 and rng.random() < 0.7:
            roles[2] = {R.CHAMPION}
        else:
            roles[1].add(R.CHAMPION)
    if tier is Tier.TIER1:
        if size >= 4:
            roles[3] = {R.EXECUTIVE_SPONSOR} | ({R.DECISION_MAKER} if rng.random() < 0.5 else set())
        else:
            roles[0].add(R.EXECUTIVE_SPONSOR)
    if size >= 6 and rng.random() < 0.4:
        roles[-1].add(R.ADMIN)
    order = list(ContactRole)
    return [tuple(sorted(r, key=order.index)) for r in roles]


def _lead_role(held: tuple[ContactRole, ...]) -> ContactRole:
    """The role whose typical title the contact gets (the most senior one)."""
    for role in (R.EXECUTIVE_SPONSOR, R.DECISION_MAKER, R.ADMIN, R.CHAMPION):
        if role in held:
            return role
    return R.USER


def _influence(rng: random.Random, held: tuple[ContactRole, ...]) -> Influence:
    if R.EXECUTIVE_SPONSOR in held or R.DECISION_MAKER in held:
        return Influence.HIGH
    if R.CHAMPION in held:
        return Influence.HIGH if rng.random() < 0.5 else Influence.MEDIUM
    if R.ADMIN in held:
        return Influence.MEDIUM
    return Influence.LOW if rng.random() < 0.7 else Influence.MEDIUM


def _unique_person(rng: random.Random, used: set[tuple[str, str]]) -> tuple[names.Part, names.Part]:
    while True:
        surname, given = rng.choice(names.SURNAMES), rng.choice(names.GIVEN_NAMES)
        if (surname.text, given.text) not in used:
            used.add((surname.text, given.text))
            return surname, given


def _email(
    pattern: str, surname: names.Part, given: names.Part, domain: str, used: set[str]
) -> str:
    s, g = names.romaji_of(surname), names.romaji_of(given)
    local = pattern.format(s=s, g=g, g0=g[0])
    candidate, n = local, 1
    while candidate in used:
        n += 1
        candidate = f"{local}{n}"
    used.add(candidate)
    return f"{candidate}@{domain}"


def _phone(rng: random.Random, area: str) -> str:
    """A landline number of the account's area: ten digits in all."""
    middle = 6 - len(area)
    return f"{area}-{rng.randrange(10 ** (middle - 1), 10**middle)}-{rng.randrange(10000):04d}"
