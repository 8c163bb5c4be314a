import torch

# the machines have 2 cores; more threads only contend
torch.set_num_threads(2)
