"""``python -m custom_components.uspd.satellite`` runs the whole ``uspd`` command line (detect, satellite)."""

import sys

from .cli import main

sys.exit(main())
