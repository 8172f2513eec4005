// aedes and mqtt-packet take any packet up to MQTT's 256 MiB and buffer it whole before anyone
// can look at it, so one connection could make the hub hold and parse 100 MiB. This checks the
// remaining length as soon as the fixed header is read (before the body is buffered) and
// fails the parser the way a malformed packet does: aedes then closes that connection.
import { createRequire } from 'node:module';
import type { Client } from 'aedes';

interface ParserLike {
  packet: { cmd?: string; length: number };
  _parseLength(): boolean;
  _emitError(err: Error): void;
}

const require = createRequire(import.meta.url);
// Resolved from aedes's own location so the check hits the parser class aedes uses.
const mqttPacket = require(require.resolve('mqtt-packet', { paths: [require.resolve('aedes')] })) as { parser(): ParserLike };
// Private API: fail at start-up, not on the first connection, if a release renames it.
const probe = mqttPacket.parser();
if (typeof probe._parseLength !== 'function' || typeof probe._emitError !== 'function') {
  throw new Error('mqtt-packet parser internals changed: the broker cannot cap packet sizes');
}

export class PacketTooLargeError extends Error {
  constructor(readonly bytes: number, readonly max: number) {
    super(`packet of ${bytes} bytes exceeds the limit of ${max}`);
  }
}

/**
 * Caps the packets `client` may send. `maxBytes` is read per packet, so it may change once the
 * client is known; `onTooLarge` runs before the connection is closed.
 */
export function capPacketSize(client: Client, maxBytes: () => number, onTooLarge: (err: PacketTooLargeError) => void): void {
  const parser = (client as unknown as { _parser?: ParserLike })._parser;
  if (!parser || typeof parser._parseLength !== 'function') throw new Error('aedes client has no mqtt-packet parser');
  const parseLength = parser._parseLength.bind(parser);
  parser._parseLength = () => {
    if (!parseLength()) return false;
    const max = maxBytes();
    if (parser.packet.length <= max) return true;
    const err = new PacketTooLargeError(parser.packet.length, max);
    onTooLarge(err);
    parser._emitError(err);
    return false;
  };
}
