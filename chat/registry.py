"""The command registry: each command is a small function registered under its Chinese words and English aliases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chat.context import Context
    from chat.parse import Command

Handler = Callable[["Context", "Command"], str]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    words: tuple[str, ...]  # the first is the Chinese word shown in help
    shape: str  # argument shape, see chat.parse
    handler: Handler
    usage: str  # one example, shown in help and in error answers: 进度 24 已完成初稿 60%
    summary: str  # what it does, a few words
    leader_only: bool = False
    mutates: bool = False  # records something: its MsgId is checked for a repeat before it runs


class Registry:
    def __init__(self) -> None:
        self._specs: dict[str, CommandSpec] = {}
        self._grammar: dict[str, tuple[str, str]] | None = None

    def command(self, name: str, *words: str, shape: str, usage: str, summary: str, leader_only: bool = False,
                mutates: bool = False) -> Callable[[Handler], Handler]:
        """Register the decorated function as command `name`, reached by any of `words` (case-insensitive)."""

        def register(handler: Handler) -> Handler:
            taken = {w for spec in self._specs.values() for w in spec.words}
            clash = taken & {w.lower() for w in words}
            if clash:
                raise ValueError(f"command words registered twice: {sorted(clash)}")
            self._specs[name] = CommandSpec(name, tuple(w.lower() for w in words), shape, handler, usage, summary,
                                            leader_only, mutates)
            self._grammar = None
            return handler

        return register

    def get(self, name: str) -> CommandSpec | None:
        return self._specs.get(name)

    def specs(self) -> list[CommandSpec]:
        return list(self._specs.values())

    def grammar(self) -> dict[str, tuple[str, str]]:
        """word → (command name, argument shape), what chat.parse needs (built once; do not change it)."""
        if self._grammar is None:
            self._grammar = {w: (spec.name, spec.shape) for spec in self._specs.values() for w in spec.words}
        return self._grammar


registry = Registry()
