"""Language of the sender's own new text: `hu`, `en`, another ISO code, or `und`.

langdetect is seeded so the same text always gets the same answer. Hungarian
typed without accents often fools it (into Finnish, Estonian, Indonesian...),
so a small vote of very common function words, compared accent-free, can
overrule it for Hungarian and English.
"""

from __future__ import annotations

import re
import threading
import unicodedata

from langdetect import DetectorFactory, LangDetectException, detect_langs

UNDETERMINED = "und"
_MIN_LETTERS = 12
_LOCK = threading.Lock()
DetectorFactory.seed = 0

_HUNGARIAN_WORDS = frozenset(
    [
        "a",
        "az",
        "es",
        "hogy",
        "nem",
        "is",
        "de",
        "meg",
        "mar",
        "csak",
        "van",
        "vagy",
        "ha",
        "kerem",
        "kerjuk",
        "szeretnem",
        "szeretnek",
        "koszonom",
        "koszi",
        "udv",
        "udvozlettel",
        "tisztelt",
        "tisztelettel",
        "jo",
        "napot",
        "szia",
        "sziasztok",
        "hello",
        "adataimat",
        "adataim",
        "adatokat",
        "adatot",
        "szemelyes",
        "torolni",
        "toroljek",
        "torlesere",
        "kerem",
        "mert",
        "ami",
        "amit",
        "akkor",
        "igen",
        "ezt",
        "azt",
        "egy",
        "el",
        "ki",
        "be",
        "fel",
        "le",
        "mi",
        "mit",
        "hol",
        "mikor",
        "meddig",
        "kinek",
        "nekem",
        "rolam",
        "velem",
        "tolem",
        "mar",
        "rendben",
        "hatarido",
        "tarhely",
        "szamla",
        "szamlat",
        "jelszo",
        "ugyfel",
        "valamint",
        "tovabba",
        "illetve",
        "alapjan",
        "szerint",
        "kapcsolatban",
        "ugyben",
        "cegunk",
    ]
)
_ENGLISH_WORDS = frozenset(
    [
        "the",
        "and",
        "to",
        "of",
        "a",
        "an",
        "is",
        "are",
        "was",
        "be",
        "my",
        "me",
        "i",
        "you",
        "your",
        "we",
        "our",
        "please",
        "thanks",
        "thank",
        "would",
        "like",
        "could",
        "can",
        "do",
        "does",
        "what",
        "which",
        "who",
        "how",
        "when",
        "data",
        "personal",
        "delete",
        "request",
        "regards",
        "dear",
        "hello",
        "hi",
        "with",
        "for",
        "from",
        "this",
        "that",
        "have",
        "has",
        "not",
        "about",
        "on",
        "in",
        "it",
    ]
)
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(subject: str, body: str) -> str:
    """The language of subject and new text, with a fallback for short texts."""
    text = f"{subject}\n{body}".strip()
    if sum(ch.isalpha() for ch in text) < _MIN_LETTERS:
        return _vote(text) or UNDETERMINED
    decisive = _vote(text, minimum=4, dominance=3.0)
    if decisive:
        return decisive
    guess = _langdetect(body) if sum(ch.isalpha() for ch in body) >= 40 else None
    if guess is None:
        guess = _langdetect(text)
    voted = _vote(text)
    if voted and guess not in ("hu", "en"):
        return voted
    return guess or voted or UNDETERMINED


def _langdetect(text: str) -> str | None:
    with _LOCK:
        try:
            candidates = detect_langs(text)
        except LangDetectException:
            return None
    return candidates[0].lang if candidates else None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _vote(text: str, minimum: int = 2, dominance: float = 1.5) -> str | None:
    """hu or en when their function words dominate, else None.

    With a high minimum and dominance the vote is decisive on its own, which
    spares langdetect (the slowest step of classification) for the ordinary
    Hungarian or English message; anything less clear still goes to langdetect.
    """
    words = _WORD.findall(_fold(text))
    if not words:
        return None
    hungarian = sum(word in _HUNGARIAN_WORDS for word in words)
    english = sum(word in _ENGLISH_WORDS for word in words)
    if hungarian >= minimum and hungarian > dominance * english:
        return "hu"
    if english >= minimum and english > dominance * hungarian:
        return "en"
    return None
