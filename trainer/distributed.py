"""Helpers for fine-tuning under ``torchrun`` with DistributedDataParallel (``trainer.finetune``): which
process this is, the process group, and gathering every rank's rows so that a contrastive loss sees the whole
global batch (in-batch negatives across ranks). Without torchrun they stand for a single process.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def rank() -> int:
    """This process's rank under torchrun (0 when not distributed)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """How many processes torchrun started (1 when not distributed)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


class Ranks:
    """The process group ``torchrun`` describes (RANK, WORLD_SIZE, LOCAL_RANK), or a single process.

    gloo on the CPU, nccl on CUDA. Rank 0 alone writes checkpoints, emits progress and exports.
    """

    def __init__(self, device: torch.device):
        self.world = world_size()
        self.rank = rank()
        self.device = device
        if self.world > 1:
            if device.type == "cuda":
                self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
                torch.cuda.set_device(self.device)
            if not dist.is_initialized():
                dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def sizes(self, n: int) -> list[int]:
        """Every rank's row count for this step."""
        if self.world == 1:
            return [n]
        counts = torch.tensor([n], device=self.device)
        out = [torch.zeros_like(counts) for _ in range(self.world)]
        dist.all_gather(out, counts)
        return [int(c.item()) for c in out]

    def gather_rows(self, x: torch.Tensor, sizes: list[int]) -> torch.Tensor:
        """All ranks' rows in rank order, differentiable: the loss then sees the whole global batch
        (in-batch negatives across ranks), and each rank's gradient flows back to its own rows."""
        if self.world == 1:
            return x
        pad = max(sizes) - x.shape[0]
        if pad:
            x = torch.cat([x, x.new_zeros((pad, *x.shape[1:]))])
        parts = _GatherRows.apply(x)
        return torch.cat([part[:size] for part, size in zip(parts, sizes)])

    def any(self, flag: bool) -> bool:
        """True on every rank when any rank has it (a signal may reach the ranks at different steps)."""
        if self.world == 1:
            return flag
        t = torch.tensor([int(flag)], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def gather_objects(self, obj) -> list:
        if self.world == 1:
            return [obj]
        out = [None] * self.world
        dist.all_gather_object(out, obj)
        return out

    def close(self) -> None:
        if self.world > 1 and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()


class _GatherRows(torch.autograd.Function):
    """all_gather whose backward sums every rank's gradient for this rank's rows (each rank computes
    the same global loss; DistributedDataParallel's averaging then gives the single-process gradient)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor):
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        return tuple(parts)

    @staticmethod
    def backward(ctx, *grads):
        grad = torch.stack(grads)
        dist.all_reduce(grad)
        return grad[dist.get_rank()]
