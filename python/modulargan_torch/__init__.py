"""ModularGAN Studio projects trained by PyTorch: the studio's modules, losses, schedule,
datasets and run folder, with torchrun data parallelism. See `python -m modulargan_torch --help`."""

__version__ = "0.1.0"
