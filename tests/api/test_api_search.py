"""Keyword search over the API: the web inbox's search, with the same words, order and visibility."""

from tests.helpers import file_request


def test_the_api_lists_what_the_words_find_best_match_first(api, people):
    teacher = people["teacher"]
    in_subject = file_request(teacher, subject="Imprimante en panne")
    in_description = file_request(teacher, description="L'imprimante ne répond plus.")
    body = api["teacher"].get("/tickets", {"q": "imprimante"}).json()
    assert [item["reference"] for item in body["items"]] == [in_subject.reference, in_description.reference]
    by_activity = api["teacher"].get("/tickets", {"q": "imprimante", "sort": "activity"}).json()
    assert [item["reference"] for item in by_activity["items"]][0] == in_description.reference
    assert api["outsider"].get("/tickets", {"q": "imprimante"}).json()["items"] == []
    refused = api["teacher"].get("/tickets", {"q": "imprimante", "sort": "pertinence"})
    assert refused.status_code == 422
