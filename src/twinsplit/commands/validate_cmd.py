"""`twinsplit validate PATH...`: check stages, folders of stages and twinsplit output dirs for CI."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import Failed, InputError
from . import emit


class RuleIds(click.ParamType):
    """Comma-separated rule ids or globs (`nvidia:*`), checked against the rule registry."""

    name = "IDS"

    def convert(self, value, param, ctx):
        from ..validate.registry import expand

        if isinstance(value, list):
            return value
        ids = [v.strip() for v in str(value).split(",") if v.strip()]
        try:
            return expand(ids)
        except KeyError as exc:
            from ..validate.registry import RULES

            self.fail(f"unknown rule {exc.args[0]!r}; choose from: {', '.join(RULES)}", param, ctx)

    def shell_complete(self, ctx, param, incomplete):
        from click.shell_completion import CompletionItem

        from ..validate.registry import iter_rules

        return [CompletionItem(r.id) for r in iter_rules() if r.id.startswith(incomplete)]


def _list_rules(ctx: click.Context, _param, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from ..validate.registry import iter_rules

    rules = list(iter_rules())
    width = max(len(r.id) for r in rules)
    for r in rules:
        click.echo(f"{r.id:<{width}}  {r.category:<11} {r.severity.value:<8} {r.summary}")
    ctx.exit(0)


def _flatten(groups: tuple[list[str], ...]) -> list[str]:
    return [rid for group in groups for rid in group]


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="twinsplit config; enables the config-selectors rule.")
@click.option("--taxonomy", "taxonomy_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML/JSON list of allowed semantic labels (docs/ci.md); enables the semantic-taxonomy rule.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "github"]), default="text",
              show_default=True, help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report here (a one-line summary still goes to stdout).")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.option("--rules", "only", type=RuleIds(), multiple=True,
              help="Run only these rules (comma-separated ids or globs).")
@click.option("--skip", type=RuleIds(), multiple=True, help="Do not run these rules (comma-separated ids or globs).")
@click.option("--list-rules", is_flag=True, is_eager=True, expose_value=False, callback=_list_rules,
              help="List every rule id with its category, default severity and description, then exit.")
def command(paths: tuple[Path, ...], config_path: Path | None, taxonomy_path: Path | None, fmt: str,
            output: Path | None, strict: bool, only: tuple[list[str], ...], skip: tuple[list[str], ...]) -> None:
    """Validate USD stages, folders of stages, or twinsplit output dirs (source once, variants by delta).

    Exit status: 0 no errors; 1 errors (or warnings with --strict); 2 usage error or unreadable input.
    """
    from ..validate import engine, registry
    from ..validate.formats import FORMATS, summary

    if not paths:
        raise click.UsageError("give at least one stage, folder or twinsplit output dir (or --list-rules)")
    rules = registry.select(_flatten(only), _flatten(skip))
    if not rules:
        raise click.UsageError("--rules/--skip leave no rule to run")
    config = None
    if config_path is not None:
        from ..config import load_config

        config = load_config(config_path)
    taxonomy = None
    if taxonomy_path is not None:
        from ..validate.taxonomy import load

        taxonomy = load(taxonomy_path)
    targets = engine.discover(paths)

    report = engine.validate(targets, rules, config=config, taxonomy=taxonomy)
    emit(FORMATS[fmt](report), output, summary(report))
    if report.unreadable:
        raise InputError("; ".join(f.error for f in report.unreadable))
    code = report.exit_code(strict)
    if code:
        raise Failed(code)
