"""A tidy layout for org charts (forests of reporting lines), computed server-side.

Pure functions over frozen dataclasses; the SVG renderer and the tests read the result.

The layout is the classic layered tree drawing: each subtree is laid out in its own
rectangle, siblings' rectangles sit side by side, and a parent is centred over its children,
so no two boxes can overlap and every parent is above its children. Three departures keep a
60-person org chart readable:

* Leaf children of one manager, when there are ``stack_threshold`` or more of them, are
  stacked in columns under the manager (about ``stack_column`` per column) instead of one
  long row — the way printed org charts list a team.
* A manager's children that would need a row wider than ``wrap_width`` wrap onto further
  rows, reached by a trunk line down the left of the subtree.
* The trees of a forest are packed onto shelves no wider than ``max_width``, so twenty
  unconnected contacts wrap instead of making one very wide row.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

Point = tuple[float, float]


@dataclass(frozen=True)
class LayoutNode:
    """A box to place: its id, its parent's id (None for a root) and its size in pixels."""

    id: int
    parent_id: int | None
    width: float
    height: float


@dataclass(frozen=True)
class PlacedNode:
    """A placed box; ``x``, ``y`` is its top-left corner and ``depth`` its distance from a root."""

    id: int
    x: float
    y: float
    width: float
    height: float
    depth: int

    @property
    def center_x(self) -> float:
        return self.x + self.width / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height


@dataclass(frozen=True)
class PlacedEdge:
    """A reporting line drawn as an orthogonal polyline from the parent's bottom to the child."""

    parent_id: int
    child_id: int
    points: tuple[Point, ...]


@dataclass(frozen=True)
class TreeLayout:
    """The whole drawing: boxes, lines and the canvas size they need."""

    nodes: tuple[PlacedNode, ...]
    edges: tuple[PlacedEdge, ...]
    width: float
    height: float

    def node(self, node_id: int) -> PlacedNode:
        return next(node for node in self.nodes if node.id == node_id)


@dataclass
class _Block:
    """A laid-out subtree in its own coordinates (top-left at 0, 0)."""

    width: float
    height: float
    anchor_x: float  # where the parent's line should arrive
    places: dict[int, tuple[float, float]] = field(default_factory=dict)
    edges: list[tuple[int, int, list[Point]]] = field(default_factory=list)
    left: float = 0.0  # where the block's left edge is once shifted into a parent

    def shifted(self, dx: float, dy: float) -> "_Block":
        return _Block(
            self.width,
            self.height,
            self.anchor_x + dx,
            {key: (x + dx, y + dy) for key, (x, y) in self.places.items()},
            [(a, b, [(x + dx, y + dy) for x, y in pts]) for a, b, pts in self.edges],
            self.left + dx,
        )


@dataclass(frozen=True)
class _Spacing:
    h_gap: float
    v_gap: float
    row: float
    stack_gap: float
    indent: float
    stack_threshold: int
    stack_column: int
    wrap_width: float


def tidy_layout(
    nodes: Sequence[LayoutNode],
    *,
    h_gap: float = 18,
    v_gap: float = 40,
    stack_gap: float = 10,
    indent: float = 26,
    stack_threshold: int = 3,
    stack_column: int = 8,
    wrap_width: float = 1200,
    max_width: float = 1400,
    margin: float = 12,
) -> TreeLayout:
    """Place ``nodes`` as a forest: every parent above its children, no two boxes overlapping.

    Children keep the order they have in ``nodes``; so do the roots. A ``parent_id`` that is
    not among the nodes makes a root; a reporting loop (which the services refuse, but old
    data might hold) is broken at its smallest id so that everything is still drawn.
    """
    by_id = {node.id: node for node in nodes}
    children: dict[int, list[int]] = {node.id: [] for node in nodes}
    roots = []
    for node in nodes:
        if node.parent_id is None or node.parent_id not in by_id or node.parent_id == node.id:
            roots.append(node.id)
        else:
            children[node.parent_id].append(node.id)
    reached = _reachable(roots, children)
    while len(reached) < len(by_id):
        loop_root = min(node_id for node_id in by_id if node_id not in reached)
        parent = by_id[loop_root].parent_id
        if parent is not None:
            children[parent].remove(loop_root)
        roots.append(loop_root)
        reached |= _reachable([loop_root], children)

    tallest = max((node.height for node in nodes), default=0.0)
    spacing = _Spacing(
        h_gap, v_gap, tallest + v_gap, stack_gap, indent, stack_threshold, stack_column, wrap_width
    )
    blocks = [_layout_subtree(root, by_id, children, spacing) for root in roots]

    # Shelf packing of the trees.
    places: dict[int, tuple[float, float]] = {}
    edges: list[tuple[int, int, list[Point]]] = []
    x = y = shelf_height = canvas_width = 0.0
    for block in blocks:
        if x > 0 and x + block.width > max_width:
            x, y, shelf_height = 0.0, y + shelf_height + v_gap, 0.0
        placed = block.shifted(margin + x, margin + y)
        places.update(placed.places)
        edges.extend(placed.edges)
        x += block.width + h_gap * 2
        shelf_height = max(shelf_height, block.height)
        canvas_width = max(canvas_width, x - h_gap * 2)

    depths = _depths(roots, children)
    placed_nodes = tuple(
        PlacedNode(node.id, *places[node.id], node.width, node.height, depths[node.id])
        for node in nodes
    )
    placed_edges = tuple(PlacedEdge(a, b, _dedupe(points)) for a, b, points in edges)
    height = y + shelf_height if blocks else 0.0
    return TreeLayout(placed_nodes, placed_edges, canvas_width + 2 * margin, height + 2 * margin)


