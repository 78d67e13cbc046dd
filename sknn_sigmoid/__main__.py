"""``python -m sknn_sigmoid``: the command line."""

import sys

from .cli import main

sys.exit(main())
