"""The annual evaluation pages: /evaluations/ (district and year, run as a job, results with their explanation,
confirm, red-list proposals, the scheme) and /evaluations/opinions/ (a street office's opinions), docs/EVALUATIONS.md."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ..models import AdminArea, EnterpriseEvaluation, EvaluationScheme, EvaluationStatus, StreetOpinion
from ..params import number_param
from ..permissions import ADD, CHANGE, VIEW, may, require, restrict, street_of
from ..planning.evaluation import COMPONENTS
from ..refusals import Invalid
from ..selectors import evaluations as selectors
from ..services import evaluations as svc
from .jobs import job_strings

COMPONENT_LABELS = {"contracts": gettext_lazy("Contract fulfilment"), "complaints": gettext_lazy("Complaint handling"),
                    "inspections": gettext_lazy("Inspections"), "opinions": gettext_lazy("Street opinions")}


def _year(request) -> int:
    year = number_param(request.GET.get("year") or request.POST.get("year"), "year", integer=True,
                        default=svc.default_year())
    return svc.check_year(year)


def _district(request) -> AdminArea:
    chosen = number_param(request.GET.get("district") or request.POST.get("district"), "district", integer=True)
    district = selectors.district_for(request.user, chosen)
    if district is None:
        raise Invalid(_("No such district."), field="district")
    return district


def _here(district, year, **extra) -> str:
    return reverse("evaluations") + "?" + urlencode({"district": district.pk, "year": year, **extra})


@require_http_methods(["GET", "POST"])
@login_required
def evaluations_page(request):
    require(request.user, EnterpriseEvaluation, VIEW)
    district, year = _district(request), _year(request)
    if request.method == "POST":
        return _post(request, district, year)
    rows = list(svc.visible_evaluations(request.user, district=district, year=year))
    effects = svc.consequences(rows, year)
    results = [{"row": r, "effect": effects[r.pk], "explanation": selectors.explained(r.explanation),
                "scores": [r.score_contracts, r.score_complaints, r.score_inspections, r.score_opinions]}
               for r in rows]
    scheme = EvaluationScheme.objects.filter(district=district).first() or EvaluationScheme(district=district)
    can_run = may(request.user, EnterpriseEvaluation, ADD)
    job = number_param(request.GET.get("job"), "job", integer=True)
    config = {"job": reverse("api:job-detail", args=[job]) if job else None, "strings": job_strings(),
              "reload": _here(district, year)}
    districts = list(selectors.districts_for(request.user))
    return render(request, "layers/evaluations.html", {
        "district": district, "districts": districts, "year": year, "years": range(svc.default_year(), 2019, -1),
        "results": results, "labels": [COMPONENT_LABELS[c] for c in COMPONENTS], "scheme": scheme,
        "can_run": can_run, "can_confirm": can_run and any(r.status == EvaluationStatus.DRAFT for r in rows),
        "confirmed": any(r.status == EvaluationStatus.CONFIRMED for r in rows), "config": config,
        "scheme_fields": [(name, EvaluationScheme._meta.get_field(name).verbose_name, getattr(scheme, name))
                          for name in svc.SCHEME_FIELDS]})


def _post(request, district, year):
    require(request.user, EnterpriseEvaluation, CHANGE)
    action = request.POST.get("action", "")
    try:
        if action == "run":
            job = svc.evaluation_job_start(user=request.user, district_id=district.pk, year=year)
            return redirect(_here(district, year, job=job.pk))
        if action == "confirm":
            counts = svc.evaluation_confirm(user=request.user, district_id=district.pk, year=year)
            messages.success(request, _("%(n)d results confirmed; %(recorded)d credit evaluations recorded, "
                                        "%(black)d enterprises now on the black list.")
                             % {"n": counts["confirmed"], "recorded": counts["recorded"],
                                "black": counts["black_listed"]})
        elif action == "red_list":
            evaluation_id = number_param(request.POST.get("evaluation"), "evaluation", integer=True)
            listing = svc.red_list_confirm(user=request.user, evaluation_id=evaluation_id)
            messages.success(request, _("%(name)s is on the red list.") % {"name": listing.enterprise.name})
        elif action == "scheme":
            svc.scheme_save(user=request.user, district_id=district.pk,
                            **{k: request.POST[k] for k in svc.SCHEME_FIELDS if k in request.POST})
            messages.success(request, _("The scheme is saved; run the evaluation again to apply it."))
        else:
            raise Invalid(_("Unknown action."), field="action")
    except Invalid as exc:
        messages.error(request, str(exc))
    return redirect(_here(district, year))


@require_http_methods(["GET", "POST"])
@login_required
def opinions_page(request):
    """A street office enters its opinions; the district and officials read those of the district's streets."""
    require(request.user, StreetOpinion, VIEW)
    street, year = street_of(request.user), _year_open(request)
    if request.method == "POST":
        require(request.user, StreetOpinion, ADD)
        try:
            opinion = svc.opinion_save(user=request.user, enterprise_id=number_param(
                request.POST.get("enterprise"), "enterprise", integer=True, default=0), year=year,
                score=request.POST.get("score"), comment=request.POST.get("comment", ""))
            messages.success(request, _("Your opinion of %(name)s is saved.") % {"name": opinion.enterprise.name})
        except Invalid as exc:
            messages.error(request, str(exc))
        return redirect(reverse("evaluation-opinions") + "?" + urlencode({"year": year}))
    context = {"street": street, "year": year, "years": range(svc.default_year() + 1, 2019, -1)}
    if street is not None:
        context["enterprises"] = selectors.street_enterprises(street=street, year=year)
    else:
        context["opinions"] = (restrict(StreetOpinion.objects.filter(year=year), request.user, VIEW)
                               .select_related("street", "enterprise").order_by("street__code", "enterprise__name"))
    return render(request, "layers/evaluation_opinions.html", context)


def _year_open(request) -> int:
    year = number_param(request.GET.get("year") or request.POST.get("year"), "year", integer=True,
                        default=svc.default_year())
    return svc.check_year(year, finished=False)