def _layout_subtree(
    node_id: int,
    by_id: dict[int, LayoutNode],
    children: dict[int, list[int]],
    spacing: _Spacing,
) -> _Block:
    node = by_id[node_id]
    kids = children[node_id]
    if not kids:
        return _Block(node.width, node.height, node.width / 2, {node_id: (0.0, 0.0)})

    leaves = [kid for kid in kids if not children[kid]]
    stacked = leaves if len(leaves) >= spacing.stack_threshold else []
    parts: list[_Block] = []
    if stacked:
        parts.append(_stack(stacked, by_id, spacing))
    parts.extend(
        _layout_subtree(kid, by_id, children, spacing) for kid in kids if kid not in stacked
    )

    # Children side by side below the parent, wrapped onto further rows when one row would
    # be wider than ``wrap_width``; wrapped rows hang from a trunk line down the left side.
    rows = _wrap(parts, spacing)
    left = spacing.indent if len(rows) > 1 else 0.0
    placed: list[tuple[int, _Block]] = []
    buses = []
    top = spacing.row
    for index, members in enumerate(rows):
        offset = left
        for part in members:
            placed.append((index, part.shifted(offset, top)))
            offset += part.width + spacing.h_gap
        buses.append(top - spacing.v_gap / 2)
        top += max(part.height for part in members) + spacing.v_gap
    first_row = [part for index, part in placed if index == 0]
    anchor = (first_row[0].anchor_x + first_row[-1].anchor_x) / 2
    parent_x = anchor - node.width / 2
    shift = max(0.0, -parent_x)
    placed = [(index, part.shifted(shift, 0)) for index, part in placed]
    parent_x, anchor, trunk = parent_x + shift, anchor + shift, shift + spacing.indent / 2

    block = _Block(
        width=max(parent_x + node.width, *(_right(part) for _, part in placed)),
        height=top - spacing.v_gap,
        anchor_x=anchor,
        places={node_id: (parent_x, 0.0)},
    )
    stacked_set = set(stacked)
    for index, part in placed:
        block.places.update(part.places)
        block.edges.extend(part.edges)
        bus = buses[index]
        for kid in kids:
            if kid not in part.places:
                continue
            kx, ky = part.places[kid]
            kid_node = by_id[kid]
            points = [(anchor, node.height), (anchor, buses[0])]
            if index:
                points += [(trunk, buses[0]), (trunk, bus)]
            if kid in stacked_set:
                spine = kx - spacing.indent / 2
                mid = ky + kid_node.height / 2
                points += [(spine, bus), (spine, mid), (kx, mid)]
            else:
                center = kx + kid_node.width / 2
                points += [(center, bus), (center, ky)]
            block.edges.append((node_id, kid, points))
    return block


def _right(block: _Block) -> float:
    """The right edge of a block already shifted into its parent's coordinates."""
    return block.left + block.width


def _wrap(parts: list[_Block], spacing: _Spacing) -> list[list[_Block]]:
    rows: list[list[_Block]] = [[]]
    width = 0.0
    for part in parts:
        if rows[-1] and width + spacing.h_gap + part.width > spacing.wrap_width:
            rows.append([])
            width = 0.0
        width += (spacing.h_gap if rows[-1] else 0.0) + part.width
        rows[-1].append(part)
    return rows


def _stack(leaves: list[int], by_id: dict[int, LayoutNode], spacing: _Spacing) -> _Block:
    """Leaves in columns of at most ``stack_column``, each column hung from a spine line."""
    column_width = max(by_id[leaf].width for leaf in leaves)
    fits = int(
        (spacing.wrap_width + spacing.h_gap) // (column_width + spacing.indent + spacing.h_gap)
    )
    columns = max(1, min(math.ceil(len(leaves) / spacing.stack_column), fits))
    per_column = math.ceil(len(leaves) / columns)
    step = max(by_id[leaf].height for leaf in leaves) + spacing.stack_gap
    places = {}
    for index, leaf in enumerate(leaves):
        column, position = divmod(index, per_column)
        x = spacing.indent + column * (column_width + spacing.indent + spacing.h_gap)
        places[leaf] = (x, position * step)
    width = spacing.indent + columns * (column_width + spacing.indent + spacing.h_gap)
    width -= spacing.indent + spacing.h_gap
    return _Block(width, per_column * step - spacing.stack_gap, spacing.indent / 2, places)


def _reachable(roots: list[int], children: dict[int, list[int]]) -> set[int]:
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(children[current])
    return seen


def _depths(roots: list[int], children: dict[int, list[int]]) -> dict[int, int]:
    depths: dict[int, int] = {}
    todo = [(root, 0) for root in roots]
    while todo:
        current, depth = todo.pop()
        depths[current] = depth
        todo.extend((kid, depth + 1) for kid in children[current])
    return depths


def _dedupe(points: list[Point]) -> tuple[Point, ...]:
    kept: list[Point] = []
    for point in points:
        if not kept or kept[-1] != point:
            kept.append(point)
    return tuple(kept)
