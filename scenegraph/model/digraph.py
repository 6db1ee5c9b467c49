"""A small directed graph with networkx's semantics for what the scene model needs, without importing networkx.

networkx takes about 0.16 s to import (its algorithms and backends), more than
building a one-entity scene; :class:`Scene` keeps its nodes and edges in a
:class:`DiGraph` here, which stores them as networkx does (dicts in insertion
order, one attribute dict per edge shared by both ends), so iteration orders
are networkx's and the files written are the same bytes.  ``Scene.graph`` still
hands out a real (frozen) ``networkx.DiGraph``, imported then.

>>> g = DiGraph()
>>> g.add_edge("a", "b", rel="parent"); g.add_edge("a", "c", rel="material")
>>> list(g.edges(data="rel")), list(g.successors("a")), g.edges["a", "c"]["rel"]
([('a', 'b', 'parent'), ('a', 'c', 'material')], ['b', 'c'], 'material')
>>> list(lexicographical_topological_sort(g, key=lambda n: {"a": 1, "b": 0, "c": 0}[n]))
['a', 'b', 'c']
>>> has_path(g, "a", "c"), has_path(g, "b", "a"), has_cycle(g)
(True, False, False)
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterator
from typing import Any

__all__ = ["DiGraph", "lexicographical_topological_sort", "has_path", "has_cycle"]


class _Nodes:
    """``g.nodes[n]`` (the attribute dict), ``g.nodes(data=True)``, iteration and ``in``."""

    __slots__ = ("_n",)

    def __init__(self, nodes: dict) -> None:
        self._n = nodes

    def __getitem__(self, n: Hashable) -> dict:
        return self._n[n]

    def __iter__(self) -> Iterator:
        return iter(self._n)

    def __len__(self) -> int:
        return len(self._n)

    def __contains__(self, n: object) -> bool:
        return n in self._n

    def __call__(self, data: bool | str = False) -> Iterator:
        if data is False:
            return iter(self._n)
        if data is True:
            return iter(self._n.items())
        return ((n, d.get(data)) for n, d in self._n.items())


class _Edges:
    """``g.edges[u, v]`` (the attribute dict), ``g.edges(data=...)`` / ``g.edges(node)`` in networkx's order."""

    __slots__ = ("_succ",)

    def __init__(self, succ: dict) -> None:
        self._succ = succ

    def __getitem__(self, uv: tuple) -> dict:
        u, v = uv
        return self._succ[u][v]

    def __iter__(self) -> Iterator:
        return self()

    def __call__(self, nbunch: Hashable | None = None, data: bool | str = False) -> Iterator:
        nodes = self._succ if nbunch is None else (nbunch,)
        for u in nodes:
            for v, d in self._succ[u].items():
                yield (u, v) if data is False else (u, v, d) if data is True else (u, v, d.get(data))


class DiGraph:
    """Nodes with attribute dicts and at most one edge per ordered pair, as ``networkx.DiGraph`` keeps them."""

    def __init__(self) -> None:
        self._node: dict = {}
        self._succ: dict = {}
        self._pred: dict = {}

    @property
    def nodes(self) -> _Nodes:
        return _Nodes(self._node)

    @property
    def edges(self) -> _Edges:
        return _Edges(self._succ)

    def __contains__(self, n: object) -> bool:
        try:
            return n in self._node
        except TypeError:
            return False

    def __iter__(self) -> Iterator:
        return iter(self._node)

    def __len__(self) -> int:
        return len(self._node)

    def number_of_nodes(self) -> int:
        return len(self._node)

    def add_node(self, n: Hashable, **attr: Any) -> None:
        if n not in self._node:
            self._succ[n], self._pred[n] = {}, {}
            self._node[n] = attr
        else:
            self._node[n].update(attr)

    def add_nodes_from(self, nodes: Any) -> None:
        for n in nodes:
            self.add_node(n)

    def remove_node(self, n: Hashable) -> None:
        del self._node[n]
        for v in self._succ.pop(n):
            del self._pred[v][n]
        for u in self._pred.pop(n):
            del self._succ[u][n]

    def add_edge(self, u: Hashable, v: Hashable, **attr: Any) -> None:
        for n in (u, v):
            if n not in self._node:
                self.add_node(n)
        d = self._succ[u].get(v, {})
        d.update(attr)
        self._succ[u][v] = d
        self._pred[v][u] = d

    def remove_edge(self, u: Hashable, v: Hashable) -> None:
        del self._succ[u][v]
        del self._pred[v][u]

    def has_edge(self, u: Hashable, v: Hashable) -> bool:
        return u in self._succ and v in self._succ[u]

    def successors(self, n: Hashable) -> Iterator:
        return iter(self._succ[n])

    def predecessors(self, n: Hashable) -> Iterator:
        return iter(self._pred[n])

    def in_degree(self) -> Iterator[tuple]:
        return ((n, len(p)) for n, p in self._pred.items())

    def to_networkx(self) -> Any:
        """A frozen ``networkx.DiGraph`` with the same nodes, edges and attributes, in the same order."""
        import networkx as nx

        g = nx.DiGraph()
        for n, d in self._node.items():
            g.add_node(n, **d)
        for u, nbrs in self._succ.items():
            for v, d in nbrs.items():
                g.add_edge(u, v, **d)
        return nx.freeze(g)


def lexicographical_topological_sort(g: DiGraph, key: Callable[[Any], Any] | None = None) -> Iterator:
    """Kahn's algorithm taking the smallest ``(key(node), insertion index)`` ready node first, as networkx's
    function of that name does; ValueError on a cycle."""
    key = key or (lambda n: n)
    order = {n: i for i, n in enumerate(g)}
    indegree = {v: d for v, d in g.in_degree() if d > 0}
    ready = [(key(v), order[v], v) for v, d in g.in_degree() if d == 0]
    heapq.heapify(ready)
    while ready:
        _, _, node = heapq.heappop(ready)
        for child in g.successors(node):
            indegree[child] -= 1
            if indegree[child] == 0:
                heapq.heappush(ready, (key(child), order[child], child))
                del indegree[child]
        yield node
    if indegree:
        raise ValueError("the graph has a cycle")


def has_path(g: DiGraph, a: Hashable, b: Hashable) -> bool:
    """Is there a directed path from ``a`` to ``b`` (``a`` itself counts)?"""
    if a not in g or b not in g:
        return False
    seen, todo = {a}, [a]
    while todo:
        n = todo.pop()
        if n == b:
            return True
        for m in g.successors(n):
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return False


def has_cycle(g: DiGraph) -> bool:
    """Does the graph have a directed cycle?"""
    try:
        for _ in lexicographical_topological_sort(g, key=lambda n: 0):
            pass
    except ValueError:
        return True
    return False
