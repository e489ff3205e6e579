"""Terminal UI layer: `llmreads browse`, the whole reading list on one keyboard-driven screen.

The same wiring as llmreads.commands, on one screen: every read goes through
the store functions the commands call (sections_tree, list_papers, search,
paper_detail) and every change through the ones they write with (set_status,
add_note), one transaction each. Textual draws it; this package is imported
only by the `browse` command, so no other command loads Textual.

- `app`: the screen (section tree, papers, the selected paper), its keys and its refreshes.
- `detail`: the selected paper as text, every piece of user text shown literally.
- `screens`: the help, note and filter screens.
- `writer`: the thread that writes changes, so a write that waits for another process never freezes the screen.
"""
