"""The ``pilot`` command: sandbox, nodes, network, demo, onboarding, conformance, audit, benchmarks.

Exit status everywhere (docs/design.md §9): 0 success, 1 a failed check, 2 bad usage. ``pilot --lang en|ru|zh``
chooses the language of the text printed (``pilot.language``).
"""

from __future__ import annotations

import typer

from pilot.commands import (
    audit,
    bench,
    conformance,
    credential,
    demo,
    init,
    keys,
    network,
    node,
    onboard,
    status,
    trust,
)
from pilot.language import CommandLangOpt

app = typer.Typer(
    name="pilot",
    help="Agri-export pilot exchange: run the network, verify records, test conformance, audit logs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _options(lang: CommandLangOpt = None) -> None:
    """Agri-export pilot exchange: run the network, verify records, test conformance, audit logs."""
    del lang  # applied by its callback (pilot.language)


app.command("init")(init.init_command)
app.command("node")(node.node_command)
app.command("demo")(demo.demo_command)
app.command("up")(network.up_command)
app.add_typer(status.app, name="status")  # no subcommand: the network status table, as before
app.command("down")(network.down_command)
app.add_typer(credential.app, name="credential")
app.add_typer(conformance.app, name="conformance")
app.add_typer(onboard.app, name="onboard")
app.add_typer(trust.app, name="trust")
app.add_typer(keys.app, name="keys")
app.add_typer(audit.app, name="audit")
app.add_typer(bench.app, name="bench")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
