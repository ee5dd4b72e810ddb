"""The spaCy training configs of the classifier, by architecture name.

A light module (no spaCy import), so that the command line can list the
choices without loading the training code.
"""

from __future__ import annotations

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
CONFIGS = {
    "hashed": "textcat_hashed.cfg",
    "averaged": "textcat_averaged.cfg",
    "ensemble": "textcat.cfg",
    "bow": "textcat_bow.cfg",
}
#: Chosen on held-out writers (scripts/cross_writer.py), never on the test split.
DEFAULT_ARCHITECTURE = "averaged"
