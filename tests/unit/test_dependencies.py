"""Dependency facts the issue depends on, checked against what is actually installed."""

from __future__ import annotations

from importlib.metadata import version


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3])


def test_strawberry_has_the_depth_and_alias_limiter_fixes() -> None:
    # Earlier versions carry the depth-limiter and alias-limiter CVEs.
    assert _release(version("strawberry-graphql")) >= (0, 315, 7)


def test_sniffio_is_installed_beside_httpx() -> None:
    # Without it httpcore retries a failing import on every request.
    import sniffio

    assert sniffio.current_async_library is not None
    assert version("httpx")
