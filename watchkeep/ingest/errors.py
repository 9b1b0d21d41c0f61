"""Why an ingest request is refused. The receivers answer each in PagerDuty's shape."""

from __future__ import annotations

from pydantic import ValidationError

from watchkeep.core.errors import DomainError, NotFoundError


class UnknownKeyError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("integration key", "given")


class BadEventError(DomainError):
    """The body is not a valid event; `problems` names each bad field."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))

    @classmethod
    def from_validation(cls, error: ValidationError, prefix: str = "") -> BadEventError:
        problems = []
        for item in error.errors(include_url=False):
            field = ".".join(str(part) for part in (prefix, *item["loc"]) if part != "")
            problems.append((field or "body", item["msg"]))
        return cls(problems)


class RateLimitedError(DomainError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit reached; retry in {retry_after} s")
        self.retry_after = retry_after
