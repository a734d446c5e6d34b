"""Bulk actions in the list, as an agent does them: check requests (or the whole page), choose the action, and
see what was done."""

from musanada.tickets.models import Ticket
from musanada.tickets.workflow import Status
from tests.browser.helpers import expect
from tests.helpers import file_request


def test_an_agent_selects_the_page_and_resolves_it_in_one_go(site, people):
    tickets = [file_request(people["teacher"]) for _ in range(3)]
    head = site.sign_in("head")
    head.goto(site.url("home") + "?tab=desk")
    bar = head.locator(".bulk-bar")
    expect(bar).to_be_hidden()

    head.locator("input[data-select-all]").check()
    expect(head.locator("input[name=tickets]:checked")).to_have_count(3)
    expect(bar).to_be_visible()
    expect(bar.locator("#bulk-assignee")).to_be_hidden()
    head.locator("input[name=tickets]").first.uncheck()
    expect(head.locator("input[data-select-all]")).to_have_js_property("indeterminate", True)
    head.locator("input[name=tickets]").first.check()
    bar.locator("#bulk-action").select_option("resolve")
    bar.locator("#bulk-text").fill("Le service Massar est rétabli.")
    site.shoot(head, "bulk-resolve")
    with head.expect_navigation():
        bar.locator("button[type=submit]").click()

    expect(head.locator("#messages .success")).to_contain_text("3")
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list("status", flat=True)) == {
        Status.RESOLVED
    }
