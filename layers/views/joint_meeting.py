"""The joint meeting's list (/complaints/joint-meeting/): the cases sent to the joint meeting in the user's scope,
with their agenda and, once met, the meeting's date and decision (docs/COMPLAINTS.md "Joint meeting")."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ..models import JointMeetingItem
from ..permissions import VIEW, restrict


@require_safe
@login_required
def joint_meeting_list(request):
    items = (restrict(JointMeetingItem.objects.all(), request.user, VIEW)
             .select_related("complaint__estate", "complaint__street", "complaint__category", "sent_by")
             .order_by("decided_at", "-sent_at")[:500])
    return render(request, "complaints/joint_meeting.html", {"title": _("Joint meeting"), "items": items})
