"""AWS-style errors raised by layer handlers and rendered in the caller's wire protocol."""


class AWSError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, sender_fault: bool = True):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
