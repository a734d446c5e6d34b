"""Text normalised for search (what is indexed and what is typed go through the same function), and text
made safe to echo.

People type Arabic with or without hamza, with a bare alef for أ/إ/آ, with ه for ة and ي for ى, with or
without diacritics and tatweel; French with or without accents; Latin in any case. Both sides of a search
are folded to one spelling so that these variants match each other.
"""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

from musanada.core.errors import ErrorCode, InvalidInput

# Letters that have no Unicode decomposition to a plain form: mapped by hand.
_LETTERS = str.maketrans(
    {
        "\u0671": "\u0627",  # ٱ alef wasla → ا
        "\u0629": "\u0647",  # ة ta marbuta → ه
        "\u0649": "\u064a",  # ى alef maqsura → ي
        "\u06cc": "\u064a",  # ی Persian yeh (keyboards in the wild) → ي
        "\u06a9": "\u0643",  # ک Persian kaf → ك
        "\u0640": None,  # ـ tatweel: stretches a word, means nothing
        # Arabic-Indic digits, so that a reference typed on an Arabic keyboard still matches.
        **{chr(0x0660 + n): str(n) for n in range(10)},
        **{chr(0x06F0 + n): str(n) for n in range(10)},
    }
)
_SPACES = re.compile(r"\s+")
MAX_TERMS = 10


def normalize(text: str) -> str:
    """Fold `text` to its search spelling: lower case, no accents or tashkeel, no invisible marks, one form
    per Arabic letter.

    Decomposition (NFKD) turns أ إ آ ؤ ئ into their base letter plus a combining hamza or madda, and é into
    e plus an accent; dropping every combining mark then removes those, the tashkeel and the accents at once.
    """
    if not text:
        return ""
    folded = unicodedata.normalize("NFKD", text.casefold())
    # Combining marks go, and so do the invisible format characters (category Cf: the marks LRM, RLM and
    # ALM, zero-width joiners and spaces, the byte-order mark, soft hyphens) that keyboards and copied text
    # leave inside words: "مسار" typed with a right-to-left mark in it is still "مسار".
    bare = "".join(
        char for char in folded if not unicodedata.combining(char) and unicodedata.category(char) != "Cf"
    )
    return _SPACES.sub(" ", bare.translate(_LETTERS)).strip()


def search_document(*parts: str) -> str:
    """The indexed text of a record: its parts normalised, one space apart."""
    return " ".join(normal for normal in (normalize(part) for part in parts) if normal)


# Whole-word search (tickets and help articles): words are runs of letters and digits; everything else
# separates them.
_NON_WORD = re.compile(r"[\W_]+")

# The Arabic definite article, alone or after the conjunctions and prepositions written in one word with it
# (و ب ف ك, and لل for ل + ال): "المسار", "والمسار", "بالمسار" and "للمسار" are all the word "مسار".
_ARABIC_ARTICLE = re.compile(r"^(?:[وبفك]?ال|لل)(?=\w\w)")


def _word(word: str) -> str:
    return _ARABIC_ARTICLE.sub("", word)


# Words too common to tell one request from another (folded like everything else): a typed request is matched
# by what it is about, not by "je", "ne", "pas" or "في". Only the suggestions drop them (`telling_terms`).
_STOPWORDS = """
    a au aux avec ce ces cette dans de des du elle en est et il je j la le les leur l ma mais me mes mon
    ne nous on ou par pas plus pour qu que qui sa se ses son sur ta te tes ton tu un une vous y d n s c t
    ai as avons avez ont suis sont etre avoir fait faire peux peut veux bonjour merci svp cela ca tres
    the an and are be but by for from has have i in is it my not of on or that this to was with we you
    في من على الى عن مع هذا هذه ذلك التي الذي هو هي انا نحن انتم لا لم لن ما ماذا كيف هل قد كان
    او ثم كل بعد قبل عند لقد ان اني لي له لها بها به فيه فيها وقد ولا السلام عليكم شكرا
"""
STOPWORDS = frozenset(_word(normalize(word)) for word in _STOPWORDS.split())


def word_document(*parts: str) -> str:
    """The indexed text of a record for whole-word search: its parts folded (`normalize`), punctuation
    turned to spaces, the Arabic article taken off each word, and one space at each end, so that " word"
    finds a word's start and never the inside of another ("eleve" is not found in "releve")."""
    words = " ".join(_word(word) for word in _NON_WORD.sub(" ", search_document(*parts)).split())
    return f" {words} " if words else ""


