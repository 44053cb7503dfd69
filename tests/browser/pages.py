"""What the browser tests do in a page again and again: log in as a person would, and save a screenshot."""
from pathlib import Path

from tests.processes import ROOT

SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "drawing-reference"


def log_in(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def shoot(page, name: str, full_page: bool = True) -> Path:
    """Save the page as docs/screenshots/<name>.png (the README shows these)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
