"""Layered left-to-right drawing coordinates for a directed graph (Sugiyama style, pure Python).

Steps: break cycles (depth-first back edges are reversed), longest-path layering from the
sources, sources pulled right next to their first consumer, long edges split by dummy
points, barycentre sweeps to reduce crossings (the best order seen is kept), then
vertical positions that sit each node near its neighbours' mean without overlaps.

The one layout of the project: the HTML report draws with the defaults, the browser UI
asks the API for a layout with its own ``Spacing`` and ``Method``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True)
class NodeBox:
    """Where one node is drawn: its layer, rank within the layer and its box (top-left)."""

    key: str
    layer: int
    order: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class EdgeRoute:
    """The polyline of one edge, from the source box's right side to the target's left side.

    A reversed edge (one that closed a cycle) runs right to left; its points still start
    at the source and end at the target.
    """

    source: str
    target: str
    points: tuple[Point, ...]
    reversed: bool


@dataclass(frozen=True)
class GraphLayout:
    """A finished layout: boxes by node key, one route per distinct edge, the canvas size."""

    boxes: Mapping[str, NodeBox]
    routes: tuple[EdgeRoute, ...]
    layer_count: int
    width: float
    height: float
    crossings: int


@dataclass(frozen=True)
class Spacing:
    """Distances of the drawing, in SVG user units."""

    node_height: float = 54.0
    default_width: float = 160.0
    layer_gap: float = 72.0
    node_gap: float = 18.0
    dummy_gap: float = 8.0
    margin: float = 16.0
    dummy_height: float = 0.0
    """Room a long edge's bend point takes in a layer (it keeps boxes off the line)."""
    min_column_width: float = 0.0
    """No layer's column is narrower than this."""


@dataclass(frozen=True)
class Method:
    """How the layout searches and sizes: the choices on which its two users differ."""

    sources_first: bool = False
    """Break cycles from the sources first, so the edges reversed close a cycle late."""
    order_sweeps: int = 12
    """At most this many half sweeps (down, up, down, ...) of barycentre ordering."""
    score_every_sweep: bool = False
    """Count crossings after every half sweep, not only after each down and up pair."""
    stale_scores: int | None = 2
    """Stop ordering after this many scores without fewer crossings (None: never)."""
    place_passes: int = 6
    """Half passes (down, up, ...) pulling each layer towards its neighbours."""
    final_pass_both_ways: bool = False
    """One last pass pulling every layer towards its neighbours on both sides."""
    dummy_weight: float = 1.0
    """How firmly a bend point holds its target when a layer is fitted (a node: 1)."""
    own_width: bool = False
    """Each box keeps its own width (else it is as wide as its column)."""


def _index(
    keys: Sequence[str], edges: Sequence[tuple[str, str]]
) -> tuple[list[str], list[tuple[int, int]]]:
    """Node keys (those only named by edges appended) and distinct non-loop edges as indexes."""
    names: dict[str, int] = {}
    for key in list(keys) + [end for edge in edges for end in edge]:
        names.setdefault(key, len(names))
    pairs: dict[tuple[int, int], None] = {}
    for source, target in edges:
        if source != target:
            pairs.setdefault((names[source], names[target]), None)
    return list(names), list(pairs)


def _acyclic(count: int, pairs: Sequence[tuple[int, int]], sources_first: bool) -> list[bool]:
    """For each edge, whether it must be reversed to make the graph acyclic (DFS back edges)."""
    out: list[list[tuple[int, int]]] = [[] for _ in range(count)]
    for number, (source, target) in enumerate(pairs):
        out[source].append((target, number))
    state = [0] * count  # 0 unseen, 1 on the stack, 2 done
    flip = [False] * len(pairs)
    starts: Sequence[int] = range(count)
    if sources_first:
        fed = [False] * count
        for _, target in pairs:
            fed[target] = True
        starts = sorted(starts, key=fed.__getitem__)
    for start in starts:
        if state[start]:
            continue
        state[start] = 1
        stack: list[tuple[int, int]] = [(start, 0)]
        while stack:
            node, cursor = stack[-1]
            if cursor == len(out[node]):
                state[node] = 2
                stack.pop()
                continue
            stack[-1] = (node, cursor + 1)
            target, number = out[node][cursor]
            if state[target] == 1:
                flip[number] = True
            elif state[target] == 0:
                state[target] = 1
                stack.append((target, 0))
    return flip


