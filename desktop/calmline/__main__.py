from __future__ import annotations

import sys

from calmline.cli import main

sys.exit(main())
