"""`aistatus` — the one entry point. It parses, loads settings and calls
functions; the logic lives in the modules it calls."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.config import (
    MAX_REGION,
    REGION_PATTERN,
    ConfigError,
    Settings,
    SimulatorSettings,
    load_settings,
)
from monitor.scenarios.spec import ScenarioError
from monitor.worker import StartupError

if TYPE_CHECKING:
    from monitor.store import Store

EXIT_CONFIG = 2
EXIT_USAGE = 2  # as argparse exits on bad arguments
DESCRIPTION = (
    "aistatus probes AI model APIs the way a user calls them and shows, per model, what is "
    "failing, since when, from where and how, on a public status page."
)
EPILOG = (
    "New here: `aistatus check-config` checks config.toml and lists what will be probed; "
    "`aistatus run` then starts the prober and the site together (http://127.0.0.1:8080/ "
    "by default), with a simulated demo group that needs no API key. "
    "`aistatus COMMAND --help` explains each command."
)
SPEED_HELP = (
    "run the scenario's clock this many times faster: faults start sooner and last shorter, "
    "but probes keep their own interval, so each fault gets that many times fewer probes "
    "(to see a whole scenario in seconds, use `aistatus replay`)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aistatus", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument(
        "--config", help="config file (default: config.toml; replay: built-in thresholds)"
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="default: INFO; DEBUG shows a failed command's traceback (logs never hold keys)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("check-config", help="validate the config, list models, keys and cost")
    probe = commands.add_parser("probe", help="probe every model once now")
    probe.add_argument("--model", help="only this model id (provider/model)")
    probe.add_argument("--json", action="store_true", help="print JSON instead of a table")
    worker = commands.add_parser(
        "worker",
        help="prober, status engine and notifications, no site; one per vantage point",
    )
    worker.add_argument(
        "--region", type=_region, help="this prober's vantage point (overrides probe.region)"
    )
    commands.add_parser("web", help="serve the site only")
    run = commands.add_parser(
        "run", help="worker and site together on one machine (the prober in a child process)"
    )
    run.add_argument(
        "--region", type=_region, help="this prober's vantage point (overrides probe.region)"
    )

    simulate = commands.add_parser(
        "simulate",
        help="serve the simulated provider on loopback",
        description="Serves the config's [simulator] (its scenario, host, port and speed) "
        "as `aistatus run` would, without the prober or the site; a flag given here wins. "
        "Without --config and without a config.toml here: scenario demo on 127.0.0.1:8787.",
    )
    simulate.add_argument(
        "--scenario",
        help="scenario file or bundled name (default: the config's [simulator] scenario)",
    )
    simulate.add_argument(
        "--port",
        type=int,
        help="default: the config's [simulator] port (8787), the port the simulated "
        "providers' base_url names",
    )
    simulate.add_argument(
        "--speed", type=float, help=f"{SPEED_HELP}; default: the config's [simulator] speed (1)"
    )

    incidents = commands.add_parser("incidents", help="list incidents from the database")
    incidents.add_argument("--json", action="store_true", help="print JSON instead of text")
    incidents.add_argument(
        "--public-only", action="store_true", help="hide operator-only incidents"
    )
    incidents.add_argument(
        "--limit", type=int, default=50, help="the newest this many (default: 50)"
    )

    notifications = commands.add_parser(
        "notifications", help="the notification queue, recent failures and subscriptions"
    )
    notifications.add_argument("--json", action="store_true", help="print JSON instead of text")
    notifications.add_argument("--failures", type=int, default=20, help="failures to list")

    override = commands.add_parser(
        "override",
        help="put an operator's words on an incident: its title and/or one update's text",
        description="The engine never writes over these. An empty TEXT clears an override. "
        "Update positions are the indexes of `aistatus incidents --json`'s updates.",
    )
    override.add_argument("incident", metavar="ID", help="incident id (as `incidents` lists)")
    override.add_argument("--title", metavar="TEXT", help="the title shown instead")
    override.add_argument("--update", type=int, metavar="N", help="which update (0 = first)")
    override.add_argument("--body", metavar="TEXT", help="that update's text shown instead")

    replay = commands.add_parser(
        "replay", help="run the engines on a scenario's simulated behaviour, on a virtual clock"
    )
    replay.add_argument("scenario", metavar="FILE", help="scenario file or bundled name")
    replay.add_argument(
        "--config", dest="replay_config", help="thresholds and timeouts (default: built-in)"
    )
    replay.add_argument("--json", action="store_true", help="print the replay JSON document")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="create or migrate the schema (Alembic)")
    return parser


def _region(value: str) -> str:
    """As probe.region: it names the vantage point on pages and in the store."""
    if not re.match(REGION_PATTERN, value) or len(value) > MAX_REGION:
        raise argparse.ArgumentTypeError(
            f"{value!r}: use a-z, 0-9 and '-', at most {MAX_REGION} characters (like us-east)"
        )
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Their INFO lines (one per job run, per request, per Alembic plugin) drown ours.
    quiet = max(logging.WARNING, logging.getLogger().level)
    for noisy in ("apscheduler", "httpx", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(quiet)
    # "Context impl SQLiteImpl." on every start and query; `db upgrade` says what it ran.
    migration = logging.NOTSET if args.command == "db" else quiet
    logging.getLogger("alembic.runtime.migration").setLevel(migration)
    try:
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "replay":
            return _replay(args)
        settings = checked_settings(args.config or "config.toml", args.command)
        return COMMANDS[args.command](settings, args)
    except ConfigError as error:
        print(f"aistatus: bad config: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except ScenarioError as error:
        print(f"aistatus: bad scenario: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except StartupError as error:
        print(f"aistatus: {args.command}: {error}", file=sys.stderr)
        return 1
    except Stopped:
        return 0
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `aistatus replay ... | head`: the reader left; not an error
        sys.stderr.close()
        return 0
    except Exception as error:  # one clear line, not a traceback; --log-level DEBUG shows it
        logging.getLogger("aistatus").debug("command failed", exc_info=True)
        print(f"aistatus: {args.command}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


# Commands that send to operator channels check them too (`check-config` for them):
# a `web` or `incidents` elsewhere needs no channel's secrets.
SENDING = ("check-config", "worker", "run")


def checked_settings(path: str, command: str | None = None) -> Settings:
    """The config, refused with every problem if any command would fail or show nothing on
    it: every command that reads a config runs the same checks (`check-config` prints them)."""
    from pathlib import Path

    from monitor.config import describe_problems, read_config, settings_from_dict
    from monitor.worker.preflight import partial_preflight, preflight

    base_dir = Path(path).resolve().parent
    raw = read_config(Path(path))
    try:
        settings = settings_from_dict(raw, base_dir=base_dir, source=path)
    except ConfigError as error:
        # The checks beyond the file still run on the sections that parsed, so one run
        # lists every problem rather than one layer at a time.
        problems = [*error.problems, *partial_preflight(raw, base_dir)]
        raise ConfigError(describe_problems(problems, path), tuple(problems)) from None
    problems = preflight(settings)
    if command in SENDING:
        from monitor.notify.channels import channel_problems

        problems += channel_problems(settings)
    if problems:
        raise ConfigError(describe_problems(problems, path), tuple(problems))
    return settings


def _log_warnings(settings: Settings) -> None:
    from monitor.worker.preflight import config_warnings

    for warning in config_warnings(settings):
        logging.getLogger("aistatus").warning("%s", warning)


def _check_config(settings: Settings, args: argparse.Namespace) -> int:
    from monitor.notify.channels import channels_summary
    from monitor.report import config_summary
    from monitor.worker.preflight import config_warnings, hung_probe_slots

    print(config_summary(settings, hung_slots=hung_probe_slots(settings)))
    print(channels_summary(settings))
    for warning in config_warnings(settings):
        print(f"warning: {warning}")
    return 0


def _probe(settings: Settings, args: argparse.Namespace) -> int:
    from monitor.probing.scheduler import probe_round, probe_targets
    from monitor.report import results_json, results_table
    from monitor.worker.roles import simulated_provider

    models = probe_targets(settings)
    if args.model:
        models = [m for m in models if m.id == args.model]
        if not models:
            print(
                f"aistatus: probe: no probe-able model {args.model!r} "
                "(unknown, disabled or its key is not set)",
                file=sys.stderr,
            )
            return EXIT_CONFIG
    with simulated_provider(settings):
        results = asyncio.run(probe_round(settings, models, region=settings.probe.region))
    print(results_json(results) if args.json else results_table(results))
    return 0


class Stopped(KeyboardInterrupt):
    """SIGTERM: asked to stop, as systemd, Docker and Kubernetes ask; a clean exit."""


def stop_on_sigterm() -> None:
    """From now on SIGTERM stops this process as Ctrl-C does, through every `finally`.
    Left to its default it killed `run` on the spot: the status-engine lease stayed
    taken, and the next start judged nothing until it expired."""
    signal.signal(signal.SIGTERM, _stopped)


def _stopped(*_: object) -> None:
    # Said, so the log shows why the service ended (a service manager's stop).
    logging.getLogger("aistatus").info("SIGTERM received: stopping")
    raise Stopped


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from monitor.worker.roles import open_store, sync_targets, wait_for_signal, worker

    stop_on_sigterm()  # until wait_for_signal takes over: start-up is stopped cleanly too
    _log_warnings(settings)
    store = open_store(settings)
    sync_targets(settings, store)
    with worker(settings, store, region=args.region):
        wait_for_signal()
    return 0


def _web(settings: Settings, args: argparse.Namespace) -> int:
    from monitor.worker.roles import bind_site, open_store, serve_web, sync_targets

    stop_on_sigterm()
    store = open_store(settings)
    site = bind_site(settings, store)
    sync_targets(settings, store)
    serve_web(settings, store, site)
    return 0


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from monitor.worker.roles import bind_site, open_store, serve_web, sync_targets, worker

    stop_on_sigterm()
    _log_warnings(settings)
    store = open_store(settings)
    site = bind_site(settings, store)  # a taken port stops us before the prober starts
    sync_targets(settings, store)
    with worker(settings, store, region=args.region):
        serve_web(settings, store, site)
    return 0


def _db(settings: Settings, args: argparse.Namespace) -> int:
    from monitor.worker.roles import open_store

    store = open_store(settings)
    store.upgrade()
    print(f"database at revision {store.current_revision()}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from monitor.scenarios.simulator.server import run_simulator_forever

    sim, base_dir = _simulator_config(args.config)
    run_simulator_forever(
        args.scenario or sim.scenario,
        host=sim.host,
        port=sim.port if args.port is None else args.port,
        speed=sim.speed if args.speed is None else args.speed,
        # The config's scenario path is relative to the config, as `run` reads it; one
        # typed on the command line is relative to where it was typed.
        base_dir=None if args.scenario else base_dir,
    )
    return 0


def _simulator_config(path: str | None) -> tuple[SimulatorSettings, str | None]:
    """The config's [simulator] and folder: `simulate` serves what `run` would, so the
    simulated providers' base_url (which check-config ties to [simulator] port) reach it.
    Only the file is validated, not the rest of a deployment (database, keys), which a
    simulator does not use. With no --config and no config.toml here, the defaults:
    `simulate` needed no config before it read one."""
    from pathlib import Path

    if path is None and not Path("config.toml").is_file():
        return SimulatorSettings(), None
    settings = load_settings(path or "config.toml")
    return settings.simulator, settings.base_dir


def _incidents(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from monitor.report import incidents_text
    from monitor.scenarios.replay import incident_document

    store = _upgraded_store(settings)
    found = store.incidents(include_private=not args.public_only, limit=args.limit)
    documents = [incident_document(i) for i in found]
    print(json.dumps(documents, indent=2) if args.json else incidents_text(documents))
    return 0


def _notifications(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from monitor.clock import SystemClock
    from monitor.notify.report import notifications_document, notifications_text
    from monitor.store.notifications import Notifications

    document = notifications_document(
        Notifications(_upgraded_store(settings)), args.failures, SystemClock().now()
    )
    print(json.dumps(document, indent=2) if args.json else notifications_text(document))
    return 0


def _override(settings: Settings, args: argparse.Namespace) -> int:
    from monitor.text import for_terminal

    if args.title is None and args.body is None:
        print("aistatus: override: give --title and/or --update N --body TEXT", file=sys.stderr)
        return EXIT_USAGE
    if (args.body is None) != (args.update is None):
        print("aistatus: override: --update and --body go together", file=sys.stderr)
        return EXIT_USAGE
    store = _upgraded_store(settings)
    incident_id = args.incident.removeprefix("#")  # as `incidents` and this command print it
    if store.incident(incident_id, include_private=True) is None:
        print(f"aistatus: override: no incident {args.incident!r}", file=sys.stderr)
        return 1
    # Blank text clears, as empty text does: a title of spaces would show as no title.
    title, body = (None if text is None else text.strip() for text in (args.title, args.body))
    try:
        store.override_incident(incident_id, title=title, update_position=args.update, body=body)
    except KeyError as error:
        print(f"aistatus: override: {error.args[0]}", file=sys.stderr)
        return 1
    incident = store.incident(incident_id, include_private=True)
    assert incident is not None  # it was there a moment ago
    print(f"#{incident.id} {for_terminal(incident.display_title)}")
    for position, update in enumerate(incident.updates):
        text = for_terminal(update.text)
        print(f"  [{position}] {update.at:%Y-%m-%d %H:%M} UTC {update.status}: {text}")
    return 0


def _upgraded_store(settings: Settings) -> Store:
    """The store, refused in one line unless it holds this version's schema: the reading
    commands otherwise failed with the SQL of their first query ("no such table")."""
    from monitor.worker.roles import open_store, require_current_schema

    store = open_store(settings)
    require_current_schema(store)
    return store


def _replay(args: argparse.Namespace) -> int:
    import json

    from monitor.report import replay_summary
    from monitor.scenarios.replay import replay, replay_document
    from monitor.scenarios.spec import load_scenario

    config = args.replay_config or args.config
    settings = load_settings(config) if config else Settings()
    document = replay_document(replay(load_scenario(args.scenario), settings))
    print(json.dumps(document, indent=2) if args.json else replay_summary(document))
    return 0


COMMANDS = {
    "check-config": _check_config,
    "probe": _probe,
    "worker": _worker,
    "web": _web,
    "run": _run,
    "db": _db,
    "incidents": _incidents,
    "notifications": _notifications,
    "override": _override,
}


if __name__ == "__main__":
    sys.exit(main())
