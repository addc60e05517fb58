# source: https://github.com/AMDESE/AMDSEV/issues/236 (danko-miladinovic, 2024-09-25): "QEMU command:"
qemu-system-x86_64 -enable-kvm \
        -smp 4 \
        -m 8192M,slots=5,maxmem=10240M \
        -cpu EPYC \
        -machine q35 \
        -no-reboot \
        -netdev user,id=vmnic \
        -device virtio-net-pci,disable-legacy=on,iommu_platform=true,netdev=vmnic \
        -drive if=pflash,format=raw,unit=0,file=$OVMF_CODE,readonly=on \
        -drive if=pflash,format=raw,unit=1,file=$OVMF_VARS \
        -drive file=./ubuntu-base.qcow2,if=none,id=disk0,format=qcow2 \
        -device virtio-scsi-pci,id=scsi0,disable-legacy=on,iommu_platform=true \
        -device scsi-hd,drive=disk0 \
        -machine confidential-guest-support=sev0 \
        -object sev-snp-guest,id=sev0,cbitpos=51,reduced-phys-bits=1 \
        -nographic \
        -monitor pty \
        -monitor unix:monitor,server,nowait
