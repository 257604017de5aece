"""One layer catalogue (layers/catalogue.py): the map page, the tiles, export and OGC API all offer its layers."""
import ast
import base64
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from layers import catalogue
from layers.catalogue import Layer, MapEntry
from layers.models import Road

from .test_tiles import sample_tile, tile_url

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
LAYER_NAMES = {layer.name for layer in catalogue.all()}


def logged_in(username: str = "planner") -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def ogc_client(username: str = "planner") -> Client:
    token = base64.b64encode(f"{username}:demo12345".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {token}")


def map_layers(client: Client) -> list[dict]:
    """The layers of the map page's config, as the page hands them to layers.js (json_script)."""
    response = client.get("/")
    assert response.status_code == 200
    match = re.search(rb'<script id="map-config" type="application/json">(.*?)</script>', response.content, re.S)
    assert match, "the map page carries its config"
    return json.loads(match[1])["layers"]


def export_titles(client: Client) -> dict[str, str]:
    response = client.get("/api/export/")
    assert response.status_code == 200
    return {layer["name"]: layer["title"] for layer in response.json()["layers"]}


def ogc_titles(client: Client) -> dict[str, str]:
    response = client.get("/ogc/collections")
    assert response.status_code == 200
    return {c["id"]: c["title"] for c in json.loads(response.content)["collections"]}


def test_the_map_page_offers_the_catalogues_layers_with_their_title_and_zoom(english):
    offered = map_layers(logged_in())
    assert [entry["id"] for entry in offered] == [layer.name for layer in catalogue.map_layers()]
    for entry in offered:
        layer = catalogue.get(entry["id"])
        assert entry["name"] == str(layer.title)
        assert entry["minZoom"] == layer.min_zoom
        assert entry["dated"] == layer.dated
        if entry["source"] == "tiles":
            # a switcher entry drawn from tiles is a tile layer, and both grey out / go empty at one zoom
            assert entry["minZoom"] == catalogue.tile_layer(entry["id"]).min_zoom
    assert {"estates", "buildings", "roads", "admin_district", "coverage_hex"} <= {e["id"] for e in offered}


def test_every_tile_layer_is_a_catalogue_layer_and_only_those_have_tiles(client):
    client.force_login(User.objects.get(username="planner"))
    tiled = {layer.name for layer in catalogue.all() if layer.tile is not None}
    assert set(catalogue.tile_layers()) == tiled
    for name in sorted(tiled):
        response = client.get(tile_url(name, 0, 0, 0))
        assert response.status_code == 200, name
        tile = catalogue.tile_layer(name)
        assert tile.name == name and tile.version in response["ETag"]
    # A layer of the catalogue without a tile part (the boundaries are GeoJSON, abandonment reports export only)
    for name in sorted(LAYER_NAMES - tiled):
        assert client.get(tile_url(name, 0, 0, 0)).status_code == 404, name


def test_export_and_ogc_list_the_catalogues_feature_layers_with_its_titles(english):
    exported = export_titles(logged_in("official"))
    collections = ogc_titles(ogc_client())
    catalogued = {name: str(layer.title) for name, layer in catalogue.feature_layers().items()}
    assert list(exported) == list(catalogued) == list(collections)
    assert exported == catalogued == collections


def test_a_layer_has_one_title_in_the_switcher_the_export_list_and_ogc(english):
    switcher = {entry["id"]: entry["name"] for entry in map_layers(logged_in())}
    exported = export_titles(logged_in("official"))
    collections = ogc_titles(ogc_client())
    shared = set(switcher) & set(exported) & set(collections)
    assert {"estates", "buildings", "management_areas", "roads"} <= shared
    for name in shared:
        assert switcher[name] == exported[name] == collections[name] == str(catalogue.get(name).title), name


def test_one_change_in_the_catalogue_reaches_tiles_map_export_and_ogc(client, monkeypatch, english):
    """The minimum zoom and the title are read from the catalogue by every consumer, not copied."""
    roads = catalogue.get("roads")
    z, x, y = sample_tile("roads", 15)
    client.force_login(User.objects.get(username="planner"))
    assert len(client.get(tile_url("roads", z, x, y)).content) > 0

    moved = replace(roads, title="Road centre lines (test)", min_zoom=z + 1)
    monkeypatch.setitem(catalogue.LAYERS, "roads", moved)
    assert client.get(tile_url("roads", z, x, y)).content == b""  # below the new minimum zoom: empty
    entry = next(e for e in map_layers(client) if e["id"] == "roads")
    assert (entry["minZoom"], entry["name"]) == (z + 1, "Road centre lines (test)")
    assert export_titles(logged_in("official"))["roads"] == "Road centre lines (test)"
    assert ogc_titles(ogc_client())["roads"] == "Road centre lines (test)"
    assert moved.tile.version != roads.tile.version  # and the tiles' ETags change with it


def test_the_editing_endpoints_come_from_the_catalogue():
    response = logged_in("planner").get("/")
    config = response.context["map_config"]
    expected = {key: path for layer in catalogue.all() for key, path in layer.api.items()}
    assert config["api"] == expected
    assert {"areas", "area", "split", "merge", "history", "restore", "report"} <= set(expected)
    areas = next(entry for entry in config["layers"] if entry["id"] == "management_areas")
    assert areas["editMinZoom"] == catalogue.get("management_areas").map.edit_min_zoom
    assert "api" not in logged_in("official").get("/").context["map_config"]  # read-only: no write paths


def test_a_layer_is_registered_once_and_its_parts_carry_its_identity():
    with pytest.raises(ValueError, match="registered twice"):
        catalogue.register(Layer(name="roads", title="again", model=Road))
    with pytest.raises(ValueError, match="already 'buildings'"):
        catalogue.register(Layer(name="test_only", title="x", api={"report": "/x/"}))
    assert "test_only" not in LAYER_NAMES and catalogue.get("test_only") is None
    for layer in catalogue.all():
        if layer.tile is not None:
            assert (layer.tile.name, layer.tile.min_zoom, layer.tile.dated) == (layer.name, layer.min_zoom, layer.dated)
            assert layer.tile.scope_model is not None
        if layer.feature is not None:
            assert (layer.feature.name, layer.feature.title, layer.feature.model) == (layer.name, layer.title,
                                                                                      layer.model)
        if layer.map is not None:
            assert isinstance(layer.map, MapEntry)


# ---------------------------------------------------------------------------------------------------------------
# No second list of layers: the definitions the catalogue replaced are gone, and no module keeps its own.

def python_modules():
    for path in sorted((ROOT / "layers").rglob("*.py")):
        if "migrations" in path.parts or path.name == "catalogue.py":
            continue  # a migration keeps the layer names it was written with
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def assigned_names(tree) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AnnAssign, ast.AugAssign)) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def test_no_module_keeps_its_own_layer_table():
    for path, tree in python_modules():
        where = path.relative_to(ROOT)
        assert not {"TILE_MIN_ZOOM", "API_PATHS", "LAYERS"} & assigned_names(tree), where
        functions = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        assert "get_layer" not in functions, where
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):  # a table of layer name → constant (a zoom, a title, a path)
                constants = {k.value for k, v in zip(node.keys, node.values)
                             if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)}
                assert len(constants & LAYER_NAMES) < 3, f"{where}:{node.lineno} lists layers by name"


def test_the_map_script_takes_zooms_and_titles_from_the_config():
    scripts = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "layers/static/layers/js").glob("*.js")}
    for name, text in scripts.items():
        assert not re.search(r"MIN_ZOOM\s*=\s*\d", text), name
        assert not re.search(r"\bminZoom:\s*\d", text), name
        for layer in catalogue.map_layers():
            title = str(layer.title)
            assert f'"{title}"' not in text and f"'{title}'" not in text, (name, title)
