"""The built-in extractive system: BM25 over the sentences of a case's sources, no model.

It is the honest baseline every pilot starts with, and it is deterministic: the same request
gives the same output byte for byte. How it answers:

1. Each source is split into units: the sentences of each line, where a Markdown bullet or list
   marker and leading/trailing HTML tags are left out of the unit, and Markdown headings are not
   units at all (a heading names a topic; it does not answer anything). Every unit keeps its
   character offsets into the original source text.
2. Units and the question are tokenised: lower case, words of letters and digits, a small English
   stopword list, a light suffix stemmer.
3. Units are scored with BM25 (k1=1.2, b=0.75), IDF taken over all units of the case's sources.
4. The best unit is the answer's first claim. Up to `top_k - 1` more units join it when they
   score at least 0.8 × the best (from any source; identical text is taken once). The chosen
   units are given in source order, then offset, so the answer reads in document order.
5. If the best score is below `retrieval.min_score` (or is zero), the system abstains.

Ties are broken by source order, then offset.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pilot.core.models import (
    Citation,
    RetrievalSettings,
    SystemConfig,
    SystemOutput,
    SystemRequest,
)
from pilot.runs.systems.connection import Connection

OFFLINE_MODEL = "offline-bm25-v1"
ABSTAIN_ANSWER = "I can't find this in the provided documents."
K1 = 1.2
B = 0.75
RELATIVE_CUTOFF = 0.8

_ABBREVIATION_TEXT = """
e.g i.e etc mr mrs ms dr prof st no nos vs approx inc ltd co jr sr fig art sec para ch vol pp p
cf al
"""
_STOPWORD_TEXT = """
a about above after again all am an and any are as at be been before being below between
both but by can could did do does doing down during each few for from further had has have
having he her here hers him his how i if in into is it its itself just me more most my no
nor not of off on once only or other our ours out over own same she should so some such than
that the their them then there these they this those through to too under until up very was
we were what when where which while who whom why will with would you your yours re ve ll
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_LINE = re.compile(r"[^\n]+")
_HEADING = re.compile(r"\s{0,3}#{1,6}(?:\s|$)")
_LIST_MARKER = re.compile(r"\s*(?:[-*+•‣◦▪●–—]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+")
_LEADING_TAGS = re.compile(r"\s*(?:<[^<>\n]*>\s*)+")
_TRAILING_TAGS = re.compile(r"(?:\s*<[^<>\n]*>)+$")
_SENTENCE_END = re.compile(r"[.!?…。！？]+[\"'”’»)\]]*(?=\s)")
_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_CJK_RUNS = re.compile(f"{_CJK.pattern}+|[^{_CJK.pattern[1:-1]}]+")
_ALNUM = re.compile(r"\w")
_NEXT_CHAR = re.compile(r"\s*(\S)")
_LAST_WORD = re.compile(r"(\w+(?:\.\w+)*)$")
_ABBREVIATIONS = frozenset(_ABBREVIATION_TEXT.split())


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans `(start, end)` of the sentences and list items of `text`, headings left out.

    Each span is trimmed of surrounding whitespace, list markers and HTML tags, so
    `text[start:end]` is exactly the sentence as it appears in `text`.
    """
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        start, end = line.span()
        if _HEADING.match(text, start, end):
            continue
        for prefix in (_LEADING_TAGS, _LIST_MARKER):
            match = prefix.match(text, start, end)
            if match:
                start = match.end()
        while end > start and text[end - 1].isspace():
            end -= 1
        trailing = text.endswith(">", start, end) and _TRAILING_TAGS.search(text, start, end)
        if trailing:
            end = trailing.start()
        spans.extend(_split_line(text, start, end))
    return spans


def _split_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    piece = start
    for match in _SENTENCE_END.finditer(text, start, end):
        cut = match.end()
        following = _NEXT_CHAR.match(text, cut, end)
        if not following or following.group(1).islower():
            continue
        before = text[max(piece, cut - 24) : match.start()]
        if match.group()[0] == "." and _is_abbreviation(before):
            continue
        if text[piece : match.start()].strip().isdigit():  # "2. Book it": an inline list number
            continue
        spans.append((piece, cut))
        piece = cut
    spans.append((piece, end))
    return [trimmed for span in spans if (trimmed := _trim(text, *span))]


def _is_abbreviation(before: str) -> bool:
    word = _LAST_WORD.search(before)
    if not word:
        return False
    token = word.group(1).lower()
    if "." in token:  # "U.K.", "e.g." but not "2.5."
        return not token.replace(".", "").isdigit()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if not _ALNUM.search(text, start, end):
        return None
    return start, end


def stem(word: str) -> str:
    """A light suffix stemmer: plurals, then one common ending, then a doubled consonant, a final
    "e" or a final "y". Conflates "adopt/adopted/adopting/adoption/adopter",
    "house/houses/housing" and "apply/applies/applied"; it is not Porter and need not be, as long
    as questions and sources are stemmed alike."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses") or (
        word.endswith("es") and word[:-2].endswith(("sh", "ch", "x", "z"))
    ):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            if not replacement and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    elif len(word) > 3 and word.endswith("y"):
        word = word[:-1] + "i"
    return word


