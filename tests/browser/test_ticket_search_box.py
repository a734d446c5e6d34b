"""The inbox's search box, in Arabic and in French: whole words of the conversation, best match first, and
never a word of an internal note for the requester."""

import pytest
from django.utils import translation

from musanada.tickets import services
from musanada.tickets.selectors import Sort
from tests.browser.helpers import expect
from tests.helpers import file_request

# What the teacher writes and what the school answers, in each language: the word looked for is in the
# first request's subject, in the second one's description only (filed later), and in a third one's reply.
TEXTS = {
    "ar": {
        "word": "الطابعة",
        "in_subject": "الطابعة لا تطبع بيانات التلاميذ",
        "in_description": "تعذر استخراج اللوائح لأن الطابعة معطلة.",
        "reply": "يرجى إعادة تشغيل الطابعة ثم المحاولة من جديد.",
        "note": "الموزع معطل منذ الصباح.",
        "note_word": "الموزع",
        "inside": "ابعة",  # inside "الطابعة": not the start of a word
    },
    "fr": {
        "word": "imprimante",
        "in_subject": "Imprimante en panne au secrétariat",
        "in_description": "Impossible d'éditer les listes : l'imprimante ne répond plus.",
        "reply": "Redémarrez l'imprimante puis réessayez.",
        "note": "Le serveur d'impression est arrêté depuis ce matin.",
        "note_word": "serveur",
        "inside": "primante",  # inside "imprimante": not the start of a word
    },
}


def search(page, words: str):
    """Type `words` in the inbox's search box and submit; the references listed, in order."""
    page.goto("/?tab=all")
    box = page.locator("#inbox-filters [name=q]")
    box.fill(words)
    with page.expect_navigation():
        page.locator("#inbox-filters .search-row button[type=submit]").click()
    expect(page.locator("#inbox-filters [name=q]")).to_have_value(words)
    return page.locator(".inbox-table a.ref")


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_the_search_box_finds_whole_words_best_match_first(site, people, language):
    text = TEXTS[language]
    in_subject = file_request(people["teacher"], subject=text["in_subject"])
    in_description = file_request(people["teacher"], description=text["in_description"])
    answered = file_request(people["teacher"])
    services.ticket_take(people["head"], answered)
    services.ticket_reply(people["head"], answered, body=text["reply"])
    services.ticket_note(people["head"], answered, body=text["note"])

    teacher = site.session_for("teacher", language=language)
    found = search(teacher, text["word"])
    # The subject match first, then the others by last activity (the reply is the latest).
    expect(found).to_have_text([in_subject.reference, answered.reference, in_description.reference])
    with translation.override(language):
        best = str(Sort.RELEVANCE.label)
    expect(teacher.locator("#inbox-filters [name=sort] option").first).to_have_text(best)
    site.shoot(teacher, "inbox-search")
    # A word of the internal note finds nothing for the requester; the school's desk finds the request.
    expect(search(teacher, text["note_word"])).to_have_count(0)
    expect(teacher.locator(".empty")).to_be_visible()
    head = site.session_for("head", language=language)
    expect(search(head, text["note_word"])).to_have_text([answered.reference])
    # Letters inside a word are not a word.
    expect(search(teacher, text["inside"])).to_have_count(0)
