"""Guarding the published schema: what in a new SDL would break clients of the old one."""

from __future__ import annotations

from graphql import build_schema, find_breaking_changes

__all__ = ["breaking_changes"]


def breaking_changes(old_sdl: str, new_sdl: str) -> list[str]:
    """One line per change that can break a client written against ``old_sdl``."""
    changes = find_breaking_changes(build_schema(old_sdl), build_schema(new_sdl))
    return [f"{change.type.name}: {change.description}" for change in changes]
