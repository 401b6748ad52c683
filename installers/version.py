"""The one place every build reads Calmline's version from.

    python installers/version.py        prints it (build scripts, workflows)
    version()                           returns it (the PyInstaller spec)

The version itself lives in desktop/calmline/__init__.py as ``__version__``; it is
read here without importing the package, so a build machine needs no dependencies
installed to ask for it. A release tag must be "v" followed by exactly this."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

INIT = Path(__file__).resolve().parents[1] / "desktop" / "calmline" / "__init__.py"
FORM = re.compile(r"\d+\.\d+\.\d+")  # MSI ProductVersion and CFBundleVersion take N.N.N


def version(init: Path = INIT) -> str:
    tree = ast.parse(init.read_text(encoding="utf-8"), str(init))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "__version__"
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            found = node.value.value
            if not FORM.fullmatch(found):
                raise SystemExit(
                    f"{init}: __version__ = {found!r} is not MAJOR.MINOR.PATCH (digits only); "
                    "the MSI and the pkg need that form"
                )
            return found
    raise SystemExit(f'{init}: no __version__ = "N.N.N" line; add one')


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--check-tag"]:
        tag = argv[2] if len(argv) > 2 else ""
        if tag != f"v{version()}":
            print(
                f"tag {tag!r} does not match the version {version()} in {INIT}; "
                f"tag v{version()} or change __version__ first",
                file=sys.stderr,
            )
            return 1
        return 0
    print(version())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
