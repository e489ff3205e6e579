from llmreads.entry import main

main()
