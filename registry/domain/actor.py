"""Who is asking: plain data handed to services and rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from .vocab import Role


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    name: str
    agency_id: int | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    job_title: str = ""

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def label(self) -> str:
        return self.name if self.user_id is None else f"{self.name} (user {self.user_id})"


SYSTEM = Actor(user_id=None, name="system")
