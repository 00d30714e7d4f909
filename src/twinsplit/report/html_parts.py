"""HTML pieces every report section uses: escaping, numbers, tables, inline PNGs."""

from __future__ import annotations

import base64
import html
import math
from typing import Any


def e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def num(v: Any, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return f"{v:.{digits}g}"
    return e(v)


def img(png: bytes, alt: str) -> str:
    return f'<img alt="{e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(cells) + "</tr>" for cells in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def td(x: Any, cls: str = "") -> str:
    return f'<td class="{cls}">{x}</td>' if cls else f"<td>{x}</td>"
