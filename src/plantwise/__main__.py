from plantwise.cli import main

main()
