from watchkeep.cli import main

main()
