"""A fingerprint of every table a write endpoint can change: a refused request must leave it as it was."""
from django.db import connection

# One part per table (or per column set) the write endpoints touch; the import jobs come last, so that a path whose
# refusal is *recorded* on its job (a failed dry run) can compare the data alone.
DATA_PARTS = """
  (SELECT string_agg(concat_ws(',', id, version, name, md5(ST_AsEWKB(geom)::text)), ';' ORDER BY id) FROM layers_managementarea),
  (SELECT count(*) FROM layers_managementareaversion),
  (SELECT string_agg(concat_ws(',', id, state, description), ';' ORDER BY id) FROM layers_abandonmentreport),
  (SELECT count(*) FROM layers_abandonmentevent),
  (SELECT count(*) FROM layers_abandonmentphoto),
  (SELECT count(*) FROM layers_inspection), (SELECT count(*) FROM layers_inspectionscore),
  (SELECT count(*) FROM layers_inspectionphoto),
  (SELECT string_agg(concat_ws(',', id, active), ';' ORDER BY id) FROM layers_checklist),
  (SELECT string_agg(concat_ws(',', id, abandonment), ';' ORDER BY id) FROM layers_building WHERE abandonment <> 'none'),
  (SELECT md5(string_agg(concat_ws(',', id, code, md5(ST_AsEWKB(geom)::text)), ';' ORDER BY id)) FROM layers_building),
  (SELECT string_agg(concat_ws(',', id, management_area_id), ';' ORDER BY id) FROM layers_estate),
  (SELECT string_agg(concat_ws(',', id, name, credit_code, credit_grade, list_status, list_status_since, address), ';'
                     ORDER BY id) FROM layers_enterprise),
  (SELECT count(*) FROM layers_creditevaluation),
  (SELECT count(*) FROM layers_enterpriselisting),
  (SELECT string_agg(concat_ws(',', id, end_date), ';' ORDER BY id) FROM layers_servicecontract),
  (SELECT count(*) FROM layers_registerchange),
  (SELECT string_agg(concat_ws(',', id, version, status), ';' ORDER BY id) FROM layers_takeoverplan),
  (SELECT string_agg(concat_ws(',', id, rank, enterprise_id), ';' ORDER BY id) FROM layers_bundle),
  (SELECT count(*) FROM layers_bundleestate), (SELECT count(*) FROM layers_planversion),
  (SELECT md5(string_agg(concat_ws(',', id, code, name, households, md5(ST_AsEWKB(geom)::text)), ';' ORDER BY id))
     FROM layers_estate),
  (SELECT md5(string_agg(concat_ws(',', id, code, name, md5(ST_AsEWKB(geom)::text)), ';' ORDER BY id))
     FROM layers_adminarea),
  (SELECT string_agg(concat_ws(',', id, username, password, is_active, is_staff), ';' ORDER BY id) FROM auth_user),
  (SELECT count(*) FROM auth_group), (SELECT count(*) FROM layers_userprofile),
  (SELECT count(*) FROM layers_complaintevent), (SELECT count(*) FROM layers_complaintattachment),
  (SELECT count(*) FROM layers_jointmeetingitem), (SELECT count(*) FROM layers_calendarday),
  (SELECT string_agg(concat_ws(',', id, responsible, department, keywords, sign_days, reply_days, close_days, active),
                     ';' ORDER BY id) FROM layers_complaintcategory),
  (SELECT string_agg(concat_ws(',', id, status, cancel_requested), ';' ORDER BY id) FROM layers_job),
  (SELECT string_agg(concat_ws(',', id, status, estate_id, level), ';' ORDER BY id) FROM layers_complaint),
  (SELECT string_agg(concat_ws(',', id, score, comment), ';' ORDER BY id) FROM layers_streetopinion),
  (SELECT string_agg(concat_ws(',', id, pass_line, weight_contracts, grade_aaa), ';' ORDER BY id)
     FROM layers_evaluationscheme),
  (SELECT string_agg(concat_ws(',', id, status, total), ';' ORDER BY id) FROM layers_enterpriseevaluation)"""
JOBS_PART = "(SELECT string_agg(concat_ws(',', id, status), ';' ORDER BY id) FROM layers_importjob)"


def fingerprint(*, import_jobs: bool = True) -> str:
    """md5 of the data (and, unless import_jobs=False, of the import jobs' statuses)."""
    parts = DATA_PARTS + (",\n  " + JOBS_PART if import_jobs else "")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT md5(concat_ws('|', {parts}))")
        return cursor.fetchone()[0]
