"""The daily-inspections pages: /inspections/ (the inspections in the user's scope, filters, the form to inspect an
estate with the district's checklist) and /inspections/checklists/ (the district keeps its checklist).

Plain HTML forms with the CSRF token; every write goes through services.inspections, every read through
selectors.inspections, as on the API (layers/api/inspections.py).
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from ..models import AdminArea, AdminLevel, Checklist, Estate, Inspection, InspectionPhoto
from ..params import date_param, number_param, page_param
from ..permissions import ADD, CHANGE, VIEW, district_of, may, restrict
from ..refusals import Invalid, NotFound
from ..selectors import inspections as selectors
from ..services.inspections import ACCURACY_KEPT_M, PHOTOS_MAX, ensure_default_checklist, checklist_save, \
    inspection_record

PER_PAGE = 50
BLANK_ITEM_ROWS = 3


def _filters(request) -> dict:
    get = request.GET
    return {
        "estate_id": number_param(get.get("estate"), "estate", integer=True, minimum=1),
        "street_id": number_param(get.get("street"), "street", integer=True, minimum=1),
        "year": number_param(get.get("year"), "year", integer=True, minimum=2000, maximum=2100),
    }


def _form_estates(user):
    """The estates the user may inspect (its street, community or district), by name."""
    return restrict(Estate.objects.all(), user, VIEW).order_by("name").values("pk", "name", "code")


def _form_district(user, estate: Estate | None):
    if estate is not None:
        return estate.community.parent.parent
    return district_of(user) or (restrict(AdminArea.objects.filter(level=AdminLevel.DISTRICT), user, VIEW)
                                 .order_by("code").first())


def _page(request, *, form: dict | None = None, error: Invalid | None = None, status: int = 200):
    user = request.user
    filters = _filters(request)
    inspections = selectors.inspections_for(user, **filters)
    page = Paginator(inspections, PER_PAGE).get_page(page_param(request.GET.get("page")))
    can_inspect = may(user, Inspection, ADD)
    form = form or {}
    context = {
        "title": _("Daily inspections"),
        "page": page,
        "rows": list(page.object_list),
        "filters": filters,
        "streets": restrict(AdminArea.objects.filter(level=AdminLevel.STREET), user, VIEW).order_by("name"),
        "years": sorted({d.year for d in inspections.dates("inspected_on", "year")}, reverse=True),
        "can_inspect": can_inspect,
        "can_edit_checklists": may(user, Checklist, CHANGE),
        "can_read_checklists": may(user, Checklist, VIEW),
        "error": error,
        "today": timezone.localdate().isoformat(),
        "photos_max": PHOTOS_MAX,
    }
    if can_inspect:
        estate_value = form.get("estate") or (str(filters["estate_id"]) if filters["estate_id"] else "")
        estate = None
        if estate_value.isdigit():
            estate = restrict(Estate.objects.select_related("community__parent__parent"), user, VIEW).filter(
                pk=int(estate_value)).first()
        district = _form_district(user, estate)
        checklist = ensure_default_checklist(district) if district is not None else None
        context.update({
            "estates": _form_estates(user),
            "chosen_estate": estate,
            "checklist": checklist,
            "items": [{"item": item, "value": form.get(f"score_{item.pk}", ""),
                       "note": form.get(f"note_{item.pk}", "")} for item in checklist.items.all()]
            if checklist else [],
            "form": form,
            "open_form": bool(form) or estate is not None,
        })
    return render(request, "layers/inspection_list.html", context, status=status)


@require_safe
@login_required
def inspection_list(request):
    return _page(request)


def _position(post) -> tuple[Point | None, float | None]:
    lon = number_param(post.get("lon"), "lon", minimum=-180, maximum=180)
    lat = number_param(post.get("lat"), "lat", minimum=-90, maximum=90)
    accuracy = number_param(post.get("accuracy_m"), "accuracy_m", minimum=0)
    if lon is None or lat is None:
        return None, None
    return Point(lon, lat, srid=4326), accuracy


@require_POST
@login_required
def inspection_submit(request):
    """The page's form: on success to the estate's page, which shows the new inspection; on error the form again."""
    if not may(request.user, Inspection, ADD):
        raise PermissionDenied(_("Your role may not record inspections."))
    post = request.POST
    try:
        estate_id = number_param(post.get("estate"), "estate", integer=True, minimum=1)
        if estate_id is None:
            raise Invalid(_("Choose the estate you inspected."), field="estate")
        location, accuracy = _position(post)
        scores = {key[len("score_"):]: (post[key], post.get("note_" + key[len("score_"):], ""))
                  for key in post if key.startswith("score_")}
        for key, (value, _note) in scores.items():
            if value.strip() == "":
                raise Invalid(_("Score every item of the checklist."), field="scores")
        photos = [(upload, int(key[len("photo_"):]) if key[len("photo_"):].isdigit() else None)
                  for key in request.FILES for upload in request.FILES.getlist(key) if key.startswith("photo")]
        inspection = inspection_record(
            user=request.user, estate_id=estate_id, scores=scores,
            inspected_on=date_param(post.get("inspected_on"), default=None), note=post.get("note", ""),
            photos=photos, location=location, accuracy_m=accuracy)
    except Invalid as exc:
        return _page(request, form=post.dict(), error=exc, status=400)
    except Http404 as exc:
        return _page(request, form=post.dict(), error=Invalid(str(exc), field="estate"), status=400)
    messages.success(request, _("Inspection of %(estate)s saved: %(score)d of %(max)d points.")
                     % {"estate": inspection.estate.name, "score": inspection.total_score,
                        "max": inspection.max_score})
    return redirect(reverse("estate-detail", args=[inspection.estate_id]) + "#inspections")


@require_safe
@login_required
def inspection_detail(request, pk):
    inspection = selectors.inspection_detail(request.user, pk)
    if inspection is None:
        raise NotFound(_("There is no such inspection, or it is outside what you may see."))
    return render(request, "layers/inspection_detail.html", {
        "title": _("Inspection of %(estate)s") % {"estate": inspection.estate.name},
        "inspection": inspection,
        "scores": list(inspection.scores.all()),
        "photos": list(inspection.photos.all()),
        "accuracy_kept_m": ACCURACY_KEPT_M,
    })


@require_safe
@login_required
def inspection_photo(request, pk):
    """An inspection's photo, only for users who may read the inspection (uploads are never served from MEDIA_URL)."""
    photo = InspectionPhoto.objects.filter(
        pk=pk, inspection__in=restrict(Inspection.objects.all(), request.user, VIEW)).first()
    if photo is None:
        raise NotFound(_("There is no such photo, or it is outside what you may see."))
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The photo file is missing.")) from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def checklist_page(request):
    """The district's checklist: read by everyone, replaced by the district (the old one stays for old
    inspections)."""
    user = request.user
    if not may(user, Checklist, VIEW):
        raise PermissionDenied(_("Your role may not read inspection checklists."))
    district = _form_district(user, None)
    error = None
    if request.method == "POST":
        items = [{"name": name, "max_score": score, "guidance": guidance} for name, score, guidance in zip(
            request.POST.getlist("item_name"), request.POST.getlist("item_max"), request.POST.getlist("item_guidance"))]
        try:
            checklist_save(user=user, items=items, name=request.POST.get("name", ""),
                           district_id=district.pk if district else None)
        except Invalid as exc:
            error = exc
        else:
            messages.success(request, _("The checklist is saved; new inspections use it."))
            return redirect(reverse("inspection-checklists"))
    current = ensure_default_checklist(district) if district is not None else None
    items = list(current.items.all()) if current else []
    return render(request, "layers/inspection_checklists.html", {
        "title": _("Inspection checklist"),
        "district": district,
        "checklist": current,
        "items": items,
        "blank_rows": range(BLANK_ITEM_ROWS),
        "total": sum(item.max_score for item in items),
        "older": selectors.checklists(district).filter(active=False)[:10] if district else [],
        "can_edit": may(user, Checklist, CHANGE),
        "error": error,
    }, status=400 if error else 200)
