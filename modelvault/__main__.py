from modelvault.cli import main

main(prog_name="modelvault")
