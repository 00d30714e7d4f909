"""Rules on semantic labels: what a perception model is trained and scored on, so a label outside the agreed
taxonomy is a silent class split (Pallet vs pallet) or a class the model never learns."""

from __future__ import annotations

from collections.abc import Iterator

from ..scene.labels import labels
from .engine import Context
from .issues import Issue, Severity
from .registry import Rule, rule


@rule("semantic-taxonomy", "semantics", Severity.ERROR, on_delta=True)
class SemanticTaxonomy(Rule):
    """Every semantic label (UsdSemantics `semantics:labels:<taxonomy>` and the older
    `semantic:*:params:semanticData`) is declared in the --taxonomy file: ontology drift between the capture team
    and the synthetic-data team (a renamed, misspelled or new class) fails CI, naming the prim and the label.
    A variant is checked on the prims its layer touches (labels its events add). Skipped without --taxonomy."""

    def applies(self, ctx: Context) -> bool:
        return ctx.taxonomy is not None

    def check(self, ctx: Context) -> Iterator[Issue]:
        tax = ctx.taxonomy
        for prim in ctx.prims():
            for label in labels(prim):
                if tax.declares(label.taxonomy, label.value):
                    continue
                where = f"taxonomy {label.taxonomy!r} of {tax.name}" if label.taxonomy in tax.taxonomies \
                    else tax.name
                near = tax.nearest(label.taxonomy, label.value)
                yield self.issue(ctx, f"label {label.value!r} ({label.taxonomy}) is not in {where}", prim,
                                 label.attribute,
                                 suggestion=(f"did you mean {near!r}? " if near else "")
                                 + f"relabel the prim, or declare {label.value!r} in the taxonomy")
