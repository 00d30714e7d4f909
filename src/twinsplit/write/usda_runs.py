"""Runs: many new leaf prims of one `Columns`, consecutive children of one parent, written by one template.

A layout variant moves thousands of bodies; built as one prim each, they cost a list per prim to build and a call
per prim to emit. A run keeps their names and rows and prints them all with one %-template per depth. It holds
only while no other edit touches a member (or makes a prim under one): the tree builder sees a run where it looks
a prim up and raises `Redo`, and the layer is then built again without runs.
"""

from __future__ import annotations


class Redo(Exception):
    """An edit touches a run member: build the tree again with one prim per path."""


class Run:
    __slots__ = ("names", "rows", "specs")

    def __init__(self, name: str, row: int, specs: list) -> None:
        self.names, self.rows, self.specs = [name], [row], specs  # specs: [(attr, (head, _, texts, tail))]

    def emit(self, ind: str, rank: dict[str, int], out: list[str]) -> None:
        """The members' text as `usda_text._emit` writes each (an `over` with its properties in Sdf's order),
        separated by the blank line Sdf puts between sibling prims."""
        inner = ind + "    "
        specs = sorted(self.specs, key=lambda s: rank[s[0]])
        body = "".join(f"{inner}{_lit(head)}%s{_lit(tail)}\n" for _, (head, _, _, tail) in specs)
        template = f'{ind}over "%s"\n{ind}{{\n{body}{ind}}}\n'
        rows = self.rows
        columns = [[texts[i] for i in rows] for _, (_, _, texts, _) in specs]
        out.append("\n".join([template % cells for cells in zip(self.names, *columns, strict=True)]))


def _lit(text: str) -> str:
    return text.replace("%", "%%")
