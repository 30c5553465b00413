"""A local, offline research-paper assistant: cited answers about a collection of papers."""

from assistant.app import Assistant
from assistant.config import Settings
from assistant.types import Answer, Citation, Hit, Paper, Source

__all__ = ["Answer", "Assistant", "Citation", "Hit", "Paper", "Settings", "Source"]
