"""`archsel fleet status`: the Ray cluster of devices, the archsel target each node serves, their facts."""

from __future__ import annotations

import typer

from archsel.commands.options import FLEET_ADDRESS, FORMAT
from archsel.errors import ExitStatus
from archsel.report.formats import check_format, emit

app = typer.Typer(help="The device fleet: a Ray cluster whose nodes each serve an archsel target "
                       "(README, \"Measure on your own devices\").", no_args_is_help=True)


@app.command("status")
def status_cmd(address: str | None = FLEET_ADDRESS, fmt: str = FORMAT) -> ExitStatus:
    """List the cluster's nodes, the archsel target each serves (its `archsel:TARGET` resource) and the facts
    each reports: CPU, cores, GPU, memory, torch and archsel versions.

    Exit codes: 0 listed; 2 no Ray installed, no address, or no cluster answers at it.
    """
    from archsel.profiling.fleet import cluster
    from archsel.report.fleet import status_document

    check_format(fmt)
    ray = cluster.connect(address)
    emit(status_document(cluster.resolve_address(address), cluster.nodes_with_facts(ray)), fmt)
    return ExitStatus.SUCCESS


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="fleet")
