"""Run the CPU tests single-threaded.

The tiny models of the tests spend their time in thread synchronisation
when the machine is shared; one thread is several times faster.
"""
import torch

torch.set_num_threads(1)
