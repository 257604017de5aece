"""Demo accounts: one per role, and one street-office account per street of the demo district."""
import os
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from ..models import AdminArea, AdminLevel, Role, UserProfile

DEFAULT_DEMO_PASSWORD = "demo12345"
STREET_PREFIX = "street-"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    street_code: str | None = None
    district_code: str | None = None


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD


def demo_accounts(street_codes: list[str], district_code: str | None = None) -> list[DemoAccount]:
    return [
        DemoAccount("admin", Role.ADMINISTRATOR),
        DemoAccount("planner", Role.PLANNER, district_code=district_code),
        DemoAccount("official", Role.OFFICIAL, district_code=district_code),
        *(DemoAccount(f"{STREET_PREFIX}{code}", Role.STREET_OFFICE, code) for code in street_codes),
    ]


def demo_accounts_ensure(*, district_code: str, password: str | None = None) -> list[DemoAccount]:
    """Create or update the demo accounts for the streets of `district_code`; remove stale street accounts.

    Call inside the loader's transaction, after the streets exist. Users other than demo ones are untouched.
    """
    User = get_user_model()
    streets = {
        a.code: a
        for a in AdminArea.objects.filter(level=AdminLevel.STREET, parent__code=district_code).order_by("code")
    }
    accounts = demo_accounts(list(streets), district_code)
    district = AdminArea.objects.get(level=AdminLevel.DISTRICT, code=district_code)
    # One hash for all demo accounts: they share a published password, and PBKDF2 per user would cost seconds.
    hashed = make_password(password or demo_password())
    wanted = {a.username for a in accounts}
    stale = User.objects.filter(username__startswith=f"{STREET_PREFIX}{district_code}").exclude(username__in=wanted)
    stale.delete()
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
                      "district": district if account.district_code else None},
        )
    return accounts
