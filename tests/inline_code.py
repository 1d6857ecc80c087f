"""Find what a Content-Security-Policy without 'unsafe-inline' would refuse in a page's HTML."""

from __future__ import annotations

from html.parser import HTMLParser

DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class _InlineCodeFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        line = self.getpos()[0]
        if tag == "script" and not attributes.get("src") and attributes.get("type") not in DATA_SCRIPT_TYPES:
            self.problems.append(f"line {line}: inline <script>")
        if tag == "style":
            self.problems.append(f"line {line}: <style> element")
        if "style" in attributes:
            self.problems.append(f"line {line}: style attribute on <{tag}>")
        for name, value in attributes.items():
            if name.startswith("on"):
                self.problems.append(f"line {line}: {name} handler on <{tag}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"line {line}: javascript: URL on <{tag}>")


def inline_code(html: str) -> list[str]:
    """Each inline script, style element, style attribute, event handler or javascript: URL, with its line."""
    finder = _InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems
