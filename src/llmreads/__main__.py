from llmreads.cli import run

run()
