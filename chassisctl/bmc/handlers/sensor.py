"""Sensor/Event netFn (04h): readings, thresholds, hysteresis, event enables, factors.

The hysteresis codec is imported by its handler: a sensor listing never loads it.
"""

from __future__ import annotations


from chassisctl.ipmi import sensor_cmds
from chassisctl.ipmi.codes import SensorCmdInt

TYPE_CHECKING = False

if TYPE_CHECKING:
    from chassisctl.bmc.responder import Handler, Responder, Result


def get_sensor_reading(rsp: Responder, data: bytes, now: float) -> Result:
    return rsp.model.read_sensor(sensor_cmds.parse_sensor_number(data))


def get_sensor_thresholds(rsp: Responder, data: bytes, now: float) -> Result:
    return rsp.model.sensor_thresholds(sensor_cmds.parse_sensor_number(data))


def get_sensor_hysteresis(rsp: Responder, data: bytes, now: float) -> Result:
    from chassisctl.ipmi import sensor_params

    return rsp.model.sensor_hysteresis(sensor_params.parse_get_sensor_hysteresis(data))


def get_sensor_event_enable(rsp: Responder, data: bytes, now: float) -> Result:
    return rsp.model.sensor_event_enable(sensor_cmds.parse_sensor_number(data))


def get_sensor_reading_factors(rsp: Responder, data: bytes, now: float) -> Result:
    req = sensor_cmds.ReadingFactorsRequest.decode(data)
    return rsp.model.sensor_reading_factors(req.number, req.reading)


HANDLERS: dict[int, Handler] = {
    SensorCmdInt.GET_SENSOR_READING: get_sensor_reading,
    SensorCmdInt.GET_SENSOR_THRESHOLDS: get_sensor_thresholds,
    SensorCmdInt.GET_SENSOR_HYSTERESIS: get_sensor_hysteresis,
    SensorCmdInt.GET_SENSOR_EVENT_ENABLE: get_sensor_event_enable,
    SensorCmdInt.GET_SENSOR_READING_FACTORS: get_sensor_reading_factors,
}
