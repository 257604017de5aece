"""Demo accounts: one per role of the city and of each demo district, one street-office account per street, one
community account per street (its first community) and a few enterprise accounts."""
import os
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db.models import Count

from ..models import AdminArea, AdminLevel, Enterprise, Role, ServiceContract, UserProfile

DEFAULT_DEMO_PASSWORD = "demo12345"
STREET_PREFIX = "street-"
# Per district (DOMAIN.md "Levels"): planner-<district code>, official-<district code>; the first district's are
# also plain `planner` and `official`, so existing links and instructions keep working.
DISTRICT_PREFIXES = {Role.PLANNER: "planner-", Role.OFFICIAL: "official-"}
COMMUNITY_PREFIX = "community-"
ENTERPRISE_PREFIX = "enterprise-"
DEMO_PREFIXES = (STREET_PREFIX, COMMUNITY_PREFIX, *DISTRICT_PREFIXES.values())
ENTERPRISE_ACCOUNTS = 3  # enterprise-<enterprise id>: the enterprises serving most of the demo districts' estates


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    street_code: str | None = None
    district_code: str | None = None
    community_code: str | None = None
    enterprise_id: int | None = None


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


def demo_accounts(street_codes: list[str], district_codes: list[str] = (), community_codes: list[str] = (),
                  enterprise_ids: list[int] = ()) -> list[DemoAccount]:
    """admin, the city official `city`, planner/official (first district) and per district, street, community and
    enterprise given."""
    first = list(district_codes[:1])
    return [
        DemoAccount("admin", Role.ADMINISTRATOR),
        DemoAccount("city", Role.CITY_OFFICIAL),
        *(DemoAccount(name, role, district_code=code) for code in first
          for name, role in (("planner", Role.PLANNER), ("official", Role.OFFICIAL))),
        *(DemoAccount(f"{prefix}{code}", role, district_code=code)
          for code in district_codes for role, prefix in DISTRICT_PREFIXES.items()),
        *(DemoAccount(f"{STREET_PREFIX}{code}", Role.STREET_OFFICE, code) for code in street_codes),
        *(DemoAccount(f"{COMMUNITY_PREFIX}{code}", Role.COMMUNITY, community_code=code) for code in community_codes),
        *(DemoAccount(f"{ENTERPRISE_PREFIX}{pk}", Role.ENTERPRISE, enterprise_id=pk) for pk in enterprise_ids),
    ]


def is_demo_username(username: str, district_codes) -> bool:
    """A demo account of these districts (or a city-wide one, or an enterprise's): replaced on every load."""
    return username in ("admin", "city", "planner", "official") or username.startswith(ENTERPRISE_PREFIX) or any(
        username.startswith(f"{prefix}{code}") for prefix in DEMO_PREFIXES for code in district_codes)


def demo_accounts_ensure(*, district_codes: list[str], password: str | None = None) -> list[DemoAccount]:
    """Create or update the demo accounts for the districts and their streets; remove stale demo accounts of them.

    Call inside the loader's transaction, after the areas exist. Users other than demo ones are untouched.
    """
    User = get_user_model()
    streets = {a.code: a for a in AdminArea.objects.filter(level=AdminLevel.STREET, parent__code__in=district_codes)
               .order_by("parent__code", "code")}
    districts = {a.code: a for a in AdminArea.objects.filter(level=AdminLevel.DISTRICT, code__in=district_codes)}
    # The first community of each street, and the enterprises serving most estates of these districts.
    communities = {}
    for community in AdminArea.objects.filter(level=AdminLevel.COMMUNITY, parent__in=streets.values()).order_by(
            "parent__code", "code"):
        communities.setdefault(community.parent_id, community)
    communities = {c.code: c for c in communities.values()}
    enterprise_ids = [row["enterprise"] for row in
                      ServiceContract.objects.filter(enterprise__isnull=False, end_date__isnull=True,
                                                     estate__community__parent__in=streets.values())
                      .values("enterprise").annotate(n=Count("id")).order_by("-n", "enterprise")[:ENTERPRISE_ACCOUNTS]]
    enterprises = Enterprise.objects.in_bulk(enterprise_ids)
    accounts = demo_accounts(list(streets), list(district_codes), list(communities), enterprise_ids)
    # One hash for all demo accounts: they share a published password, and PBKDF2 per user would cost seconds.
    hashed = make_password(password or demo_password())
    wanted = {a.username for a in accounts}
    stale = [u.pk for u in User.objects.exclude(username__in=wanted).only("username")
             if is_demo_username(u.username, district_codes)]
    User.objects.filter(pk__in=stale).delete()
    for account in accounts:
        user, _ = User.objects.get_or_create(username=account.username)
        user.password = hashed
        user.is_active = True
        user.is_staff = account.role == Role.ADMINISTRATOR
        user.is_superuser = account.role == Role.ADMINISTRATOR
        user.save()
        UserProfile.objects.update_or_create(
            user=user,
            defaults={"role": account.role, "street": streets.get(account.street_code) if account.street_code else None,
                      "district": districts.get(account.district_code) if account.district_code else None,
                      "community": communities.get(account.community_code) if account.community_code else None,
                      "enterprise": enterprises.get(account.enterprise_id) if account.enterprise_id else None},
        )
    return accounts
