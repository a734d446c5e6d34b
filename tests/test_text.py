"""The search normaliser: what people type and what is stored fold to the same spelling."""

import pytest

from musanada.core.text import MAX_TERMS, more_words, normalize, search_document, search_words


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("ادخال النقط", "إدخال النقط"),  # hamza under alef
        ("اعادة", "إعادة"),
        ("امتحان", "أمتحان"),  # hamza over alef
        ("امنه", "آمنة"),  # madda, ta marbuta
        ("الله", "ٱلله"),  # alef wasla
        ("مستشفي", "مستشفى"),  # alef maqsura
        ("مسوول", "مسؤول"),  # waw with hamza
        ("رييس", "رئيس"),  # yeh with hamza
        ("معلم", "مُعَلِّم"),  # tashkeel
        ("كتاب", "كـــتاب"),  # tatweel
        ("reinitialisation", "Réinitialisation"),  # French accents
        ("ecole", "ÉCOLE"),  # case and accent
        ("msn-2026-000123", "MSN-٢٠٢٦-٠٠٠١٢٣"),  # Arabic-Indic digits
        ("مسار", "مس\u200fار"),  # a right-to-left mark inside the word
        ("مسار", "\u200eمسار\u200f"),  # marks around it, as bidi-aware editors add them
        ("النقط", "ال\u200dنقط"),  # zero-width joiner
        ("التلاميذ", "الت\u200cلاميذ"),  # zero-width non-joiner
        ("مسار", "\u061cمسار"),  # Arabic letter mark
        ("motdepasse", "mot\u00addepasse"),  # soft hyphen
        ("massar", "\ufeffmas\u200bsar"),  # byte-order mark, zero-width space
    ],
)
def test_typed_and_stored_spellings_fold_to_the_same_text(typed, stored):
    assert normalize(typed) == normalize(stored)


def test_folding_keeps_plain_letters_and_collapses_spaces():
    assert normalize("  Massar   النقط\tالمراقبة \n") == "massar النقط المراقبه"
    assert normalize("") == "" and normalize(None) == ""


def test_folding_is_idempotent():
    text = "إدخالُ النقطِ في مَسار — Réinitialisation ٢٠٢٦"
    assert normalize(normalize(text)) == normalize(text)


def test_the_search_document_joins_the_folded_parts_and_skips_empty_ones():
    assert search_document("إدخال النقط", "", "MSN-2026-000001") == "ادخال النقط msn-2026-000001"


def test_a_query_looks_for_its_words_without_punctuation_articles_or_repeats():
    assert search_words("«النقط»، (Massar) massar والنقط") == ["نقط", "massar"]
    assert search_words(" ... ") == []


def test_a_query_drops_words_too_common_to_tell_unless_nothing_else_was_typed():
    assert search_words("je ne peux pas saisir les notes de l'élève") == ["saisir", "notes", "eleve"]
    assert search_words("لا أستطيع الدخول إلى مسار") == ["استطيع", "دخول", "مسار"]
    assert search_words("Massar 6 A") == ["massar", "6"]
    assert search_words("pas de") == ["pas", "de"]


def test_a_long_query_keeps_its_first_words_only():
    words = [f"mot{n}" for n in range(MAX_TERMS + 5)]
    assert search_words(" ".join(words)) == words[:MAX_TERMS]


def test_words_added_to_a_record_stop_at_a_words_end_within_the_limit():
    document = more_words("", "Saisie des notes", limit=100)
    assert document == " saisie des notes "
    assert more_words(document, "Réponse : relevé", limit=100) == " saisie des notes reponse releve "
    assert more_words(document, "relevé définitif", limit=27) == " saisie des notes releve "
    assert more_words(document, "", limit=100) == document
