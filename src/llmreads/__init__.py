"""llmreads: a reading-list manager for the key papers of large language models."""

__version__ = "0.1.0"
