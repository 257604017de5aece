"""The layering of layers/ (docs/ARCHITECTURE.md "What may import what"), read with ast from every .py file: no SQL
in the API, the pages or the OGC views, pure planning, file formats and reads that do not write, writes that do not
answer requests, and no read module left outside layers/selectors/."""
import ast
import re
from pathlib import Path

import pytest

LAYERS = Path(__file__).resolve().parent.parent / "layers"
SELECT_FROM = re.compile(r"\bSELECT\b[\s\S]*\bFROM\b", re.IGNORECASE)
SQL_CALLS = {"cursor", "execute", "executemany", "raw"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(LAYERS.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def python_files(folder: str = "") -> list[Path]:
    return sorted(p for p in (LAYERS / folder).rglob("*.py") if "migrations" not in p.parts)


def parse(path: Path, source: str | None = None) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8") if source is None else source, filename=str(path))


def imported(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """(line, absolute module) for every import of the file, relative ones resolved, including those in functions;
    `from a import b` yields both a and a.b (b may be a module)."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(parse(path, source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(folder: str, forbidden) -> list[str]:
    return sorted({f"{path.relative_to(LAYERS.parent)}:{line} imports {module}"
                   for path in python_files(folder) for line, module in imported(path) if forbidden(module)})


def sql_in(path: Path, source: str | None = None) -> list[str]:
    found = []
    for node in ast.walk(parse(path, source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in SQL_CALLS and isinstance(func, ast.Attribute) or name == "RawSQL":
                found.append(f"{node.lineno}: {name}(…)")
        elif isinstance(node, (ast.Name, ast.Attribute)) and "RawSQL" in (getattr(node, "id", None),
                                                                          getattr(node, "attr", None)):
            found.append(f"{node.lineno}: RawSQL")
        elif isinstance(node, ast.alias) and node.name.split(".")[-1] == "RawSQL":
            found.append("RawSQL imported")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SELECT_FROM.search(node.value):
            found.append(f"{node.lineno}: SQL text {node.value.strip()[:60]!r}")
    return [f"{path.relative_to(LAYERS.parent)}:{where}" for where in found]


PROBE = '''
from django.db import connection
from django.db.models.expressions import RawSQL
from ..services import contracts
from .. import views


def f(qs):
    from ..services.plans import plan_create
    with connection.cursor() as c:
        c.execute("select id\\n from t")
    return qs.raw(f"SELECT {1} FROM x")
'''


def test_the_checks_see_sql_and_imports():
    """The checks themselves catch what they are for (a check that finds nothing anywhere proves nothing)."""
    probe = LAYERS / "api" / "probe.py"  # never written: parsed from PROBE as if it were there
    found = "\n".join(sql_in(probe, PROBE))
    modules = [m for _, m in imported(probe, PROBE)]
    for expected in ("cursor(…)", "execute(…)", "raw(…)", "RawSQL", "SQL text 'select id"):
        assert expected in found, found
    assert {"layers.services.contracts", "layers.views", "layers.services.plans"} <= set(modules), modules


@pytest.mark.parametrize("folder", ["api", "views", "ogc"])
def test_the_api_the_pages_and_the_ogc_views_hold_no_sql(folder):
    """Reads are selectors' (layers/selectors/): a view parses, calls and answers. ogc/sql.py builds the SQL of a
    page of features, as tiles/ builds the tiles' (docs/ARCHITECTURE.md)."""
    paths = [p for p in python_files(folder) if p != LAYERS / "ogc" / "sql.py"]
    found = [v for path in paths for v in sql_in(path)]
    assert not found, "\n".join(found)


def test_planning_is_pure():
    """layers/planning/ is pure functions: no Django, nothing of layers outside planning but the refusal type."""
    allowed = ("layers.planning", "layers.refusals")
    found = violations("planning", lambda m: under(m, ("django", "layers")) and not under(m, allowed))
    assert not found, "\n".join(found)


def test_file_formats_do_not_write_or_read_the_database():
    """layers/io/ reads and writes files only; the import jobs that write rows live in services/imports/."""
    found = violations("io", lambda m: under(m, ("layers.services", "layers.selectors", "layers.api", "layers.views")))
    assert not found, "\n".join(found)


def test_reads_do_not_call_writes_or_views():
    found = violations("selectors", lambda m: under(m, ("layers.services", "layers.api", "layers.views")))
    assert not found, "\n".join(found)


def test_writes_do_not_call_views():
    found = violations("services", lambda m: under(m, ("layers.api", "layers.views")))
    assert not found, "\n".join(found)


@pytest.mark.parametrize("name", ["selectors.py", "plan_selectors.py", "register.py", "worklists.py", "coverage.py",
                                  "candidates.py", "bundle_inputs.py"])
def test_every_read_module_is_in_the_selectors_package(name):
    assert not (LAYERS / name).exists(), f"layers/{name}: reads belong in layers/selectors/"
    assert (LAYERS / "selectors" / "__init__.py").exists()


def test_reads_import_at_the_top():
    """No import inside a function of layers/selectors/ (docs/ARCHITECTURE.md: turn a cycle around instead)."""
    found = [f"{path.relative_to(LAYERS.parent)}:{node.lineno}" for path in python_files("selectors")
             for function in ast.walk(parse(path)) if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
             for node in ast.walk(function) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert not found, "\n".join(found)
