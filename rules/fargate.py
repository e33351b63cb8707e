"""Fargate task sizes: a task definition that requires FARGATE uses a CPU and memory pair
Fargate offers (``modules.alb_ecs_variables.FARGATE_TASK_SIZES``)."""

from __future__ import annotations

from collections.abc import Iterator

from modules.alb_ecs_variables import FARGATE_TASK_SIZES, fargate_memory_sizes
from rules.model import Stack, is_literal
from rules.registry import rule

__all__: list[str] = []


def _number(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if is_literal(value) and str(value).strip().isdigit():
        return int(str(value))
    return None  # a computed size, or one written in vCPU/GB: not checked here


@rule(
    "fargate.task-size",
    "Fargate CPU and memory pairs",
    source="https://docs.aws.amazon.com/AmazonECS/latest/userguide/task-cpu-memory-error.html",
    quote=(
        "For task definitions that specify FARGATE for the requiresCompatibilities parameter "
        "(even if EC2 is also specified), you must use one of the values in the following table."
    ),
)
def task_size(stack: Stack) -> Iterator[tuple[str, str]]:
    for task in stack.resources("aws_ecs_task_definition"):
        if "FARGATE" not in [str(c).upper() for c in task.get("requires_compatibilities") or []]:
            continue
        cpu, memory = _number(task.get("cpu")), _number(task.get("memory"))
        if cpu is None or memory is None:
            if task.get("cpu") is None or task.get("memory") is None:
                yield task.address, "a FARGATE task definition needs task-level cpu and memory"
            continue
        if cpu not in FARGATE_TASK_SIZES:
            yield (
                task.address,
                f"cpu {cpu} is no Fargate size ({', '.join(map(str, FARGATE_TASK_SIZES))})",
            )
        elif memory not in fargate_memory_sizes(cpu):
            sizes = fargate_memory_sizes(cpu)
            yield (
                task.address,
                (
                    f"memory {memory} MiB with cpu {cpu}; Fargate offers {sizes[0]} to "
                    f"{sizes[-1]} MiB ({', '.join(map(str, sizes))})"
                ),
            )
