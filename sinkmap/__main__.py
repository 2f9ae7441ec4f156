from sinkmap.cli import main

main()
