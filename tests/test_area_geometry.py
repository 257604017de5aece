"""Pure geometry rules for management areas (layers.planning.area_geometry): no database, no Django."""
import pytest
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from layers.planning import area_geometry as ag


def test_valid_polygon_has_no_problems():
    assert ag.validity_problems(box(0, 0, 1, 1)) == []
    assert ag.validity_problems(MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1)])) == []


def test_self_intersection_is_explained_in_plain_words_with_its_location():
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    [problem] = ag.validity_problems(bowtie)
    assert problem.kind == ag.INVALID
    assert problem.message == "The boundary crosses itself."
    assert problem.location == pytest.approx((1.0, 1.0))
    assert problem.as_dict()["location"] == pytest.approx([1.0, 1.0])


def test_hole_outside_shell_is_explained():
    polygon = Polygon(box(0, 0, 1, 1).exterior.coords, [box(2, 2, 3, 3).exterior.coords])
    [problem] = ag.validity_problems(polygon)
    assert problem.kind == ag.INVALID and "hole" in problem.message.lower() and problem.location is not None


def test_empty_and_wrong_type():
    assert [p.kind for p in ag.validity_problems(None)] == [ag.EMPTY]
    assert [p.kind for p in ag.validity_problems(Polygon())] == [ag.EMPTY]
    [problem] = ag.validity_problems(Point(1, 2))
    assert problem.kind == ag.WRONG_TYPE and "Point" in problem.message
    assert [p.kind for p in ag.validity_problems(LineString([(0, 0), (1, 1)]))] == [ag.WRONG_TYPE]


def test_nan_coordinates_are_invalid():
    polygon = Polygon([(0, 0), (1, float("nan")), (1, 1), (0, 0)])
    assert [p.kind for p in ag.validity_problems(polygon)] == [ag.INVALID]


def test_messages_go_through_the_translation_hook():
    [problem] = ag.validity_problems(Point(0, 0), translate=lambda s: "T:" + s)
    assert problem.message.startswith("T:")


def test_explain_unknown_reason_falls_back_to_geos_words():
    message, location = ag.explain(box(0, 0, 1, 1))  # valid: GEOS says "Valid Geometry"
    assert "Valid Geometry" in message and location is None


def test_clip_removes_neighbours_and_keeps_inside_district():
    clipped = ag.clip(box(0, 0, 4, 4), neighbours=[box(3, 0, 5, 5)], district=box(-1, -1, 10, 3))
    assert isinstance(clipped, MultiPolygon)
    assert clipped.equals(box(0, 0, 3, 3))


def test_clip_snaps_near_edges_so_no_sliver_is_left():
    neighbour = box(1.0005, 0, 2, 1)
    clipped = ag.clip(box(0, 0, 1.0, 1), neighbours=[neighbour], tolerance=0.001)
    assert clipped.bounds[2] == pytest.approx(1.0005)  # the gap closed: the edge is now shared
    assert clipped.intersection(neighbour).area == 0


def test_clip_drops_slivers():
    clipped = ag.clip(box(0, 0, 1, 1), neighbours=[box(0, 0, 0.99999, 1)], tolerance=0.001)
    assert clipped.is_empty


def test_split_by_a_straight_line_gives_the_larger_side_first():
    kept, new = ag.split_polygon(box(0, 0, 3, 1), LineString([(1, -1), (1, 2)]))
    assert kept.area == pytest.approx(2) and new.area == pytest.approx(1)
    assert kept.intersection(new).area == 0
    assert kept.union(new).equals(box(0, 0, 3, 1))


def test_split_line_ending_short_of_the_boundary_is_extended_within_tolerance():
    kept, new = ag.split_polygon(box(0, 0, 2, 1), LineString([(1, 0.01), (1, 0.99)]), tolerance=0.02)
    assert kept.area == pytest.approx(1) and new.area == pytest.approx(1)


def test_split_zig_zag_line_groups_pieces_by_side():
    # The line enters and leaves three times: four pieces, grouped into left and right.
    line = LineString([(0.5, -1), (0.5, 2), (1.5, 2), (1.5, -1), (2.5, -1), (2.5, 2)])
    kept, new = ag.split_polygon(box(0, 0, 3, 1), line)
    assert kept.area + new.area == pytest.approx(3)
    assert kept.intersection(new).area == 0
    assert len(kept.geoms) + len(new.geoms) == 4


def test_split_refuses_a_line_that_does_not_cut():
    with pytest.raises(ag.GeometryRefused, match="does not cut"):
        ag.split_polygon(box(0, 0, 2, 1), LineString([(5, 5), (6, 6)]))
    with pytest.raises(ag.GeometryRefused, match="does not cut"):
        ag.split_polygon(box(0, 0, 2, 1), LineString([(1, -1), (1, 0.5)]))  # enters but never leaves


def test_split_refuses_a_self_crossing_line():
    with pytest.raises(ag.GeometryRefused, match="crosses itself"):
        ag.split_polygon(box(0, 0, 2, 1), LineString([(0, -1), (2, 2), (2, -1), (0, 2)]))


def test_merge_adjacent_polygons_gives_one_polygon():
    merged = ag.merge_polygons(box(0, 0, 1, 1), box(1, 0, 2, 1))
    assert len(merged.geoms) == 1 and merged.equals(box(0, 0, 2, 1))


def test_merge_refuses_far_apart_or_corner_touching():
    with pytest.raises(ag.GeometryRefused, match="do not touch"):
        ag.merge_polygons(box(0, 0, 1, 1), box(1.001, 0, 2, 1))
    with pytest.raises(ag.GeometryRefused, match="corner"):
        ag.merge_polygons(box(0, 0, 1, 1), box(1, 1, 2, 2))


def test_merge_within_tolerance_fills_the_gap():
    merged = ag.merge_polygons(box(0, 0, 1, 1), box(1.001, 0, 2, 1), tolerance=0.002)
    assert len(merged.geoms) == 1
    assert merged.area == pytest.approx(2)
    assert merged.equals(box(0, 0, 2, 1))


def test_as_multipolygon_keeps_only_polygons():
    from shapely.geometry import GeometryCollection

    mixed = GeometryCollection([box(0, 0, 1, 1), LineString([(0, 0), (5, 5)]), Point(3, 3)])
    assert ag.as_multipolygon(mixed).equals(MultiPolygon([box(0, 0, 1, 1)]))


def test_metres_to_degrees():
    assert ag.metres_to_degrees(111_320) == pytest.approx(1)


def test_module_does_not_import_django():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(ag))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.startswith("django")]
