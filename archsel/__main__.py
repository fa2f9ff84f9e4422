from archsel.cli import main

main()
