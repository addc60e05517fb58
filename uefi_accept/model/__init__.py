"""The model: the VM, the profiles, and one boot engine over batches of points.

Pure: no printing, no file I/O, no click. Everything else asks it.
"""
