"""Findings: one frozen Issue per problem, always naming the rule, the file and (when there is one) the prim."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    """How bad a finding is. CRASH means the check itself raised, which is not the same as the stage failing it."""

    CRASH = "crash"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.CRASH: 0, Severity.ERROR: 1, Severity.WARNING: 2, Severity.INFO: 3}


@dataclass(frozen=True)
class Issue:
    """One finding. `at` is a prim path (None for stage- or file-level findings); `attribute` names the property."""

    message: str
    severity: Severity
    rule: str
    at: str | None
    file: str
    suggestion: str | None = None
    attribute: str | None = None

    @property
    def where(self) -> str:
        """`/World/Box.physics:mass`, `/World/Box`, or "" for a stage-level finding."""
        if self.at and self.attribute:
            return f"{self.at}.{self.attribute}"
        return self.at or ""

    def to_json(self) -> dict:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "at": self.at,
            "attribute": self.attribute,
            "file": self.file,
            "suggestion": self.suggestion,
        }
