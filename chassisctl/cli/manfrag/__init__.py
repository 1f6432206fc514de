"""Hand-written parts of the man pages, merged by :mod:`chassisctl.cli.gen`.

Options, arguments, synopses and command lists come from the command tree;
what it cannot say lives here as man(7) roff: the longer DESCRIPTION,
EXAMPLES, EXIT STATUS meanings, ENVIRONMENT and FILES.  A top-level command
without an entry still gets a page (generated sections only).  Backslashes
are roff escapes here: write ``\\-`` for an option's minus sign.

A page that documents no command (a file format) is a whole roff file here,
``NAME.SECTION`` (``chassisctl.toml.5``): the generator adds its ``.TH`` line
and SEE ALSO, and checks it mentions every word :data:`PAGE_TERMS` lists.
"""

#: Date on the pages unless SOURCE_DATE_EPOCH is set: the release of __version__.
#: Move it with the version, never to "today" (pages must regenerate identically).
RELEASE_DATE = "2026-11-25"

#: ExitCode member name -> meaning (chassisctl(8) EXIT STATUS); every member must appear.
EXIT_MEANINGS = {
    "OK": "Success.",
    "FAILURE": "Generic failure.",
    "USAGE": "Usage error: unknown option, bad value, missing argument, or a destructive\n"
             "power verb without \\fB\\-\\-yes\\fR when standard input is not a terminal.",
    "POWER_OFF": "Only \\fBpower status \\-\\-quiet\\fR: the chassis (or node) is off\n"
                 "(the LSB \"not running\" status).",
    "PROTOCOL": "Protocol error: malformed or unexpected bytes from the bus or the BMC\n"
                "(checksum, PEC, framing, a response that does not match its request).",
    "NO_INPUT": "A file named on the command line does not exist.",
    "UNAVAILABLE": "No such bus, nothing answers at the address, or the BMC stopped answering.",
    "SOFTWARE": "Internal error (a bug); \\fB\\-\\-debug\\fR prints the traceback.",
    "IO": "I/O error: an I2C error other than \"no answer\", or stored state (simulator state,\n"
          "SDR cache) that cannot be read or written.",
    "TEMPFAIL": "Timed out; a retry may succeed.  Also when a power command was delivered but\n"
                "never answered: its outcome is unknown and it is never re\\-sent (check with\n"
                "\\fBchassisctl power status\\fR).",
    "COMPLETION_CODE": "The BMC answered with an error completion code.",
    "NO_PERMISSION": "Permission denied: \\fI/dev/i2c\\-N\\fR access (root or the \\fBi2c\\fR group),\n"
                     "or a capability \\fBserve\\fR needs.",
    "CONFIG": "Bad configuration file, environment value or platform description.",
}

#: Setting name (chassisctl.config.ENVIRONMENT) -> what its variable means.
SETTING_HELP = {
    "bus": "I2C bus: \\fI/dev/i2c\\-N\\fR, \\fIN\\fR, or \\fBsim\\fR[\\fB:\\fR\\fINAME\\fR] for the\n"
           "simulated chassis (the default).  Same as \\fB\\-\\-bus\\fR.",
    "addr": "The BMC's 7\\-bit I2C (SSIF) address, default 0x10.  Same as \\fB\\-\\-addr\\fR.",
    "transport": "\\fBssif\\fR (default) or \\fBipmb\\fR.  Same as \\fB\\-\\-transport\\fR.",
    "pec": "SMBus packet error checking: \\fBauto\\fR (default), \\fBon\\fR or \\fBoff\\fR.\n"
           "Same as \\fB\\-\\-pec\\fR.",
    "timeout": "Seconds to wait for one BMC request, default 5.  Same as \\fB\\-\\-timeout\\fR.",
    "ipmb_device": "With \\fBipmb\\fR on a real bus: the kernel's slave device\n"
                   "(\\fI/dev/ipmb\\-N\\fR from \\fBipmb_dev_int\\fR) that receives the BMC's replies.",
    "ipmb_my_addr": "With \\fBipmb\\fR: our own 7\\-bit address on the bus, default 0x08.",
    "platform": "Platform description (a shipped name or a TOML file) that translates IPMI onto\n"
                "non\\-IPMI devices.  Same as \\fB\\-\\-platform\\fR.",
    "node": "Node of a multi\\-node chassis, by name or number.  Same as \\fB\\-\\-node\\fR.",
    "config": "Configuration file to read instead of the default locations (see FILES).\n"
              "Same as \\fB\\-\\-config\\fR.",
}

