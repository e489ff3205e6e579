"""Store layer: the import and every query, on a connection opened by db.open_db.

Curated data (lists, sections, entries, papers, links) is rewritten by each
import; user data (statuses, notes) is keyed by user and paper key and is
changed only by the user's own commands. Each module owns one thing, and
callers import the module that owns what they use (nothing is re-exported
here, so importing one module loads only what it needs):

- `base`: the clock, write transactions, batching for SQL variables, shared constants.
- `importer`: `import_document`, a document written as a list in one transaction.
- `changes`: what a re-import reports changed since the list's previous version.
- `index`: the full-text index's rows, kept by hand (the index is contentless).
- `filters`: the WHERE pieces that listings, search and exports share.
- `papers`: listings, counts, one paper's detail, paper references, the lists.
- `notes`: a user's notes.
- `detail`: what `show` reports about one paper (dataclasses).
- `tracking`: reading statuses, users, progress by section and by stars.
- `reports`: what lists, users, sections and progress report (dataclasses).
- `search`: full-text search, its snippets and suggestions.
- `exports`: what an export holds (llmreads.export writes it in a format).

Beside the package, in the same layer: `llmreads.aliases` (the keys that
name one paper), `llmreads.userdata` (user data to and from a file),
`llmreads.maintenance` (backup, restore, what a file holds) and `llmreads.db`
(opening the database).
"""