_SUFFIXES = (
    ("ational", "ate"),
    ("ations", ""),
    ("ation", ""),
    ("ments", ""),
    ("ment", ""),
    ("ness", ""),
    ("ingly", ""),
    ("ing", ""),
    ("ions", ""),
    ("ion", ""),
    ("edly", ""),
    ("ied", "y"),
    ("ed", ""),
    ("ers", ""),
    ("er", ""),
)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed words without stopwords; single letters dropped, digits kept.
    Chinese, Japanese and Korean runs, written without spaces, become character bigrams."""
    terms = []
    for word in _WORD.findall(text.lower()):
        term = _TERMS.get(word)
        if term is None:
            if len(_TERMS) > 200_000:
                _TERMS.clear()
            if not word.isascii() and _CJK.search(word):
                terms.extend(_cjk_terms(word))
                continue
            keep = word not in STOPWORDS and (len(word) > 1 or word.isdigit())
            term = _TERMS[word] = stem(word) if keep else ""
        if term:
            terms.append(term)
    return terms


def _cjk_terms(word: str) -> list[str]:
    terms = []
    for run in _CJK_RUNS.findall(word):
        if _CJK.match(run):
            terms.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
        else:
            terms.extend(tokenize(run))
    return terms


_TERMS: dict[str, str] = {}  # word -> term ("" for a dropped word): tokenising is the hot path


@dataclass(frozen=True, slots=True)
class _Unit:
    start: int
    end: int
    terms: dict[str, int]
    length: int


@lru_cache(maxsize=512)
def _units(text: str) -> tuple[_Unit, ...]:
    """Sources repeat across a golden set's cases, so their analysis is cached by text."""
    units = []
    for start, end in split_sentences(text):
        tokens = tokenize(text[start:end])
        units.append(_Unit(start, end, dict(Counter(tokens)), len(tokens)))
    return tuple(units)


def bm25_rank(question: str, texts: list[str]) -> list[tuple[float, int, _Unit]]:
    """All units of `texts` as `(score, text_index, unit)`, best first, ties by text then offset."""
    query = sorted(set(tokenize(question)))  # a fixed order: float sums must not vary by run
    candidates = [(index, unit) for index, text in enumerate(texts) for unit in _units(text)]
    if not candidates or not query:
        return [(0.0, index, unit) for index, unit in candidates]
    count = len(candidates)
    average = sum(unit.length for _, unit in candidates) / count or 1.0
    frequency = Counter(term for _, unit in candidates for term in query if term in unit.terms)
    idf = {
        term: math.log(1 + (count - frequency[term] + 0.5) / (frequency[term] + 0.5))
        for term in query
    }
    ranked = []
    for index, unit in candidates:
        norm = K1 * (1 - B + B * unit.length / average)
        score = 0.0
        for term in query:
            tf = unit.terms.get(term)
            if tf:
                score += idf[term] * tf * (K1 + 1) / (tf + norm)
        ranked.append((score, index, unit))
    ranked.sort(key=lambda item: (-item[0], item[1], item[2].start))
    return ranked


class OfflineSystem:
    """Deterministic extractive answerer; see the module docstring for the rules."""

    KIND = "offline"
    LABEL = "offline: the built-in extractive baseline (no key needed)"
    DEFAULT_MODEL = OFFLINE_MODEL
    NEEDS_KEY = False
    SUPPORTS_BATCH = False
    FIELDS: tuple[str, ...] = ()

    def __init__(self, config: SystemConfig) -> None:
        self.config = config

    @classmethod
    def build_config(
        cls, *, model: str | None, target: str | None, prompt: str, retrieval: RetrievalSettings
    ) -> SystemConfig:
        """Only retrieval varies: the offline system has no model, prompt or target."""
        return SystemConfig(retrieval=retrieval)

    @staticmethod
    def payload(config: SystemConfig, request: SystemRequest) -> dict[str, Any]:
        return request.model_dump(mode="json")

    @classmethod
    def create(cls, config: SystemConfig, connection: Connection) -> OfflineSystem:
        return cls(config)

    async def answer(self, request: SystemRequest) -> SystemOutput:
        return self.answer_sync(request)

    def answer_sync(self, request: SystemRequest) -> SystemOutput:
        texts = [source.text for source in request.sources]
        ranked = bm25_rank(request.question, texts)
        best = ranked[0][0] if ranked else 0.0
        if best <= 0 or best < self.config.retrieval.min_score:
            return SystemOutput(answer=ABSTAIN_ANSWER, abstained=True, model=OFFLINE_MODEL)
        chosen: list[tuple[int, _Unit]] = []
        seen: set[str] = set()
        for score, index, unit in ranked:
            if len(chosen) >= max(1, self.config.retrieval.top_k) or score < RELATIVE_CUTOFF * best:
                break
            sentence = texts[index][unit.start : unit.end]
            if sentence not in seen:
                seen.add(sentence)
                chosen.append((index, unit))
        chosen.sort(key=lambda item: (item[0], item[1].start))
        claims = tuple(texts[index][unit.start : unit.end] for index, unit in chosen)
        citations = tuple(
            Citation(
                source_id=request.sources[index].id,
                cited_text=claims[claim],
                start=unit.start,
                end=unit.end,
                claim=claim,
            )
            for claim, (index, unit) in enumerate(chosen)
        )
        return SystemOutput(
            answer=" ".join(claims), claims=claims, citations=citations, model=OFFLINE_MODEL
        )
