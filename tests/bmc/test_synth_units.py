"""Units in synthesised SDRs: a percentage sensor carries the SDR percentage bit."""

from chassisctl.bmc.synth import SensorDecl, synthesize
from chassisctl.ipmi.sdr import parse_record


def test_percentage_sensor_sets_the_units_bit_and_reads_as_percent() -> None:
    decl = SensorDecl(0x30, "Fan Duty", 0x04, 0x1D, 1, unit=0, percentage=True, range=(0.0, 100.0))
    record = parse_record(synthesize(decl, 7).record.encode())
    assert record.percentage
    assert record.unit_text() == "percent"
