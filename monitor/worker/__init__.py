"""The worker: wires the roles a process plays (worker, web, run) from settings, runs the
status engine over the store each minute (`evaluator`), and keeps the heap's pauses short.

May import: everything in `monitor` but the CLI, and `web` only to serve it in the `run`
and `web` roles."""


class StartupError(Exception):
    """Something outside the config stops a role from starting (a port in use); the
    message is one line saying what and what to do."""
