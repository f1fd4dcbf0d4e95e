"""``python -m explain_lib.cli``: the ``explain-lib`` command."""

import sys

from . import main

sys.exit(main())
