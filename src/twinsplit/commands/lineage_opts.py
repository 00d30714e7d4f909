"""generate's lineage flags: what a user sets per run (the purpose, the capture it was built from), over the
config's `lineage:` block. The flags change the config recorded in the manifest, so the set says what the run
was told."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ..errors import TwinsplitError

OPTIONS = (
    click.option("--purpose", "lineage_purpose", multiple=True, metavar="TEXT",
                 help="What the set is for (repeat for several); replaces lineage.purpose. verify --purpose "
                      "matches it exactly."),
    click.option("--capture-id", "lineage_capture_ids", multiple=True, metavar="ID",
                 help="Id of a real-world capture (scan) the source was built from (repeat for several); sets "
                      "lineage.sources[0].capture_ids."),
    click.option("--site", "lineage_site", metavar="TEXT", help="Capture site; sets lineage.sources[0].site."),
    click.option("--capture-date", "lineage_capture_date", metavar="DATE",
                 help="Capture date, ISO 8601 (2026-03-04, or START/END); sets lineage.sources[0].capture_date."),
    click.option("--jurisdiction", "lineage_jurisdiction", metavar="CODE",
                 help="ISO 3166 code whose law applies to the capture (DE, US-CA, EU); sets "
                      "lineage.sources[0].jurisdiction."),
)


def lineage_options(fn: Callable) -> Callable:
    for option in reversed(OPTIONS):
        fn = option(fn)
    return fn


def apply_lineage(config: Any, flags: dict[str, Any]) -> Any:
    """`config` with the lineage flags (`flags`: the command's `lineage_*` parameters) applied; the flags win."""
    from ..lineage import with_overrides

    purpose = flags.pop("lineage_purpose", ())
    capture = {k.removeprefix("lineage_"): flags.pop(k) for k in list(flags) if k.startswith("lineage_")}
    if not purpose and all(v in (None, ()) for v in capture.values()):
        return config
    try:
        lineage = with_overrides(config.lineage, tuple(purpose), **capture)
    except ValueError as exc:
        raise TwinsplitError(str(exc)) from None
    return config.model_copy(update={"lineage": lineage})
