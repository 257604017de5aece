"""The interface speaks Simplified Chinese by default and English on request; translations are complete and compiled."""
import json
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_string_is_translated_to_chinese():
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(LOCALE / "django.po")],
        capture_output=True, text=True, env={"LC_ALL": "C"},
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


def test_compiled_catalogue_is_up_to_date(tmp_path):
    subprocess.run(["msgfmt", "--check-format", "-o", str(tmp_path / "django.mo"), str(LOCALE / "django.po")], check=True)
    assert (tmp_path / "django.mo").read_bytes() == (LOCALE / "django.mo").read_bytes(), (
        "locale/zh_Hans/LC_MESSAGES/django.mo is stale: run `.venv/bin/python manage.py compilemessages`"
    )


def map_config(response) -> str:
    """The map's JSON configuration (labels, legend) as text, non-ASCII unescaped."""
    html = response.content.decode()
    start = html.index('<script id="map-config" type="application/json">') + len('<script id="map-config" type="application/json">')
    return json.dumps(json.loads(html[start : html.index("</script>", start)]), ensure_ascii=False)


@pytest.mark.django_db
def test_pages_are_chinese_by_default_and_english_on_request(client):
    client.force_login(User.objects.get(username="official"))
    chinese = client.get("/")
    assert 'lang="zh-hans"' in chinese.content.decode() and "老旧小区物业管理" in chinese.content.decode()
    assert "无物业" in map_config(chinese) and "No service" not in map_config(chinese)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/")
    assert 'lang="en"' in english.content.decode()
    assert "No service" in map_config(english) and "无物业" not in map_config(english)
