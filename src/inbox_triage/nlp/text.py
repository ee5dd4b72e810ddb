"""The text a classifier sees, built the same way for training and at run time.

Hungarian piles suffixes onto a stem (adat, adataim, adataimat, adatainkat),
and customers type with or without accents. So the text is lower-cased and
accent-folded, and every longer word also contributes a stem-like token made
of its first five letters ("xadata"), which lets a bag-of-words model see
one feature where the language has dozens of forms.

The subject of a reply or forward is the thread's, often our own wording of
the request being answered ("Re: Your personal data has been deleted"): like
quoted history it is left out, so that "Thanks, got it." stays not a request.
"""

from __future__ import annotations

import re
import unicodedata

from inbox_triage.mail.subjects import is_reply_or_forward

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\d_]{6,}")
_MAX_CHARS = 4000
STEM_LENGTH = 5


def fold_accents(text: str) -> str:
    """Lower-case and strip accents, so 'Törlés' and 'torles' look alike to the model."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def model_input(subject: str, new_text: str) -> str:
    """Subject (unless a reply's) and new text, folded, bounded, with stem tokens appended."""
    own_subject = "" if is_reply_or_forward(subject) else subject or ""
    text = f"{own_subject}\n{new_text or ''}"[:_MAX_CHARS]
    folded = _SPACE.sub(" ", fold_accents(text)).strip()
    stems = " ".join("x" + word[:STEM_LENGTH] for word in _WORD.findall(folded))
    return f"{folded} {stems}" if stems else folded
