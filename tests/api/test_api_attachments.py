"""Files over the API: uploaded with the same checks as the web, downloaded only by who may see them."""

from django.core.files.uploadedfile import SimpleUploadedFile

from musanada.tickets import services
from tests.helpers import file_request

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_requester_uploads_a_file_and_the_desk_downloads_it(api, people):
    ticket = file_request(people["teacher"])
    uploaded = api["teacher"].upload(
        f"/tickets/{ticket.reference}/attachments", [SimpleUploadedFile("ecran.png", PNG, "image/png")]
    )
    assert uploaded.status_code == 200, uploaded.content
    event = uploaded.json()["events"][-1]
    assert event["kind"] == "attachment_added"
    (attachment,) = event["attachments"]
    assert attachment["name"] == "ecran.png" and attachment["content_type"] == "image/png"

    url = attachment["url"]
    assert url.startswith(f"/api/v1/tickets/{ticket.reference}/attachments/")
    downloaded = api["head"].client.get(url, headers=api["head"].headers)
    assert downloaded.status_code == 200 and b"".join(downloaded.streaming_content) == PNG
    assert downloaded["Cache-Control"] == "private, no-store"

    hidden = api["outsider"].client.get(url, headers=api["outsider"].headers)
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"


def test_a_disguised_file_is_refused_and_nothing_is_added(api, people):
    ticket = file_request(people["teacher"])
    refused = api["teacher"].upload(
        f"/tickets/{ticket.reference}/attachments", [SimpleUploadedFile("rapport.pdf", b"MZ\x90\x00binary")]
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "attachments"
    assert not ticket.attachments.exists()


def test_files_of_an_internal_note_are_not_served_to_the_requester(api, people):
    ticket = file_request(people["teacher"])
    services.ticket_note(
        people["head"], ticket, body="capture interne", files=[SimpleUploadedFile("interne.png", PNG)]
    )
    token = ticket.attachments.get().token
    url = f"/api/v1/tickets/{ticket.reference}/attachments/{token}"
    assert api["head"].client.get(url, headers=api["head"].headers).status_code == 200
    assert api["teacher"].client.get(url, headers=api["teacher"].headers).status_code == 404
