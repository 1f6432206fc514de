"""``chassisctl sensors``: every sensor with value, unit, status and thresholds.

``--watch`` redraws in place with rich.Live on a terminal (and prints one
JSON document per line with ``--json``, or a fresh table per round when
piped); Ctrl-C ends it cleanly with exit 0.  ``--count`` bounds it for
scripts.
"""

from __future__ import annotations

from chassisctl.cli.common import state
from chassisctl.cli.completion_values import complete_sensor, complete_sensor_type
from chassisctl.cli.params import Option
from chassisctl.cli.session import open_session

STATUS_STYLE = {"ok": "green", "nc": "yellow", "cr": "red", "nr": "bold red", "na": "dim", "ns": "dim"}


def fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _limits(thresholds: dict, keys: tuple[str, ...]) -> str:
    return "/".join(fmt(thresholds[k]) if thresholds.get(k) is not None else "-" for k in keys)


def register(app) -> None:
    from chassisctl.cli.common import command

    command(app, "sensors")(sensors)


def sensors(
    type_name: str | None = Option(None, "--type", "-t", metavar="TYPE",
                                   autocompletion=complete_sensor_type,
                                   help="Only sensors of this type (temperature, voltage, "
                                        "current, fan, power, power_supply, discrete, ...)"),
    name: str | None = Option(None, "--name", "-n", metavar="GLOB",
                              autocompletion=complete_sensor,
                              help="Only sensors whose name matches (shell glob, any case)"),
    watch: float | None = Option(None, "--watch", "-w", metavar="SECONDS", min=0.2,
                                 max=3600.0, help="Refresh every SECONDS until Ctrl-C"),
    count: int | None = Option(None, "--count", min=1, metavar="N",
                               help="With --watch: stop after N refreshes"),
    refresh_sdr: bool = Option(False, "--refresh-sdr",
                               help="Re-read the SDR repository even if the cache is valid"),
    no_cache: bool = Option(False, "--no-cache",
                            help="Neither read nor write the SDR cache"),
) -> None:
    """Show sensor readings with units, status (ok/nc/cr/nr/na) and thresholds."""
    from chassisctl.client.sensors import TYPE_FILTERS

    from chassisctl.errors import UsageError

    if type_name is not None and type_name not in TYPE_FILTERS:
        raise UsageError(f"--type {type_name!r}: choose one of {', '.join(TYPE_FILTERS)}")
    if count is not None and watch is None:
        raise UsageError("--count only counts --watch refreshes: add --watch SECONDS")
    with open_session() as session:
        scan = _Scanner(session, type_name, name, refresh_sdr, no_cache)
        out = state().output()
        if watch is None:
            _render(out, session, *scan.once())
            return
        _watch(out, session, scan, watch, count)


class _Scanner:
    """Loads the repository once, then reads the selected sensors per round."""

    def __init__(self, session, type_name, name, refresh_sdr, no_cache) -> None:
        from chassisctl.client.sdr_cache import SdrCache
        from chassisctl.client.sensors import SensorReader, load_repository, select

        self.cache = None if no_cache else SdrCache()
        node = session.node_target()
        self.node = node
        with state().output().progress("Reading SDR records") as bar:
            self.repo = load_repository(session.transport, node=node.selector, cache=self.cache,
                                        refresh=refresh_sdr, progress=bar)
        if self.cache is not None:
            self.cache.write_names([r.id_string for r in self.repo.sensors()])
        self.selected = select(self.repo.sensors(), type_name=type_name, name_glob=name)
        self.reader = SensorReader(session.transport, node=node.selector, entry=self.repo.entry)

    def once(self):
        values = self.reader.read(self.selected)
        if self.reader.factors_learned and self.cache is not None and self.repo.entry is not None:
            self.cache.store(self.repo.entry)
            self.reader.factors_learned = False
        return values, self.repo, self.node


def _doc(session, values, repo, node) -> dict:
    return session.meta() | session.describe_node(node) | {
        "sdr": {"source": "cache" if repo.from_cache else "bmc", "records": len(repo.records)},
        "sensors": [v.to_dict() for v in values],
    }


def _rows(values):
    from chassisctl.cli.render import Column

    columns = [Column("Name"), Column("Value", "right"), Column("Unit"), Column("Status"),
               Column("Lower NR/CR/NC", "right"), Column("Upper NC/CR/NR", "right")]
    rows, styles = [], []
    for v in values:
        shown = fmt(v.value) if v.threshold_based else (", ".join(v.states) or "-")
        if v.threshold_based and v.value is None:
            shown = "n/a"
        rows.append([v.name, shown, v.unit if v.threshold_based else "", v.status,
                     _limits(v.thresholds, ("lnr", "lc", "lnc")) if v.threshold_based else "",
                     _limits(v.thresholds, ("unc", "uc", "unr")) if v.threshold_based else ""])
        styles.append(STATUS_STYLE.get(v.status))
    return columns, rows, styles


def _render(out, session, values, repo, node) -> None:
    if out.json_mode:
        out.json(_doc(session, values, repo, node))
        return
    columns, rows, styles = _rows(values)
    out.table(columns, rows, styles=styles)


def _watch(out, session, scan, interval: float, count: int | None) -> None:
    import json
    import time

    from chassisctl.cli.common import long_running

    long_running()
    rounds = 0
    try:
        if out.tty and not out.json_mode:
            from rich.live import Live

            with Live(console=out.console(), auto_refresh=False, transient=False) as live:
                while count is None or rounds < count:
                    values, repo, node = scan.once()
                    live.update(_rich(out, values), refresh=True)
                    rounds += 1
                    if count is not None and rounds >= count:
                        break
                    time.sleep(interval)
            return
        while count is None or rounds < count:
            values, repo, node = scan.once()
            if out.json_mode:
                out.line(json.dumps({"schema": 1, **_doc(session, values, repo, node)}))
            else:
                _render(out, session, values, repo, node)
                out.line()
            rounds += 1
            if count is not None and rounds >= count:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        return



def _rich(out, values):
    columns, rows, styles = _rows(values)
    return out.rich_table(columns, rows, styles=styles)
