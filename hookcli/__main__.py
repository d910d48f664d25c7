from hookcli.cli.main import main

main()
