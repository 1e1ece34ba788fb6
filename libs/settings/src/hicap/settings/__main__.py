"""`python -m hicap.settings` prints the table of every setting (for the README)."""

from __future__ import annotations

import sys

from hicap.settings.table import settings_markdown

sys.stdout.write(settings_markdown() + "\n")
