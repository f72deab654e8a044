"""The benchmarks behind ``pilot bench port`` and ``pilot bench network`` (issue 17), one job per module.

- ``workload``: distinct valid submissions (a manifest and three credentials), listed or streamed;
- ``figure``: one measured figure, and its ratios to the cryptographic floor and to the in-process path;
- ``floor``: the cryptography alone for the same submissions (every Ed25519 verification, the two signatures);
- ``servers``: a node as a child process, the registry it checks status lists with, fresh databases;
- ``in_process``: ``IntakeService.submit`` in a loop, in this process or in N processes on one database;
- ``http_drive``: single and batched submissions over HTTP from concurrent signed clients;
- ``proofs``: the log bulk-loaded to a million entries and inclusion proofs served from it;
- ``memory``: the port's resident memory after N/10 and N submissions;
- ``network``: the 6 + 3 network, consignments from the exporters' APIs to verified receipts;
- ``report``: the figures as a table (through ``tr``) or as JSON.

``pilot.commands.bench`` holds only the typer commands that put these together.
"""
