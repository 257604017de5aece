"""Three-way merge of two edits of one boundary (layers.planning.ring_merge): pure, no database."""
from shapely.geometry import MultiPolygon, Polygon

from layers.planning.ring_merge import MINE, THEIRS, merge_boundaries

# A square of 0.001° (about 100 m) with a corner in the middle of each side: 8 corners, counter-clockwise.
BASE = [(0, 0), (5, 0), (10, 0), (10, 5), (10, 10), (5, 10), (0, 10), (0, 5)]


def poly(corners, holes=()):
    scale = [(x * 1e-4 + 120.0, y * 1e-4 + 30.0) for x, y in corners]
    return MultiPolygon([Polygon(scale, [[(x * 1e-4 + 120.0, y * 1e-4 + 30.0) for x, y in h] for h in holes])])


def corners(geom, part=0):
    ring = list(geom.geoms[part].exterior.coords)[:-1]
    return {(round((x - 120.0) * 1e4, 6), round((y - 30.0) * 1e4, 6)) for x, y in ring}


def moved(index, to, ring=BASE):
    out = list(ring)
    out[index] = to
    return out


def test_different_corners_both_kept():
    mine = moved(4, (11, 11))  # I pull the north-east corner out
    theirs = moved(0, (1, 1))  # they pull the south-west corner in
    merged = merge_boundaries(poly(BASE), poly(mine), poly(theirs))
    assert merged.places == []
    got = corners(merged.geometry)
    assert (11, 11) in got and (1, 1) in got
    assert (10, 10) not in got and (0, 0) not in got
    assert len(got) == len(BASE)


def test_my_added_and_removed_corners_go_onto_theirs():
    mine = [p for p in BASE if p != (5, 10)]  # I remove the north midpoint
    mine.insert(1, (2, -1))  # and add a corner on the south side
    theirs = moved(3, (12, 5))  # they push the east midpoint out
    merged = merge_boundaries(poly(BASE), poly(mine), poly(theirs))
    got = corners(merged.geometry)
    assert (2, -1) in got and (12, 5) in got
    assert (5, 10) not in got and (10, 5) not in got
    assert merged.places == []


def test_same_corner_is_a_place_to_choose():
    mine = moved(0, (-1, -1))
    theirs = moved(0, (1, 1))
    merged = merge_boundaries(poly(BASE), poly(mine), poly(theirs))
    assert len(merged.places) == 1
    place = merged.places[0]
    assert place.choice is None and merged.unresolved == [place.key]
    assert (1, 1) in corners(merged.geometry)  # theirs until chosen
    chose_mine = merge_boundaries(poly(BASE), poly(mine), poly(theirs), {place.key: MINE})
    assert chose_mine.unresolved == []
    assert (-1, -1) in corners(chose_mine.geometry) and (1, 1) not in corners(chose_mine.geometry)
    chose_theirs = merge_boundaries(poly(BASE), poly(mine), poly(theirs), {place.key: THEIRS})
    assert (1, 1) in corners(chose_theirs.geometry) and (-1, -1) not in corners(chose_theirs.geometry)


def test_conflict_and_clean_edit_together():
    mine = moved(4, (11, 11), moved(0, (-1, -1)))
    theirs = moved(0, (1, 1))
    merged = merge_boundaries(poly(BASE), poly(mine), poly(theirs), {"r0:0": MINE})
    assert [p.key for p in merged.places] == ["r0:0"]
    got = corners(merged.geometry)
    assert (11, 11) in got and (-1, -1) in got and (1, 1) not in got


def test_same_change_on_both_sides_is_no_conflict():
    mine = moved(2, (10, -2))
    merged = merge_boundaries(poly(BASE), poly(mine), poly(mine))
    assert merged.places == []
    assert (10, -2) in corners(merged.geometry)


def test_ring_start_and_orientation_do_not_matter():
    mine = moved(4, (11, 11))
    theirs = list(reversed(moved(0, (1, 1))))[3:] + list(reversed(moved(0, (1, 1))))[:3]
    merged = merge_boundaries(poly(BASE), poly(mine), poly(theirs))
    got = corners(merged.geometry)
    assert (11, 11) in got and (1, 1) in got and merged.places == []


def test_my_hole_and_their_corner():
    hole = [(3, 3), (3, 6), (6, 6), (6, 3)]
    merged = merge_boundaries(poly(BASE), poly(BASE, [hole]), poly(moved(0, (1, 1))))
    geom = merged.geometry
    assert len(geom.geoms[0].interiors) == 1
    assert (1, 1) in corners(geom)


def test_part_cut_off_by_me_stays_cut_off():
    # I cut the square in two (a vertical strip x 4..6 removed): two parts; they move the north-east corner.
    left = [(0, 0), (4, 0), (4, 10), (0, 10), (0, 5)]
    right = [(6, 0), (10, 0), (10, 5), (10, 10), (6, 10)]
    mine = MultiPolygon([poly(left).geoms[0], poly(right).geoms[0]])
    merged = merge_boundaries(poly(BASE), mine, poly(moved(4, (11, 11))))
    assert len(merged.geometry.geoms) == 2
    assert merged.places == []
    all_corners = corners(merged.geometry, 0) | corners(merged.geometry, 1)
    assert (11, 11) in all_corners and (5, 0) not in all_corners
    # 100 units² less the strip (20), plus their corner's two triangles (2.5 + 2); a unit² is (1e-4°)².
    assert abs(merged.geometry.area - 84.5e-8) < 1e-12


def test_overwrite_names_their_change():
    theirs = moved(0, (2, 2))  # they cut off a triangle of the south-west corner
    merged = merge_boundaries(poly(BASE), poly(moved(4, (11, 11))), poly(theirs))
    assert merged.their_corners == 1
    # The triangle (0,0) (5,0)... their change: area of the quadrilateral (0,0),(5,0),(2,2),(0,5) = 10 units² of
    # (1e-4°)²; in m² about 10 × (11.132 m)² × cos(30°).
    expected = 10 * (11.132 ** 2) * 0.866
    assert abs(merged.their_area_m2 - expected) / expected < 0.02
    nothing_lost = merge_boundaries(poly(BASE), poly(theirs), poly(theirs))
    assert nothing_lost.their_area_m2 < 1e-6


def test_unchanged_mine_is_reported():
    merged = merge_boundaries(poly(BASE), poly(BASE), poly(moved(0, (1, 1))))
    assert not merged.mine_changed
    assert (1, 1) in corners(merged.geometry)
