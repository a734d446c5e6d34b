from musanada.cli import main

main()
