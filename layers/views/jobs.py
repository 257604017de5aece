"""The job list page (/jobs/, 后台任务): the user's background jobs with progress bars, cancel and download."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ..models import Job
from ..permissions import VIEW, require
from ..selectors import jobs as reads


def job_strings() -> dict:
    """The texts of a progress bar (the job list and the import page)."""
    return {"cancel": _("Cancel"), "download": _("Download"), "open": _("Open the result"),
            "cancelFailed": _("Could not cancel: %(error)s"), "of": _("%(done)s of %(total)s"),
            "none": _("No background jobs yet. Large imports, exports and plan proposals run here."),
            "pollFailed": _("The progress could not be read; retrying…"), "attempt": _("attempt %(n)s")}


@require_safe
@login_required
def job_list(request):
    require(request.user, Job, VIEW)
    jobs = [reads.job_json(j, user=request.user) for j in reads.jobs_visible(user=request.user)]
    config = {"urls": {"jobs": reverse("api:job-list")}, "strings": job_strings(), "jobs": jobs}
    return render(request, "jobs.html", {"config": config, "jobs": jobs})
