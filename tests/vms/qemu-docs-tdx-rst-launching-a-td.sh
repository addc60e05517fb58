# source: qemu/qemu docs/system/i386/tdx.rst, "Launching a TD (TDX VM)", rendered (|qemu_system_x86| is qemu-system-x86_64, \\ is \)
qemu-system-x86_64 \
    -accel kvm \
    -cpu host \
    -object tdx-guest,id=tdx0 \
    -machine ...,confidential-guest-support=tdx0 \
    -bios OVMF.fd \