def word_terms(query: str, *, limit: int = MAX_TERMS) -> list[str]:
    """The words of a typed query for whole-word search, as `word_document` makes them (so "l'élève" is the
    words "l" and "eleve", "المسار" is "مسار"), without repeats, at most `limit`."""
    terms: list[str] = []
    for word in map(_word, _NON_WORD.sub(" ", normalize(query)).split()):
        if word not in terms:
            terms.append(word)
    return terms[:limit]


def telling_terms(text: str, *, limit: int = 12) -> list[str]:
    """The words of a text that say what it is about: `word_terms` without STOPWORDS and single letters
    (what a request being typed is matched on)."""
    words = [word for word in word_terms(text, limit=200) if len(word) > 1 and word not in STOPWORDS]
    return words[:limit]


def search_words(query: str) -> list[str]:
    """The words a typed search looks for (tickets and help articles alike): `word_terms` without the words
    too common to tell one record from another (STOPWORDS, single letters; a lone digit stays), unless the
    query holds nothing else; at most MAX_TERMS."""
    words = word_terms(query, limit=200)
    telling = [word for word in words if (len(word) > 1 or word.isdigit()) and word not in STOPWORDS]
    return (telling or words)[:MAX_TERMS]


def more_words(document: str, *texts: str, limit: int) -> str:
    """`document` (a `word_document`) followed by the words of `texts`, cut at the end of a word so as to
    stay within `limit` characters (a record's words past that are not searched)."""
    added = word_document(*texts)
    if not added:
        return document
    joined = document.rstrip() + added if document else added
    if len(joined) <= limit:
        return joined
    cut = joined.rfind(" ", 0, limit)
    return joined[: cut + 1] if cut > 0 else document


def word_start(term: str) -> str:
    """What a `word_document` holds where a word starts with `term`: its `contains` condition."""
    return f" {term}"


# Bidirectional embeddings, overrides and isolates (U+202A–202E, U+2066–2069): a right-to-left override in a
# file name shows "gpj.exe" as "exe.jpg". The marks LRM and RLM (U+200E, U+200F) stay: Arabic text needs them
# and they reorder nothing around them.
_BIDI_CONTROLS = {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _echoable(char: str) -> bool:
    return ord(char) not in _BIDI_CONTROLS and unicodedata.category(char) != "Cc"


def plain_line(text: str) -> str:
    """One line a person wrote (a subject, a name, a file name), safe to echo: no bidi controls, no control
    characters (a line end or a tab becomes a space), spaces collapsed."""
    spaced = "".join(" " if char in "\t\r\n" else char for char in text or "")
    return _SPACES.sub(" ", "".join(char for char in spaced if _echoable(char))).strip()


def plain_text(text: str) -> str:
    """A text a person wrote (a description, a reply), safe to echo: no bidi controls, no control characters
    but line ends and tabs."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(char for char in text if char in "\n\t" or _echoable(char))


def required_text(value, field: str, message, *, max_length: int, line: bool = False) -> str:
    """What a person wrote for a required field, safe to echo (`plain_line` for one line, else `plain_text`),
    or InvalidInput: `message` when it is empty, "too long" past `max_length` characters."""
    value = plain_line(value or "") if line else plain_text(value or "").strip()
    if not value:
        raise InvalidInput(message, code=ErrorCode.REQUIRED, field=field)
    if len(value) > max_length:
        raise InvalidInput(
            _("This text is too long (%(max)s characters at most)."),
            code=ErrorCode.TOO_LONG,
            field=field,
            params={"max": max_length},
        )
    return value


# FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE: the plain-text counterpart of HTML's <bdi>.
_ISOLATE, _POP = "\u2068", "\u2069"


def isolated(text: str) -> str:
    """What a person wrote (a name, a subject, a unit), set inside a sentence of a plain-text mail: it keeps
    its own direction, so an Arabic name in a French sentence (or "Massar 6A" in an Arabic one) does not
    pull the words around it out of order. Mail readers that ignore the marks show the text unchanged."""
    return f"{_ISOLATE}{text}{_POP}" if text else text
