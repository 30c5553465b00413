"""User-facing errors. Each message says what to do next."""


class AssistantError(Exception):
    """Base class for errors shown to the user as-is."""


class CorpusError(AssistantError):
    """A corpus file cannot be read at all."""


class IndexMismatchError(AssistantError):
    """The store holds vectors made with other settings than the ones asked for."""


class IndexCorruptError(AssistantError):
    """The store directory cannot be opened."""


class StoreUnreachableError(AssistantError):
    """The Chroma server cannot be reached."""


class ModelError(AssistantError):
    """A model is missing, incomplete, or fails its checksum."""


class QuestionError(AssistantError):
    """A question is empty or otherwise unusable."""


class BackendError(AssistantError):
    """The LLM backend failed (server down, bad reply)."""
