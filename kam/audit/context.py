"""Who is acting, through which interface: set once where a request or command enters
(the middleware, the API's token check, the command line) and read by every entry written
while it runs. A context variable, so threads and requests never see each other's actor."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from kam.audit.choices import Interface


@dataclass(frozen=True)
class Acting:
    interface: Interface
    who: Callable[[], Any]
    """Returns the acting user (or None): resolved when an entry is written, so a user known
    only later — an API token checked inside the view — is the one recorded."""
    quiet: bool = False
    """Inside a bulk write (an import, the demo) that records one entry of its own."""


_current: ContextVar[Acting | None] = ContextVar("kam_audit_acting", default=None)


def current() -> Acting:
    return _current.get() or Acting(Interface.SYSTEM, lambda: None)


@contextmanager
def acting(interface: Interface, who: Callable[[], Any] | Any = None) -> Iterator[Acting]:
    """Everything written inside is recorded as done by ``who`` through ``interface``."""
    getter = who if callable(who) else (lambda: who)
    token = _current.set(Acting(interface, getter))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


def act_as(user: Any, interface: Interface | None = None) -> None:
    """Name the acting user from here on (the command line, once it knows ``--as``)."""
    now = current()
    _current.set(Acting(interface or now.interface, lambda: user, now.quiet))


@contextmanager
def quiet() -> Iterator[None]:
    """Row-by-row writes inside are not recorded one by one: the caller records the whole."""
    now = current()
    token = _current.set(Acting(now.interface, now.who, quiet=True))
    try:
        yield
    finally:
        _current.reset(token)
