"""Static checks of the front end: every script of ours is an ES module, and none builds HTML from strings."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "layers" / "static" / "layers" / "js"
TEMPLATES = ROOT / "templates"

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
OUR_SRC = re.compile(r"""src=["']\{%\s*static\s+["']layers/js/([\w./-]+)["']\s*%\}["']""")
IMPORT = re.compile(r"""^\s*import\s+(?:[^"';]*?\s+from\s+)?["'](\.[^"']+)["']""", re.M)
# A hard-coded locale instead of the page's language (format.js reads <html lang>).
FIXED_LOCALE = re.compile(r"""["'`]zh-CN["'`]""", re.I)
# HTML assembled from a template literal with substitutions: names would be parsed as markup.
HTML_FROM_TEMPLATE = re.compile(
    r"""(?:\.(?:innerHTML|outerHTML)\s*\+?=\s*|insertAdjacentHTML\s*\([^,]*,\s*)`[^`]*\$\{""", re.S)


def js_files() -> list[Path]:
    return sorted(p for p in JS.rglob("*.js") if "vendor" not in p.relative_to(JS).parts)


def template_scripts() -> list[tuple[Path, str, str]]:
    """(template, script path under layers/js/, the tag's attributes) for every <script> of ours in a template."""
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for match in SCRIPT_TAG.finditer(template.read_text(encoding="utf-8")):
            src = OUR_SRC.search(match.group(1))
            if src:
                found.append((template, src.group(1), match.group(1)))
    return found


def imports_of(path: Path) -> list[Path]:
    return [(path.parent / target).resolve() for target in IMPORT.findall(path.read_text(encoding="utf-8"))]


def test_templates_load_our_scripts_as_modules():
    scripts = template_scripts()
    assert len({name for _, name, _ in scripts}) >= 7  # map, service, plan, imports, dashboard, detail_map, report_map
    classic = [(t.relative_to(ROOT).as_posix(), name) for t, name, attrs in scripts
               if not re.search(r"""\btype=["']module["']""", attrs)]
    assert classic == [], f"load these as <script type=\"module\">: {classic}"
    missing = [name for _, name, _ in scripts if not (JS / name).is_file()]
    assert missing == []


def test_every_script_is_reached_from_a_template_through_imports():
    """Each file is an entry module of a template or imported by one (no stray classic script, no dead file)."""
    reached, todo = set(), [(JS / name).resolve() for _, name, _ in template_scripts()]
    while todo:
        path = todo.pop()
        if path in reached:
            continue
        assert path.is_file(), f"import of a missing file: {path}"
        reached.add(path)
        todo.extend(imports_of(path))
    unreached = [p.relative_to(JS).as_posix() for p in js_files() if p.resolve() not in reached]
    assert unreached == []


@pytest.mark.parametrize("path", js_files(), ids=lambda p: p.relative_to(JS).as_posix())
def test_no_fixed_locale_and_no_html_from_template_strings(path):
    text = path.read_text(encoding="utf-8")
    assert not FIXED_LOCALE.search(text), "format numbers, dates and sorting with format.js (the page's language)"
    match = HTML_FROM_TEMPLATE.search(text)
    assert match is None, f"build elements with dom.js el() instead of: {match and match.group(0)[:80]}"


@pytest.mark.parametrize("code, caught", [
    ("box.innerHTML = `<b>${name}</b>`;", True),
    ("box.innerHTML += `\n  <td>${x}</td>`;", True),
    ('row.insertAdjacentHTML("beforeend", `<td>${x}</td>`);', True),
    ("box.innerHTML = html;", False),
    ("box.innerHTML = `<hr>`;", False),
    ("box.textContent = `${name}`;", False),
])
def test_the_markup_check_catches_what_it_should(code, caught):
    assert bool(HTML_FROM_TEMPLATE.search(code)) is caught
    assert bool(FIXED_LOCALE.search('n.toLocaleString("zh-CN")')) and not FIXED_LOCALE.search("n.toLocaleString(lang)")
