"""Domain errors services raise; views show their message, the API maps them to statuses."""


class StateConflict(Exception):
    """The object is not in a state that allows this (API: 409)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