#: Further variables chassisctl(8) documents, in order.
ENVIRONMENT_EXTRA = {
    "CHASSISCTL_SIM_PROFILE": "Profile (TOML) of the simulated chassis instead of the shipped\n"
                              "\\fIdefault.toml\\fR: BMC identity, SSIF capabilities, power model and sensors.",
    "CHASSISCTL_SIM_FAULTS": "Faults the simulator injects, comma\\-separated, e.g.\n"
                             "\\fBnak_reads=3,pec_error=1,dead_after=40\\fR.  Counted faults:\n"
                             "\\fBnak_writes\\fR, \\fBnak_reads\\fR, \\fBtimeout\\fR, \\fBpec_error\\fR,\n"
                             "\\fBshort_read\\fR, \\fBtruncated\\fR, \\fBcount_zero\\fR, \\fBbusy_cc\\fR,\n"
                             "\\fBlost_reservation\\fR; also \\fBdead_after=\\fR\\fIN\\fR,\n"
                             "\\fBdead_sensor=\\fR\\fINUMBER\\fR and \\fBstuck\\fR.",
    "CHASSISCTL_SIM_PACE": "\\fB0\\fR (or \\fBfalse\\fR, \\fBno\\fR) skips waiting for the modelled wire time\n"
                           "of the simulated bus; by default the simulator paces transfers like a real\n"
                           "100 kHz bus.",
    "XDG_CONFIG_HOME": "Base of the user configuration file (default \\fI~/.config\\fR).",
    "XDG_CACHE_HOME": "Base of the SDR cache and the parsed simulator profile (default \\fI~/.cache\\fR).",
    "XDG_STATE_HOME": "Base of the simulated chassis' state (default \\fI~/.local/state\\fR).",
    "NO_COLOR": "When set and not empty, no colour in tables.",
    "FORCE_COLOR": "When set and not empty, colour even when not writing to a terminal.",
    "TERM": "\\fBdumb\\fR turns colour off.",
}

#: Page -> extra SEE ALSO entries ("name(section)").
SEE_ALSO = {
    "chassisctl": ("chassisctl.toml(5)", "ipmitool(1)", "ipmi-sensors(8)", "lldpcli(8)", "dhcrelay(8)"),
    "chassisctl-power": ("ipmitool(1)",),
    "chassisctl-sensors": ("ipmi-sensors(8)", "ipmitool(1)"),
    "chassisctl-bmc": ("ipmitool(1)",),
    "chassisctl-chassis": ("chassisctl-power(8)", "ipmitool(1)"),
    "chassisctl-boot": ("ipmitool(1)",),
    "chassisctl-sel": ("chassisctl-sdr(8)", "ipmitool(1)", "ipmi-sel(8)"),
    "chassisctl-fru": ("ipmitool(1)", "ipmi-fru(8)"),
    "chassisctl-raw": ("ipmitool(1)",),
    "chassisctl-sdr": ("ipmi-sensors(8)", "ipmitool(1)"),
    "chassisctl-serve": ("chassisctl.toml(5)", "chassisctl-status(8)", "ipmitool(1)", "systemd.service(5)"),
    "chassisctl-status": ("chassisctl-serve(8)", "chassisctl.toml(5)"),
    "chassisctl-lldp": ("chassisctl-serve(8)", "chassisctl.toml(5)", "lldpcli(8)", "lldpd(8)", "tcpdump(8)"),
    "chassisctl-config": ("chassisctl.toml(5)", "chassisctl-serve(8)"),
    "chassisctl-nodes": ("chassisctl.toml(5)",),
    "chassisctl-platform": ("chassisctl.toml(5)",),
    "chassisctl-sim": ("chassisctl.toml(5)",),
    "chassisctl-dhcp-relay": ("chassisctl.toml(5)", "chassisctl-serve(8)", "dhcrelay(8)", "dnsmasq(8)"),
    "chassisctl.toml": ("chassisctl-serve(8)", "chassisctl-dhcp-relay(8)", "chassisctl-platform(8)",
                        "chassisctl-sim(8)", "chassisctl-nodes(8)", "ipmitool(1)"),
}


def _page_terms_toml() -> list[str]:
    """Keys, kinds and names chassisctl.toml(5) must mention (from the code's own tables)."""
    from chassisctl import config
    from chassisctl.config import schema as config_schema
    from chassisctl.dhcp import option82
    from chassisctl.platform import kinds, schema
    from chassisctl.sim import profile

    terms = [*option82.FORMAT_WORDS, *config.ENVIRONMENT, *config.ENVIRONMENT.values()]
    for dotted, key in config_schema.walk():
        terms += [dotted.rsplit(".", 1)[-1], *(key.choices or ())]
    for table in (schema.PLATFORM, schema.NODE, schema.POWER, schema.DEVICE, schema.FIELD, schema.SENSOR,
                  schema.FRU, schema.THRESHOLDS, schema.UNITS, schema.SENSOR_TYPES):
        terms += table
    terms += schema.FIELD["access"].choices or ()
    for kind, spec in kinds.KINDS.items():
        terms += [kind, *spec.options, *spec.sim]
    terms += [*profile.SENSOR_TYPES, *profile.UNITS, *profile.MODEL_KEYS, *profile.SOURCES,
              *profile.PowerSpec._fields, *profile.BmcSpec._fields,
              "seed", "ambient", "noise", "fru_id", "clock_hz", "pace", "nonlinear"]
    for keys in profile.MODEL_KEYS.values():
        terms += keys
    return sorted(set(terms))


