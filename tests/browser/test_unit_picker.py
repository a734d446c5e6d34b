"""The unit filter suggests units by name or code as one types, and narrows the list to the one chosen."""

from tests.browser.helpers import expect
from tests.helpers import file_request


def test_typing_part_of_a_schools_name_suggests_it_with_its_province(site, people):
    ticket = file_request(people["teacher"])
    supervisor = site.sign_in("supervisor")
    supervisor.goto(site.url("home") + "?tab=subtree")
    supervisor.locator(".more-filters summary").click()

    supervisor.locator("#id_unit").press_sequentially("Ibn Bat", delay=30)

    option = supervisor.locator("#unit-options option[value='01001A']")
    expect(option).to_have_count(1)
    assert "Tanger-Assilah" in option.get_attribute("label") or "طنجة أصيلة" in option.get_attribute("label")
    # The list itself was not replaced by the suggestions' request, nor the address changed.
    assert "unit" not in supervisor.url
    supervisor.locator("#id_unit").fill("01001A")
    with supervisor.expect_response(lambda response: "unit=01001A" in response.url):
        supervisor.locator(".filter-buttons button[type=submit]").click()
    expect(supervisor.locator(".chips")).to_contain_text("01001A")
    expect(supervisor.locator(f"a.ref:text('{ticket.reference}')")).to_have_count(1)