def _layers(count: int, dag: Sequence[tuple[int, int]]) -> list[int]:
    """Longest path from the sources, then each source moved next to its nearest consumer."""
    preds: list[list[int]] = [[] for _ in range(count)]
    succs: list[list[int]] = [[] for _ in range(count)]
    for source, target in dag:
        succs[source].append(target)
        preds[target].append(source)
    waiting = [len(p) for p in preds]
    queue = deque(node for node in range(count) if not waiting[node])
    layer = [0] * count
    while queue:
        node = queue.popleft()
        for target in succs[node]:
            layer[target] = max(layer[target], layer[node] + 1)
            waiting[target] -= 1
            if not waiting[target]:
                queue.append(target)
    for node in range(count):
        if not preds[node] and succs[node]:
            layer[node] = min(layer[target] for target in succs[node]) - 1
    return layer


def _layered(
    keys: Sequence[str], edges: Sequence[tuple[str, str]], method: Method
) -> tuple[list[str], list[tuple[int, int]], list[bool], list[tuple[int, int]], list[int]]:
    """Names, distinct edges, which of them are reversed, the acyclic edges and the layers."""
    names, pairs = _index(keys, edges)
    flip = _acyclic(len(names), pairs, method.sources_first)
    dag = [(t, s) if f else (s, t) for (s, t), f in zip(pairs, flip, strict=True)]
    return names, pairs, flip, dag, _layers(len(names), dag)


def assign_layers(
    keys: Sequence[str], edges: Sequence[tuple[str, str]], *, method: Method | None = None
) -> dict[str, int]:
    """The layer of every node: every edge of an acyclic graph goes to a higher layer.

    >>> assign_layers(["a", "b", "c", "d"], [("a", "b"), ("b", "d"), ("c", "d")])
    {'a': 0, 'b': 1, 'c': 1, 'd': 2}
    """
    names, _, _, _, layer = _layered(keys, edges, method or Method())
    return dict(zip(names, layer, strict=True))


def bend_points(
    keys: Sequence[str], edges: Sequence[tuple[str, str]], *, method: Method | None = None
) -> int:
    """How many bend points the long edges of the layout pass through (its size beyond the
    nodes: a caller can refuse a graph before laying it out).

    >>> bend_points(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c")])
    1
    """
    _, _, _, dag, layer = _layered(keys, edges, method or Method())
    return sum(layer[target] - layer[source] - 1 for source, target in dag)


def _count_crossings(
    ranks: Sequence[Sequence[int]], down: Sequence[Sequence[int]], position: Sequence[int]
) -> int:
    """Crossings between all adjacent layers (inversions counted with a Fenwick tree)."""
    total = 0
    for layer in ranks[:-1]:
        segments = sorted((position[u], position[v]) for u in layer for v in down[u])
        if not segments:
            continue
        size = max(lower for _, lower in segments) + 2
        tree = [0] * (size + 1)
        seen = 0
        for _, lower in segments:
            # segments already placed whose lower end is strictly to the right cross this one
            index, not_greater = lower + 1, 0
            while index > 0:
                not_greater += tree[index]
                index -= index & -index
            total += seen - not_greater
            index = lower + 1
            while index <= size:
                tree[index] += 1
                index += index & -index
            seen += 1
    return total


def _sweep(
    ranks: list[list[int]],
    neighbours: Sequence[Sequence[int]],
    position: list[int],
    order: Sequence[int],
) -> None:
    """Reorder the given layers by the barycentre of each node's neighbours in the layer before."""
    for number in order:
        layer = ranks[number]

        def key(node: int) -> tuple[float, int]:
            near = neighbours[node]
            centre = sum(position[n] for n in near) / len(near) if near else position[node]
            return (centre, position[node])

        layer.sort(key=key)
        for rank, node in enumerate(layer):
            position[node] = rank


