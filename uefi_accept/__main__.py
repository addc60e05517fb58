from uefi_accept.cli import main

main()
