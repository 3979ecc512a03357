"""The org chart layout: readable at 60 contacts whatever the shape of the organisation."""

import itertools
import random

import pytest

from kam.relationships.layout import LayoutNode, PlacedNode, TreeLayout, tidy_layout
from kam.relationships.svg import box_size

GAP = 4  # boxes must be at least this far apart to read as separate


def sized(node_id: int, parent: int | None, rng: random.Random) -> LayoutNode:
    return LayoutNode(node_id, parent, *box_size(rng.randint(1, 5)))


def random_org(seed: int, size: int = 60) -> list[LayoutNode]:
    rng = random.Random(seed)
    nodes = [sized(0, None, rng)]
    for node_id in range(1, size):
        nodes.append(sized(node_id, rng.randrange(node_id), rng))
    return nodes


def layered_org(size: int = 60) -> list[LayoutNode]:
    """A CEO, five executives, directors under them, teams of leaves under directors."""
    rng = random.Random(3)
    nodes = [sized(0, None, rng)]
    for node_id in range(1, size):
        if node_id <= 5:
            parent = 0
        elif node_id <= 17:
            parent = 1 + (node_id - 6) % 5
        else:
            parent = 6 + (node_id - 18) % 12
        nodes.append(sized(node_id, parent, rng))
    return nodes


SHAPES = {
    "random tree a": random_org(1),
    "random tree b": random_org(2),
    "random tree c": random_org(3),
    "layered company": layered_org(),
    "flat: one boss, 59 reports": [LayoutNode(0, None, 160, 60)]
    + [LayoutNode(i, 0, 150, 54) for i in range(1, 60)],
    "chain of 60": [LayoutNode(i, i - 1 if i else None, 150, 54) for i in range(60)],
    "forest: 3 trees and 30 loners": [LayoutNode(i, None, 150, 54) for i in range(30)]
    + [
        LayoutNode(30 + i, None if i % 10 == 0 else 30 + (i // 10) * 10, 150, 54) for i in range(30)
    ],
    "boss with mixed teams": [LayoutNode(0, None, 190, 70)]
    + [LayoutNode(i, 0, 150, 54) for i in range(1, 20)]
    + [LayoutNode(20 + i, 1 + i % 4, 150, 54) for i in range(40)],
}


def overlap(a: PlacedNode, b: PlacedNode, gap: float = GAP) -> bool:
    return not (
        a.x + a.width + gap <= b.x
        or b.x + b.width + gap <= a.x
        or a.y + a.height + gap <= b.y
        or b.y + b.height + gap <= a.y
    )


def segment_crosses_box(p: tuple[float, float], q: tuple[float, float], box: PlacedNode) -> bool:
    """Whether an axis-parallel segment passes through the inside of ``box``."""
    (x1, y1), (x2, y2) = p, q
    left, right = min(x1, x2), max(x1, x2)
    top, bottom = min(y1, y2), max(y1, y2)
    return (
        left < box.x + box.width - 1
        and right > box.x + 1
        and top < box.y + box.height - 1
        and bottom > box.y + 1
    )


@pytest.fixture(params=list(SHAPES), ids=list(SHAPES))
def drawn(request) -> tuple[list[LayoutNode], TreeLayout]:
    nodes = SHAPES[request.param]
    return nodes, tidy_layout(nodes)


def test_every_contact_is_drawn_once_inside_the_canvas(drawn) -> None:
    nodes, layout = drawn
    assert sorted(n.id for n in layout.nodes) == sorted(n.id for n in nodes)
    for node in layout.nodes:
        assert node.x >= 0
        assert node.y >= 0
        assert node.x + node.width <= layout.width
        assert node.y + node.height <= layout.height


def test_no_two_boxes_overlap(drawn) -> None:
    _, layout = drawn
    clashes = [(a.id, b.id) for a, b in itertools.combinations(layout.nodes, 2) if overlap(a, b)]
    assert clashes == []


def test_every_reporting_line_runs_from_the_manager_above_to_the_report_below(drawn) -> None:
    nodes, layout = drawn
    parents = {n.id: n.parent_id for n in nodes if n.parent_id is not None}
    assert {(e.child_id, e.parent_id) for e in layout.edges} == set(parents.items())
    for edge in layout.edges:
        parent, child = layout.node(edge.parent_id), layout.node(edge.child_id)
        assert parent.bottom < child.y, (parent, child)
        start, end = edge.points[0], edge.points[-1]
        assert start[1] == pytest.approx(parent.bottom)
        assert parent.x <= start[0] <= parent.x + parent.width
        on_top = end[1] == pytest.approx(child.y)
        on_left = end[0] == pytest.approx(child.x)
        assert on_top or on_left
        assert child.depth == parent.depth + 1


def test_no_line_cuts_through_a_box(drawn) -> None:
    _, layout = drawn
    crossings = []
    for edge in layout.edges:
        for p, q in itertools.pairwise(edge.points):
            for box in layout.nodes:
                if box.id not in (edge.parent_id, edge.child_id) and segment_crosses_box(p, q, box):
                    crossings.append((edge.parent_id, edge.child_id, box.id))
    assert crossings == []


@pytest.mark.parametrize(
    "shape",
    [s for s in SHAPES if s != "chain of 60"],
)
def test_sixty_contacts_fit_a_readable_width(shape) -> None:
    """No 60-person chart needs more than about one and a half screens of width."""
    layout = tidy_layout(SHAPES[shape])
    assert layout.width <= 2000


def test_a_flat_team_is_stacked_in_columns_not_one_long_row() -> None:
    layout = tidy_layout(SHAPES["flat: one boss, 59 reports"])
    assert layout.width < 1600
    assert layout.height < 900


def test_siblings_keep_their_order_and_the_parent_is_centred_over_them() -> None:
    nodes = [LayoutNode(1, None, 150, 50), LayoutNode(2, 1, 150, 50), LayoutNode(3, 1, 150, 50)]
    layout = tidy_layout(nodes)
    boss, left, right = (layout.node(i) for i in (1, 2, 3))
    assert left.x < right.x
    assert left.y == right.y
    assert boss.center_x == pytest.approx((left.center_x + right.center_x) / 2)


def test_a_reporting_loop_in_old_data_is_still_drawn() -> None:
    nodes = [LayoutNode(1, 2, 150, 50), LayoutNode(2, 1, 150, 50), LayoutNode(3, 1, 150, 50)]
    layout = tidy_layout(nodes)
    assert {n.id for n in layout.nodes} == {1, 2, 3}
    assert len(layout.edges) == 2


def test_an_empty_chart_has_no_size() -> None:
    layout = tidy_layout([])
    assert (layout.nodes, layout.edges) == ((), ())
