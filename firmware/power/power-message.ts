// The `power` status in the uplink's MQTT contract (kkt/v1/{store}/{box}/power, retained,
// QoS 1; schema `powerMessage` in the hub branch's shared/mqtt/messages.ts: v, source,
// battery_pct, state, at). The uplink's StatusPublisher turns the power sequence's status
// into this with one call. Extra facts (grace, power-off time, reason) ride along: the hub
// strips unknown telemetry fields, so an older hub still accepts the message.
export interface PowerContractMessage {
  v: 1;
  source: 'mains' | 'battery';
  /** No fuel gauge is read yet (X728/X1200 have one on I2C 0x36). */
  battery_pct: number | null;
  state: 'ok' | 'low' | 'shutting_down';
  at: string;
  [extra: string]: unknown;
}

/** Maps the retained `power` status of PowerSequence to the contract message. */
export function toPowerContract(status: Record<string, unknown>): PowerContractMessage {
  const mainsLost = status.mains === false || status.state === 'on_battery';
  const stopping = status.state === 'shutting_down' || status.state === 'stopped';
  const { node: _node, state: sequence, at, mains: _mains, ...extra } = status;
  return {
    ...extra,
    v: 1,
    source: mainsLost ? 'battery' : 'mains',
    battery_pct: null,
    state: stopping ? 'shutting_down' : 'ok',
    at: typeof at === 'string' ? at : new Date().toISOString(),
    sequence,
  };
}
