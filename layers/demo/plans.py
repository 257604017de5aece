"""The demo's takeover plans: per district, a draft bundled-takeover plan (连片打包) for its first street, its easiest
bundles already given to their best-ranked nearby enterprise, so each planner's page has something to show."""
import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from ..selectors.candidates import nearby_candidates
from ..models import AdminArea, AdminLevel
from ..services.plans import bundle_enterprise_set, plan_create

PICKED = 3  # bundles with an enterprise chosen; the rest are left for the planner


def demo_plans(*, district_code: str) -> int:
    """Create the demo plan; return the number of plans created (0 when the district has no street)."""
    planner = get_user_model().objects.get(username=f"planner-{district_code}")
    street = (AdminArea.objects.filter(level=AdminLevel.STREET, parent__code=district_code)
              .order_by("code").first())
    if street is None:
        return 0
    today = timezone.localdate()
    start = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)  # the first of next month
    plan = plan_create(user=planner, name=f"{street.name}连片打包接管方案（草案）", start_date=start,
                       street_id=street.pk)
    for bundle in plan.bundles.order_by("rank")[:PICKED]:
        best = nearby_candidates(geom=bundle.geom, households=bundle.households, limit=1)
        if best:
            plan.refresh_from_db()
            bundle_enterprise_set(user=planner, plan_id=plan.pk, bundle_id=bundle.pk, version=plan.version,
                                  enterprise_id=best[0].enterprise_id)
    return 1
