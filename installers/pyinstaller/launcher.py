"""Entry script of the frozen bundle: the same `calmline` command as a source install."""

import sys

from calmline.__main__ import entry

if __name__ == "__main__":
    sys.exit(entry())
