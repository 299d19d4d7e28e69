"""``python -m n2n_lib.lab.report``: see `n2n_lib.lab.report.cli`."""

import sys

from n2n_lib.lab.report.cli import main

sys.exit(main())
