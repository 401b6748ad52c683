"""`calmline config show [--json]` and `calmline config validate FILE`: the
effective settings with their layers, or the problems of a settings file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from calmline.cli.common import fail
from calmline.cli.doctor import settings_lines
from calmline.cli.parser import Subparsers


def add_config(sub: Subparsers) -> None:
    cfg = sub.add_parser(
        "config",
        help="show or validate settings",
        description="Show the effective settings or validate a settings file.",
    )
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = cfg_sub.add_parser(
        "show",
        help="the effective settings",
        description="Print the effective settings (after all layers).",
    )
    show.add_argument(
        "--json", action="store_true", help="one JSON object: {key: {value, source, layer, locked}}"
    )
    val = cfg_sub.add_parser(
        "validate",
        help="check a settings TOML file",
        description="Check a settings file; exit 1 listing each problem.",
    )
    val.add_argument("file", type=Path)


def run_config(args: argparse.Namespace, out: TextIO) -> int:
    if args.config_command == "validate":
        return _validate(args.file, out)
    from calmline.context import Context

    ctx = Context.load()
    eff = ctx.settings
    if args.json:
        from calmline.core.redact import redact_target
        from calmline.core.settings import all_keys

        def value(v: object) -> object:
            return redact_target(v) if isinstance(v, str) else v

        data = {
            k: {
                "value": value(eff.settings.get(k)),
                "layer": eff.source_of(k).layer.value,
                "source": eff.source_of(k).source,
                "locked": eff.is_locked(k),
            }
            for k in all_keys()
        }
        json.dump(data, out, indent=2)
        print(file=out)
    else:
        print("\n".join(settings_lines(ctx)), file=out)
    for problem in eff.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


def _validate(file: Path, out: TextIO) -> int:
    from calmline.core.settings import LayerName, parse_toml_layer
    from calmline.platform.bounded import FileRefused
    from calmline.platform.config_files import read_settings_text

    try:
        text = read_settings_text(file)
    except FileRefused as exc:
        return fail(str(exc))
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"{file}: cannot read ({exc})")
    layer = parse_toml_layer(LayerName.USER, str(file), text)
    for problem in layer.problems:
        print(problem, file=out)
    if layer.problems:
        return 1
    print(f"{file}: valid ({len(layer.values)} settings)", file=out)
    return 0
