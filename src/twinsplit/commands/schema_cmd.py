from __future__ import annotations

import json

import click

from .common import friendly

SCHEMAS = ("config", "manifest")


def schema_text(name: str) -> str:
    if name == "config":
        from ..config import json_schema
    else:
        from ..manifest import json_schema
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


@click.command("schema")
@click.argument("name", type=click.Choice(SCHEMAS))
@friendly  # the config schema loads the plugins: a broken one is a message, not a traceback
def command(name: str) -> None:
    """Print the JSON Schema of the config or the manifest."""
    click.echo(schema_text(name), nl=False)
