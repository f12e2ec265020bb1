"""Pages of a long list: which page the query asks for, and the links to its neighbours."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

PAGE_SIZE = 50
LAST_PAGE = 10**9  # times any page size, well within a 64-bit offset


@dataclass(frozen=True)
class Pager:
    """Page ``page`` of ``pages`` over ``total`` items, with links that keep the filters."""

    page: int
    pages: int
    total: int
    size: int
    previous: str | None
    next: str | None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def first(self) -> int:
        """The 1-based number of the page's first item (0 when there is none)."""
        return self.offset + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)


def requested_page(request: Request) -> int:
    """The ``page`` query parameter; anything but a positive whole number means the first.
    A number past any list is the last page (the pager clamps it), and is kept small enough
    that its offset fits the store's integers."""
    return page_number(request.query_params.get("page", "1"))


def page_number(text: str) -> int:
    """``text`` as a page number: 1 unless a positive whole number, at most ``LAST_PAGE``."""
    if not text.isascii() or not text.isdigit():
        return 1
    return min(max(int(text[:12]), 1), LAST_PAGE)


def pager(request: Request, total: int, page: int, size: int = PAGE_SIZE) -> Pager:
    """The pager for ``page`` (clamped to the last page) of ``total`` items."""
    pages = max(1, -(-total // size))
    page = min(page, pages)

    def link(number: int) -> str:
        return request.url.path + "?" + str(request.url.include_query_params(page=number).query)

    return Pager(
        page=page,
        pages=pages,
        total=total,
        size=size,
        previous=link(page - 1) if page > 1 else None,
        next=link(page + 1) if page < pages else None,
    )
