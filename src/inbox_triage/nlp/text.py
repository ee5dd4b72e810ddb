"""The text a classifier sees, built the same way for training and at run time."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")
_MAX_CHARS = 4000


def fold_accents(text: str) -> str:
    """Lower-case and strip accents, so 'Törlés' and 'torles' look alike to the model."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def model_input(subject: str, new_text: str) -> str:
    """Subject and the sender's new text, accent-folded and bounded in length."""
    text = f"{subject or ''}\n{new_text or ''}"[:_MAX_CHARS]
    return _SPACE.sub(" ", fold_accents(text)).strip()
