"""``python -m custom_components.uspd.engine`` runs the uspd command line."""

import sys

from .cli import main

sys.exit(main())
