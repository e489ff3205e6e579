"""Command layer: one module per group of commands, registered on llmreads.app.app."""
