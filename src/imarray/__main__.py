"""``python -m imarray``: the ``imarray`` command."""

import sys

from .cli import main

sys.exit(main())
