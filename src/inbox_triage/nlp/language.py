"""Language of the sender's own new text: `hu`, `en`, another ISO code, or `und`.

langdetect is seeded so the same text always gets the same answer. Hungarian
typed without accents often fools it (into Finnish, Estonian, Indonesian...),
so a small vote of very common function words, compared accent-free, can
overrule it for Hungarian, English and German (whose words must not count
as Hungarian or English ones). Words are listed in function_words.toml.
"""

from __future__ import annotations

import re
import threading
import tomllib
import unicodedata
from pathlib import Path

from langdetect import DetectorFactory, LangDetectException, detect_langs

UNDETERMINED = "und"
_MIN_LETTERS = 12
_LOCK = threading.Lock()
DetectorFactory.seed = 0

_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    language: frozenset(words.split())
    for language, words in tomllib.loads(
        (Path(__file__).parent / "function_words.toml").read_text(encoding="utf-8")
    ).items()
}
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(subject: str, body: str) -> str:
    """The language of subject and new text, with a fallback for short texts."""
    text = f"{subject}\n{body}".strip()
    counts = _counts(text)
    if sum(ch.isalpha() for ch in text) < _MIN_LETTERS:
        return _vote(counts) or UNDETERMINED
    decisive = _vote(counts, minimum=4, dominance=3.0)
    if decisive:
        return decisive
    guess = _langdetect(body) if sum(ch.isalpha() for ch in body) >= 40 else None
    if guess is None:
        guess = _langdetect(text)
    voted = _vote(counts)
    if voted and (guess not in _FUNCTION_WORDS or not counts[guess]):
        return voted
    return guess or voted or UNDETERMINED


def _langdetect(text: str) -> str | None:
    """langdetect's best guess; lower-cased first, since it reads capitals as English."""
    with _LOCK:
        try:
            candidates = detect_langs(text.lower())
        except LangDetectException:
            return None
    return candidates[0].lang if candidates else None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _counts(text: str) -> dict[str, int]:
    """How many of the text's words are function words of each language."""
    words = _WORD.findall(_fold(text))
    return {
        language: sum(word in vocabulary for word in words)
        for language, vocabulary in _FUNCTION_WORDS.items()
    }


def _vote(counts: dict[str, int], minimum: int = 2, dominance: float = 1.5) -> str | None:
    """hu, en or de when that language's function words dominate, else None.

    With a high minimum and dominance the vote is decisive on its own, which
    spares langdetect (the slowest step of classification) for the ordinary
    message; anything less clear still goes to langdetect. German is counted
    so that its own words outvote the few it shares with the others
    (a .de domain is Hungarian "de", "in" and "an" are English).
    """
    for language, count in counts.items():
        rival = max(other for name, other in counts.items() if name != language)
        if count >= minimum and count > dominance * rival:
            return language
    return None