#: Hand-written page -> function returning the words it must mention (see module docs).
PAGE_TERMS = {"chassisctl.toml": _page_terms_toml}

FRAGMENTS: dict[str, dict[str, str]] = {
    "chassisctl": {
        "description": r"""
.B chassisctl
speaks IPMI to a baseboard management controller (BMC) that sits on an I2C
bus, over SSIF or IPMB, through the kernel's
.I /dev/i2c\-N
devices.
Output is a table on a terminal, plain aligned text when piped, and one JSON
document with
.B \-\-json
(with \fB"schema": 1\fR; lists stay lists, absent values are \fBnull\fR).
Errors are one line on standard error, or a JSON object there with
.BR \-\-json ;
the exit status says what kind of failure it was (see EXIT STATUS).
.PP
Settings resolve in this order: command line option, environment variable,
configuration file (section \fB[bmc]\fR), built\-in default.
The built\-in bus is \fBsim\fR, an embedded simulated chassis (a 1U box with a
BMC on SSIF, sensors, FRU, SEL and a power model), so every command works
without hardware; its output always says it is simulated.
A real bus that fails is reported, never replaced by the simulator.
""",
        "files": r"""
.TP
.I /etc/chassisctl/chassisctl.toml
System configuration file; its format is in
.BR chassisctl.toml (5).
.TP
.I $XDG_CONFIG_HOME/chassisctl/chassisctl.toml
User configuration file, read instead of the system one when it exists.
.B \-\-config
and
.B CHASSISCTL_CONFIG
name another file.
.TP
.I $XDG_STATE_HOME/chassisctl/sim/NAME.json
State of the simulated chassis \fBsim:\fR\fINAME\fR (power, SEL, SDR
timestamps); locked and written atomically, so commands in different shells
agree.
.TP
.I $XDG_CACHE_HOME/chassisctl/sdr/
SDR cache, one file per BMC, checked against Get SDR Repository Info before
use, and \fInames.txt\fR, the sensor names TAB completion offers (one per
line).
.TP
.I $XDG_CACHE_HOME/chassisctl/nodes.txt
Node names of the platform last opened, offered by TAB completion of
\fB\-\-node\fR.
.TP
.I $XDG_CACHE_HOME/chassisctl/sim/
Parsed simulator profiles, keyed by the profile's SHA\-256.
.TP
.I /run/chassisctl/sensor\-names.txt
Sensor names written by \fBchassisctl serve\fR, also offered by TAB completion.
""",
        "examples": r"""
.nf
.RS
chassisctl power status
chassisctl \-\-bus /dev/i2c\-1 sensors \-\-type fan
chassisctl sensors \-\-bus 1 \-\-addr 0x10 \-\-json
chassisctl bmc info
chassisctl sel list \-\-last 20
chassisctl boot set pxe
chassisctl raw 0x06 0x01
CHASSISCTL_BUS=/dev/i2c\-1 chassisctl power status \-\-quiet && echo on
.RE
.fi
""",
    },
    "chassisctl-power": {
        "description": r"""
.BR off ,
.BR cycle ,
.B reset
and
.B soft
take the host down: on a terminal they ask first, naming the target and
whether it is simulated; otherwise they refuse (exit status 2) unless
.B \-\-yes
is given.
A power command is never re\-sent after a timeout: when the BMC took it but
did not answer, the exit status is 75 and the outcome must be checked with
.BR "chassisctl power status" .
""",
        "exit": r"""
.B power status \-\-quiet
exits 0 when the chassis is on and 3 when it is off; other failures use the
codes listed in
.BR chassisctl (8).
""",
        "examples": r"""
.nf
.RS
chassisctl power status
chassisctl power status \-\-quiet || echo off
chassisctl power cycle \-\-yes \-\-wait 60
chassisctl \-\-bus /dev/i2c\-1 power on \-\-json
.RE
.fi
""",
    },
    "chassisctl-sensors": {
        "description": r"""
The SDR repository is read once and cached in
.IR $XDG_CACHE_HOME/chassisctl/sdr/ ;
a warm run costs one Get SDR Repository Info plus one Get Sensor Reading per
sensor.
Status is \fBok\fR, \fBnc\fR (non\-critical), \fBcr\fR (critical), \fBnr\fR
(non\-recoverable), \fBna\fR (not available) or \fBns\fR (no reading).
A sensor whose device does not answer reads \fBna\fR; the others are still shown.
.B \-\-watch
redraws in place on a terminal and prints one JSON document per line with
.BR \-\-json ;
Ctrl\-C ends it with exit status 0.
""",
        "examples": r"""
.nf
.RS
chassisctl sensors
chassisctl sensors \-\-type temperature
chassisctl sensors \-\-name 'PSU*' \-\-watch 2
chassisctl sensors \-\-json | jq '.sensors[] | select(.status != "ok")'
.RE
.fi
""",
    },
    "chassisctl-bmc": {
        "description": r"""
.B bmc reset
restarts the management controller, not the host: \fBwarm\fR restarts its
firmware, \fBcold\fR resets the controller.
It asks on a terminal and needs \fB\-\-yes\fR elsewhere, like the destructive
power verbs, because the BMC does not answer while it restarts.
A reset that was delivered but never answered is reported as sent with
\fB"answered": false\fR (the controller may reset before replying); it is
never re\-sent.
A translated platform has no BMC firmware: its \fBbmc reset\fR is refused with
completion code C1h (exit status 76).
""",
        "examples": r"""
.nf
.RS
chassisctl bmc info
chassisctl bmc info \-\-json
chassisctl bmc reset cold \-\-yes
.RE
.fi
""",
    },
    "chassisctl-chassis": {
        "description": r"""
.B chassis status
is \fBipmitool chassis status\fR: power, the last power event, intrusion,
faults, the power restore policy and the identify light.
\fB\-\-json\fR prints \fBpower\fR, \fBlast_event\fR (a list),
\fBintrusion\fR and \fBrestore_policy\fR (\fBalways\-on\fR, \fBprevious\fR,
\fBalways\-off\fR or \fBunknown\fR, the words \fBchassis policy\fR takes)
among others.
.PP
.B chassis identify
without options lights the LED for the BMC's default, 15 seconds.
What a BMC or platform cannot do (a platform description declares no identify
light or restore policy) is one line naming the command, completion code C1h
and why, with exit status 76.
""",
        "examples": r"""
.nf
.RS
chassisctl chassis status
chassisctl chassis policy previous
chassisctl chassis identify \-\-seconds 60
chassisctl chassis identify \-\-off
.RE
.fi
""",
    },
    "chassisctl-boot": {
        "description": r"""
The boot device override in the BMC's System Boot Options: parameter 5 (boot
flags), written after parameter 4 (boot info acknowledge) inside a
set\-in\-progress bracket, the sequence \fBipmitool chassis bootdev\fR uses, so
each tool reads what the other set.
\fB\-\-once\fR (the default) applies to the next boot only; the BIOS clears
the flags.
\fBboot get \-\-json\fR prints \fBdevice\fR, \fBpersistent\fR and \fBuefi\fR
(and \fBvalid\fR: whether any override is set).
""",
        "examples": r"""
.nf
.RS
chassisctl boot set pxe
chassisctl boot set disk \-\-persistent \-\-uefi
chassisctl boot get \-\-json
chassisctl \-\-platform compute\-4n \-\-node node2 boot set cdrom
.RE
.fi
""",
    },
    "chassisctl-sel": {
        "description": r"""
.B sel list
names each event the way \fBipmitool sel elist\fR does: the sensor type and
the name of the SDR record with the same sensor number, owner and type (else
\fB#0x\fR\fINN\fR), the event, \fBAsserted\fR or \fBDeasserted\fR, and for
threshold events the reading against the threshold in the sensor's unit.
Piped, it prints exactly \fBsel elist\fR's lines (local time zone), except
that event texts use the IPMI specification's words where ipmitool
abbreviates (\fBPower Off / Power Down\fR for ipmitool's \fBPower off/down\fR);
a terminal gets a table, and \fB\-\-json\fR one document whose \fBentries\fR
hold \fBid\fR, \fBtimestamp\fR (RFC 3339 UTC, \fBnull\fR before the BMC's
clock was set), \fBsensor\fR, \fBevent\fR and \fBdirection\fR.
.PP
\fB\-\-follow\fR asks for Get SEL Info every \fB\-\-interval\fR seconds and
reads on from the last entry when it changed, printing new entries until
Ctrl\-C (one JSON document per line with \fB\-\-json\fR).
.B sel clear
asks on a terminal and needs \fB\-\-yes\fR elsewhere.
""",
        "examples": r"""
.nf
.RS
chassisctl sel list \-\-last 20
chassisctl sel list \-\-follow
chassisctl sel info \-\-json
chassisctl sel time \-\-sync
chassisctl sel clear \-\-yes
.RE
.fi
""",
    },
    "chassisctl-fru": {
        "description": r"""
Every FRU the BMC lists \(em the builtin FRU 0 and each logical FRU device
locator in its SDRs \(em or one with \fB\-\-id\fR: chassis, board and product
areas with ipmitool's field names, and the multirecord area.
Problems found while decoding (a bad checksum, an area past the end) are
listed, never repaired.
\fB\-\-json\fR prints \fBfru\fR, a list of \fBid\fR, \fBname\fR, \fBboard\fR,
\fBproduct\fR, \fBchassis\fR, \fBmultirecords\fR and \fBproblems\fR.
""",
        "examples": r"""
.nf
.RS
chassisctl fru
chassisctl fru print \-\-id 0 \-\-json
chassisctl \-\-platform compute\-4n \-\-node node2 fru
.RE
.fi
""",
    },
    "chassisctl-raw": {
        "description": r"""
Bytes parse like
.BR "ipmitool raw" :
\fB0x\fR\fIhh\fR is hexadecimal, anything else decimal; a token such as
\fB1a\fR is refused rather than guessed.
The response data is printed as hexadecimal bytes, 16 per line; an error
completion code is reported with exit status 76.
""",
        "examples": r"""
.nf
.RS
chassisctl raw 0x06 0x01
chassisctl raw 0x00 0x01 \-\-json
chassisctl raw 0x04 0x2d 0x30
.RE
.fi
""",
    },
    "chassisctl-sdr": {
        "examples": r"""
.nf
.RS
chassisctl sdr list
chassisctl sdr list \-\-refresh\-sdr
chassisctl sdr cache show
chassisctl sdr cache flush \-\-all
.RE
.fi
""",
    },
    "chassisctl-serve": {
        "description": r"""
Settings come from the configuration file: \fB[ipmi]\fR (address, cipher
suites, authentication, the BMC key), \fB[[ipmi.users]]\fR (who may log in),
\fB[serve]\fR and, for a platform with several nodes, one \fB[[nodes]]\fR
endpoint per node; see
.BR chassisctl.toml (5).
Without \fB[[ipmi.users]]\fR,
.B serve
refuses to start on a real bus; on the simulator it adds the user
\fBadmin\fR (password \fBadmin\fR) and moves a single endpoint to 127.0.0.1
(not the \fB[[nodes]]\fR endpoints).
.PP
.B serve
runs in the foreground, logs to standard error and prints nothing on
standard output.
With \fBNOTIFY_SOCKET\fR set (systemd \fBType=notify\fR) it sends
\fBREADY=1\fR once every socket is bound, \fBWATCHDOG=1\fR every half
\fBWatchdogSec=\fR, and \fBSTOPPING=1\fR when it stops.
Each service (each IPMI LAN endpoint, the LLDP agent, each relay, metrics)
runs under supervision: one that fails is logged and restarted after 1 s,
then 2, 4 ... up to 60 s, while the others keep serving.
.PP
A BMC that does not answer when \fBserve\fR starts (it often boots after
the host) or stops answering later does not stop it: logins still work,
and every request that needs the BMC is answered at once with completion
code D5h (not supported in present state) while \fBserve\fR retries after
1 s, then 2, 4 ... up to 30 s.
The BMC going and coming back are logged once each; \fBchassisctl status\fR
shows it per node.
Only a bad configuration, a missing bus device or a permission problem
stops \fBserve\fR at start\-up.
At start\-up \fBserve\fR also logs a warning for each weak setting it was
told to allow (cipher suite 0, an empty password ...; see
.BR chassisctl.toml (5)).
.PP
\fBSIGHUP\fR re\-reads the configuration file (with the same options and
environment).
The whole file is checked first; if anything is wrong, one line is logged
and the running configuration stays.
Otherwise only what changed restarts: the IPMI side when \fB[bmc]\fR,
\fB[ipmi]\fR, \fB[[nodes]]\fR or the poll interval changed (its sessions
survive any other change), the LLDP agent when \fB[lldp]\fR changed, each
relay when its own \fB[[dhcp_relay]]\fR table changed, metrics when
\fB[metrics]\fR changed.
systemd is told \fBRELOADING=1\fR before and \fBREADY=1\fR after.
\fBSIGTERM\fR and \fBSIGINT\fR stop every service within 5 s and remove
the control socket; the exit status is then 0.
.PP
The control socket (\fB[serve] socket\fR) answers
.BR "chassisctl status" ,
.B lldp
and
.B "dhcp\-relay status"
without root for members of the \fBchassisctl\fR group.
\fB[metrics]\fR serves Prometheus metrics; see
.BR chassisctl.toml (5).
""",
        "files": r"""
.TP
.I systemd/chassisctl.service
The unit file shipped with the sources: \fBType=notify\fR, a watchdog,
\fBExecReload\fR sending SIGHUP, \fBCAP_NET_RAW\fR and
\fBCAP_NET_BIND_SERVICE\fR only, the I2C devices only.
.TP
.I /run/chassisctl/chassisctl.sock
The control socket (under systemd, in \fB$RUNTIME_DIRECTORY\fR).
""",
        "examples": r"""
.nf
.RS
chassisctl serve \-\-ipmi\-listen 127.0.0.1:6230
systemctl reload chassisctl
chassisctl status
curl \-s http://127.0.0.1:9623/metrics | grep ipmi_temperature
.RE
.fi
""",
    },
    "chassisctl-config": {
        "description": r"""
.B config check
runs every test
.B chassisctl serve
makes before it opens anything: each section and key against the one
declaration of the file's format (unknown keys, with the closest known one;
types; ranges; required keys), then each service's own rules (users and
their secrets, node endpoints against the platform description, LLDP and
relay settings).
It opens no bus and no socket, so it can gate a restart
(\fBExecStartPre=\fR in the shipped unit) or a deployment.
Exit status 0 when the file is valid (warnings about weak settings go to
standard error), 78 with the reason when it is not, 66 when there is no
file.
.PP
.B config show
prints every key with its effective value and its origin: \fBdefault\fR,
\fBfile\fR, \fBenv\fR (with the variable) or \fBflag\fR (with the
option); passwords and keys are masked.
""",
        "examples": r"""
.nf
.RS
chassisctl config check /etc/chassisctl/chassisctl.toml
chassisctl config show ipmi
chassisctl config show \-\-json | jq '.settings[] | select(.origin != "default")'
.RE
.fi
""",
    },
    "chassisctl-lldp": {
        "description": r"""
The neighbour table comes from the LLDP agent of a running
.B chassisctl serve
(enable it with an \fB[lldp]\fR table, see
.BR chassisctl.toml (5)),
asked over its control socket as
.BR lldpcli (8)
asks
.BR lldpd (8):
the answer is immediate and live.
With no agent running the command says so (exit 69);
\fB\-\-listen\fR \fISECONDS\fR then captures on the ports for that long
without sending anything (neighbours speak every 30 s by default), and
\fB\-\-pcap\fR \fIFILE\fR decodes a pcap or pcapng capture.
.PP
The table has one row per neighbour: local port, neighbour (system name),
port id, hold time (the TTL it announced, in seconds), enabled capabilities
as letters (B bridge, R router, W WLAN access point, S station, T telephone,
P repeater, C DOCSIS, V C\-VLAN, s S\-VLAN, M TPMR, O other) and chassis id.
Piped, the rows are plain aligned text under one header line.
.PP
\fB\-\-json\fR prints \fB{"schema": 1, "source": "agent", "neighbors": [...],
"departed": [...], "local": {...}}\fR: one flat record per neighbour, the same
shape whether there are none, one or many.
Each record has \fBlocal_port\fR, \fBchassis_id\fR, \fBchassis_id_subtype\fR
(\fBmac\fR, \fBnetwork\-address\fR, \fBifname\fR, \fBlocal\fR, ...),
\fBport_id\fR, \fBport_id_subtype\fR, \fBsystem_name\fR,
\fBsystem_description\fR, \fBport_description\fR, \fBttl\fR, \fBage_s\fR,
\fBexpires_in_s\fR, \fBcapabilities\fR (\fBsupported\fR and \fBenabled\fR
lists), \fBmanagement_addresses\fR (address, family, interface), the IEEE
802.1 values (\fBpvid\fR, \fBppvids\fR, \fBvlans\fR, \fBprotocols\fR,
\fBmanagement_vid\fR, \fBlink_aggregation\fR), the IEEE 802.3 ones
(\fBmac_phy\fR, \fBpower_mdi\fR, \fBmax_frame_size\fR), \fBmed\fR (LLDP\-MED
capabilities, network policies, locations, power, inventory, or null),
\fBunknown_tlvs\fR (type, OUI, subtype and hex data of every TLV not decoded)
and \fBdiscarded_tlvs\fR.
Absent values are null and repeated ones are lists, never missing keys.
\fBdeparted\fR lists recent departures with their \fBreason\fR
(\fBttl\-expired\fR, \fBshutdown\fR, \fBport\-down\fR, \fBtoo\-many\fR).
.PP
\fBlldp statistics\fR shows the IEEE 802.1AB counters per port: frames in
and out, frames discarded and in error (by reason in \fB\-\-json\fR:
\fBtruncated\fR, \fBtlv\-overrun\fR, \fBmissing\-chassis\-id\fR,
\fBmissing\-port\-id\fR, \fBmissing\-ttl\fR, \fBbad\-ttl\fR,
\fBduplicate\-mandatory\fR, ...), TLVs discarded and unrecognised, ageouts,
inserts, deletes and neighbours dropped for lack of room. In \fB\-\-json\fR,
\fBservice\fR adds the agent's own counters: ports that vanished while it
ran (\fBports_vanished\fR), netlink address events seen and the interface
refreshes they caused (\fBaddress_events\fR, \fBaddress_refreshes\fR).
""",
        "exit": r"""
.TP
0
The table or statistics were printed (an empty table is a success).
.TP
2
A bad option, or \fB\-\-port\fR names a port the agent does not run on.
.TP
65
\fB\-\-pcap\fR: the file is not a pcap or pcapng capture, or is damaged.
.TP
66
\fB\-\-pcap\fR: the file does not exist.
.TP
69
No agent answers on the control socket (start \fBchassisctl serve\fR with
\fB[lldp]\fR, or use \fB\-\-listen\fR).
.TP
77
The control socket is not ours to use (not root and not in the
\fBchassisctl\fR group), is owned by a stranger, or \fB\-\-listen\fR lacks
root or \fBCAP_NET_RAW\fR.
""",
        "examples": r"""
.nf
chassisctl lldp neighbors
chassisctl lldp neighbors \-\-port eth2 \-\-details
chassisctl lldp neighbors \-\-json | jq \-r '.neighbors[] | [.local_port, .system_name, .port_id] | @tsv'
chassisctl lldp neighbors \-\-watch 2
chassisctl lldp neighbors \-\-listen 35 \-\-port eth0
chassisctl lldp neighbors \-\-pcap capture.pcapng \-\-json
chassisctl lldp statistics
.fi
""",
    },
    "chassisctl-status": {
        "description": r"""
Asks the running
.B chassisctl serve
over its control socket: the power state of each node, its sensors grouped
by their worst status (non\-recoverable, critical, non\-critical, not
available, then a count of the ones that are ok), each service's state
(\fBup\fR, \fBrestarting\fR, \fBoff\fR), uptime and restarts, the LLDP
neighbours per port and the relay counters.
Readings are at most the serve poll interval old.
Without a running
.B serve
it says so in one line and exits 69.
""",
        "examples": r"""
.nf
.RS
chassisctl status
watch \-n1 chassisctl status
chassisctl status \-\-json | jq '.nodes[] | {node, power}'
.RE
.fi
""",
    },
    "chassisctl-dhcp-relay": {
        "description": r"""
.B dhcp\-relay start
relays DHCPv4 (or, with \fB\-6\fR, DHCPv6) between the clients on the
\fB\-\-downstream\fR interfaces and the DHCP servers named by \fB\-\-server\fR,
several routed hops away.
It runs in the foreground until SIGINT or SIGTERM, logs one line on standard
error per problem (at most one per interface and reason every 10 seconds, with
the number left out), then prints its counters and exits 0.
The same relay runs as a service of
.BR chassisctl\-serve (8)
from \fB[[dhcp_relay]]\fR tables (one per VLAN interface, say), and
.B dhcp\-relay status
shows the counters of those instances through serve's control socket.
.PP
DHCPv4 requests (RFC 1542, RFC 2131) are heard on a packet socket per
client\-side interface, filtered in the kernel to UDP port 67.
Their IPv4 and UDP checksums are verified (unless the kernel marks the
checksum as not yet computed, as on a veth, or as already verified), and
the message and its options are parsed; anything malformed is dropped and
counted.
A request whose \fBhops\fR exceeds \fB\-\-max\-hops\fR (default 4, at most 16)
is dropped; otherwise \fBhops\fR is incremented.
With giaddr 0 the relay sets giaddr to the interface's address
(\fB\-\-giaddr\fR picks one of several) and, with \fB\-\-option82\fR, adds
option 82 (RFC 3046) as the last option: the circuit ID
(\fB\-\-circuit\-id\fR, default the interface name), the remote ID
(\fB\-\-remote\-id\fR), link selection (sub\-option 5, RFC 3527) and server
identifier override (sub\-option 11, RFC 5107).
A client that already sent option 82 with giaddr 0 is dropped unless its
interface is \fB\-\-trusted\fR; on a trusted interface the policy applies:
\fBappend\fR (our sub\-options after the client's, still one option 82),
\fBreplace\fR, \fBforward\fR (unchanged) or \fBdiscard\fR.
A request from another relay (giaddr set) is forwarded unchanged but for
\fBhops\fR.
Every request goes to every server, by UDP from port 67, except to servers
on the very link it came from.
.PP
Replies are accepted only from the configured servers, wherever they
arrive.
The client's interface is the one whose address is in sub\-option 5 or
giaddr (or whose circuit ID the reply echoes); option 82 is removed
wherever it sits, the echoed circuit ID must be that interface's, and the
reply is broadcast or sent to the client's hardware address as RFC 2131
§4.1 says (broadcast flag, ciaddr, yiaddr), in a frame with correct IPv4
and UDP checksums.
.PP
With \fB\-6\fR (RFC 8415 §19), the relay joins ff02::1:2 on the downstream
interfaces, wraps client messages in Relay\-Forward (link\-address = the
interface's global address, Interface\-ID = its name, Remote\-ID with
\fB\-\-remote\-id\fR, the client's link\-layer address when its link\-local
address reveals it), wraps a lower relay's Relay\-Forward again (dropped
when its hop count reaches \fB\-\-max\-hops\fR, default 8), and unwraps
Relay\-Reply from the configured servers to the client or lower relay.
.PP
Interfaces are followed through netlink: an address that changes, or an
interface that vanishes and returns, needs no restart.
The relay refuses to start (exit 78) when a named interface does not exist,
a DHCPv4 downstream interface has no IPv4 address, \fB\-\-giaddr\fR is not
one of its addresses, or another chassisctl relay already serves the
interface in this network namespace; an interface listed both upstream and
downstream is a usage error (exit 2).
It needs CAP_NET_RAW (exit 77 otherwise).
.PP
Counters, per interface a packet arrived on: \fBreceived\fR, \fBrelayed\fR
and \fBdropped\fR by reason:
\fBbad_checksum\fR, \fBtruncated\fR, \fBmalformed\fR, \fBmax_hops\fR,
\fBuntrusted_option82\fR, \fBoption82_policy\fR, \fBloop\fR (our own giaddr),
\fBnot_for_relay\fR, \fBnot_request\fR, \fBno_address\fR,
\fBsame_segment\fR, \fBunknown_server\fR, \fBunknown_interface\fR,
\fBunknown_giaddr\fR, \fBcircuit_id_mismatch\fR, \fBunexpected_type\fR,
\fBnot_downstream\fR and \fBqueue_full\fR (the kernel's receive queue
overflowed: the relay kept relaying and the excess was dropped).
Client frames are read from a memory-mapped packet ring; \fBqueue_full\fR
on an interface counts frames the full ring could not take, and
\fBtruncated\fR includes frames longer than a ring slot (the ring is
reopened when the interface's MTU grows). On the pseudo-interface
\fB(socket)\fR, \fBqueue_full\fR is the network namespace's UDP
receive-buffer errors (\fBRcvbufErrors\fR) since the relay started, which
include other UDP sockets of the namespace.
Under \fBserve\fR with \fB[metrics]\fR, the same counters are on
\fB/metrics\fR as \fBchassisctl_dhcp_relay_received_total\fR,
\fBchassisctl_dhcp_relay_relayed_total\fR and
\fBchassisctl_dhcp_relay_dropped_total\fR (labels \fBrelay\fR, e.g.
"v4 eth0.100", \fBinterface\fR and \fBreason\fR).
""",
        "examples": r"""
One VLAN interface towards the clients, two distant servers, option 82 with
the switch's name and port:
.PP
.nf
.RS
chassisctl dhcp\-relay start \-\-downstream eth0.100 \-\-upstream eth1 \e
    \-\-server 198.51.100.2 203.0.113.2 \-\-option82 replace \e
    \-\-circuit\-id hostname:ifname \-\-remote\-id mac
chassisctl dhcp\-relay start \-6 \-\-downstream eth0.100 \-\-server 2001:db8:2::2
chassisctl dhcp\-relay status \-\-json
.RE
.fi
""",
    },
    "chassisctl-completion": {
        "description": r"""
TAB completion is answered from a static command tree without loading the
command line framework; sensor names come from the SDR cache, never from the
bus.
.B \-\-install
writes the script to the per\-user directory the shell's completion loader
searches; no rc file is edited:
.TP
bash
.I $BASH_COMPLETION_USER_DIR/completions/chassisctl
(by default
.IR ~/.local/share/bash\-completion/completions/chassisctl ,
below \fB$XDG_DATA_HOME\fR when set)
.TP
zsh
.I ~/.zfunc/_chassisctl
(add \fBfpath+=~/.zfunc\fR before \fBcompinit\fR in \fI~/.zshrc\fR)
.TP
fish
.I $XDG_CONFIG_HOME/fish/completions/chassisctl.fish
(by default below \fI~/.config\fR)
""",
        "files": r"""
.TP
.I /usr/share/bash\-completion/completions/chassisctl
.TQ
.I /usr/share/zsh/vendor\-completions/_chassisctl
.TQ
.I /usr/share/fish/vendor_completions.d/chassisctl.fish
System\-wide locations for the scripts (as a distribution package installs them).
""",
        "examples": r"""
.nf
.RS
chassisctl completion bash > /usr/share/bash\-completion/completions/chassisctl
chassisctl completion zsh \-\-install
.RE
.fi
""",
    },
}
