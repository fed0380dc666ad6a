from dbinit.entry import main

main()
