from __future__ import annotations

import sys


def entry() -> int:
    """The `calmline` command. Without arguments it opens the window, skipping the
    CLI parser and its imports: the first paint should not wait for them."""
    if len(sys.argv) == 1:
        from calmline.app import run_app

        return run_app()
    from calmline.cli import main

    return main()


if __name__ == "__main__":
    sys.exit(entry())
