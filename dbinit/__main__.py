from dbinit.cli import main

main()
