"""What a search of past incidents asks for: the query the search box, the
history badge and `calmline incidents search` build, and the store answers."""

from __future__ import annotations

from dataclasses import dataclass

MAX_TEXT = 500  # characters of search text
MAX_TERMS = 16  # words and number fragments; each is one more MATCH


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    # One caller: incidents with this exact number, or with this exact reference.
    caller_number: str = ""
    customer_ref: str = ""
    category: str = ""  # exact, any case
    best_practice: bool = False  # only incidents whose solution is marked as one to reuse
    exclude_id: str = ""  # e.g. the call in progress, when looking at its caller's history
    limit: int = 50

    def problem(self) -> str | None:
        """Why part of the text would not be searched, with the fix; else None."""
        if len(self.text) > MAX_TEXT:
            return (
                f"search text is too long ({len(self.text)} characters, at most {MAX_TEXT}) "
                "— search for a few words or a number"
            )
        if len(self.text.split()) > MAX_TERMS:
            return (
                f"{len(self.text.split())} words to search for, at most {MAX_TERMS} "
                "— search for the few that matter"
            )
        return None