def _order(
    ranks: list[list[int]],
    up: Sequence[Sequence[int]],
    down: Sequence[Sequence[int]],
    position: list[int],
    method: Method,
) -> int:
    """Barycentre sweeps down and up; leaves the order with the fewest crossings seen."""
    best = _count_crossings(ranks, down, position)
    best_ranks = [list(layer) for layer in ranks]
    stale = 0
    for number in range(method.order_sweeps):
        if best == 0 or (method.stale_scores is not None and stale >= method.stale_scores):
            break
        if number % 2 == 0:
            _sweep(ranks, up, position, range(1, len(ranks)))
        else:
            _sweep(ranks, down, position, range(len(ranks) - 2, -1, -1))
        if not (method.score_every_sweep or number % 2 == 1):
            continue
        crossings = _count_crossings(ranks, down, position)
        if crossings < best:
            best, best_ranks, stale = crossings, [list(layer) for layer in ranks], 0
        else:
            stale += 1
    ranks[:] = best_ranks
    for layer in ranks:
        for rank, node in enumerate(layer):
            position[node] = rank
    return best


def _place(
    targets: Sequence[float], gaps: Sequence[float], weights: Sequence[float]
) -> list[float]:
    """Positions nearest the targets (weighted least squares) keeping ``gaps[i]`` between i
    and i+1.

    >>> _place([0.0, 0.0, 10.0], [4.0, 4.0], [1.0, 1.0, 1.0])
    [-2.0, 2.0, 10.0]
    >>> _place([0.0, 0.0], [4.0], [1.0, 3.0])
    [-3.0, 1.0]
    """
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    # pool adjacent violators on the shifted targets: a non-decreasing fit
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for target, offset, weight in zip(targets, offsets, weights, strict=True):
        blocks.append([(target - offset) * weight, weight, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, weight_sum, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += weight_sum
            blocks[-1][2] += count
    fitted: list[float] = []
    for total, weight_sum, count in blocks:
        fitted.extend([total / weight_sum] * int(count))
    return [value + offset for value, offset in zip(fitted, offsets, strict=True)]


def _vertical(
    ranks: Sequence[Sequence[int]],
    up: Sequence[Sequence[int]],
    down: Sequence[Sequence[int]],
    heights: Sequence[float],
    real: int,
    spacing: Spacing,
    method: Method,
) -> list[float]:
    """Centre y of every node: stacked first, then pulled towards neighbours a few times."""
    centre = [0.0] * len(heights)
    weight = [1.0] * real + [method.dummy_weight] * (len(heights) - real)

    def gaps(layer: Sequence[int]) -> list[float]:
        return [
            (heights[a] + heights[b]) / 2
            + (spacing.node_gap if a < real and b < real else spacing.dummy_gap)
            for a, b in zip(layer, layer[1:], strict=False)
        ]

    def fit(layer: Sequence[int], targets: Sequence[float]) -> None:
        placed = _place(targets, gaps(layer), [weight[node] for node in layer])
        for node, value in zip(layer, placed, strict=True):
            centre[node] = value

    for layer in ranks:
        fit(layer, [0.0] * len(layer))

    def pull(numbers: Sequence[int], neighbours: Sequence[Sequence[int]]) -> None:
        for number in numbers:
            layer = ranks[number]
            fit(
                layer,
                [
                    sum(centre[n] for n in neighbours[node]) / len(neighbours[node])
                    if neighbours[node]
                    else centre[node]
                    for node in layer
                ],
            )

    for number in range(method.place_passes):
        if number % 2 == 0:
            pull(range(1, len(ranks)), up)
        else:
            pull(range(len(ranks) - 2, -1, -1), down)
    if method.final_pass_both_ways:
        pull(range(len(ranks)), [[*above, *below] for above, below in zip(up, down, strict=True)])
    return centre


def layout_graph(
    keys: Sequence[str],
    edges: Sequence[tuple[str, str]],
    *,
    widths: Mapping[str, float] | None = None,
    heights: Mapping[str, float] | None = None,
    spacing: Spacing | None = None,
    method: Method | None = None,
) -> GraphLayout:
    """Lay a directed graph out in layers from left (sources) to right (sinks).

    Args:
        keys: the nodes, in a stable order (it breaks ties, so the output is deterministic).
        edges: (source, target) pairs; keys only named here are added, loops and repeats
            are dropped.
        widths: the box width each node wants; a layer is as wide as its widest node.
        heights: the box height each node wants (else ``spacing.node_height``).
        spacing: distances of the drawing.
        method: how the layout searches and sizes (the defaults are the report's).

    >>> layout = layout_graph(["a", "b", "c"], [("a", "c"), ("b", "c")])
    >>> [layout.boxes[k].layer for k in "abc"], layout.crossings
    ([0, 0, 1], 0)
    """
    space = spacing or Spacing()
    how = method or Method()
    wanted = widths or {}
    tall = heights or {}
    names, pairs, flip, dag, layer = _layered(keys, edges, how)
    real = len(names)

    up: list[list[int]] = [[] for _ in range(real)]
    down: list[list[int]] = [[] for _ in range(real)]
    chains: list[list[int]] = []
    for source, target in dag:
        chain = [source]
        for step in range(layer[source] + 1, layer[target]):
            layer.append(step)
            up.append([])
            down.append([])
            chain.append(len(layer) - 1)
        chain.append(target)
        for a, b in zip(chain, chain[1:], strict=False):
            down[a].append(b)
            up[b].append(a)
        chains.append(chain)

    layer_count = max(layer, default=-1) + 1
    ranks: list[list[int]] = [[] for _ in range(layer_count)]
    for node, number in enumerate(layer):
        ranks[number].append(node)
    position = [0] * len(layer)
    for nodes in ranks:
        for rank, node in enumerate(nodes):
            position[node] = rank
    crossings = _order(ranks, up, down, position, how)

    height_of = [tall.get(name, space.node_height) for name in names]
    height_of += [space.dummy_height] * (len(layer) - real)
    centre = _vertical(ranks, up, down, height_of, real, space, how)
    top = min((centre[n] - height_of[n] / 2 for n in range(len(layer))), default=0.0)
    shift = space.margin - top
    bottom = max((centre[n] + height_of[n] / 2 for n in range(len(layer))), default=0.0)

    width_of = [wanted.get(name, space.default_width) for name in names]
    column: list[float] = []
    for nodes in ranks:
        sizes = [width_of[n] for n in nodes if n < real]
        column.append(max(space.min_column_width, max(sizes, default=24.0)))
    left = [space.margin]
    for size in column[:-1]:
        left.append(left[-1] + size + space.layer_gap)

    def r(value: float) -> float:
        return round(value, 1)

    box_width = width_of if how.own_width else [column[layer[n]] for n in range(real)]
    boxes = {
        names[n]: NodeBox(
            key=names[n],
            layer=layer[n],
            order=position[n],
            x=r(left[layer[n]]),
            y=r(centre[n] + shift - height_of[n] / 2),
            width=r(box_width[n]),
            height=r(height_of[n]),
        )
        for n in range(real)
    }
    routes: list[EdgeRoute] = []
    for (source, target), flipped, chain in zip(pairs, flip, chains, strict=True):
        points: list[Point] = [(left[layer[chain[0]]] + box_width[chain[0]], centre[chain[0]])]
        for dummy in chain[1:-1]:
            points.append((left[layer[dummy]], centre[dummy]))
            points.append((left[layer[dummy]] + column[layer[dummy]], centre[dummy]))
        points.append((left[layer[chain[-1]]], centre[chain[-1]]))
        shifted = [(r(x), r(y + shift)) for x, y in points]
        if flipped:
            shifted.reverse()
        routes.append(EdgeRoute(names[source], names[target], tuple(shifted), flipped))
    width = left[-1] + column[-1] + space.margin if column else 2 * space.margin
    height = bottom + shift + space.margin if layer else 2 * space.margin
    return GraphLayout(boxes, tuple(routes), layer_count, r(width), r(height), crossings)
