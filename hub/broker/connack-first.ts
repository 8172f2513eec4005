// MQTT 3.1.1 §3.2.0-1: the first packet a server sends is CONNACK. aedes 1.2 restores a
// persistent session's subscriptions before it writes CONNACK, so a message published in
// that window (here: an ack while the hub forwards) reaches the client first. mqtt.js then
// stalls until its connect timeout (seen in tests/integration/hub-restart.test.ts; the same
// class of bug as aedes issue #80). This holds every packet written to a connecting client
// until its CONNACK has gone out, by wrapping mqtt-packet's writeToStream, which aedes calls
// for every write.
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';

interface PacketLike { cmd: string }
type WriteToStream = (packet: PacketLike, stream: Writable, opts?: unknown) => boolean;

const require = createRequire(import.meta.url);
// Resolved from aedes's own location so the patch hits the copy aedes uses.
const mqttPacket = require(require.resolve('mqtt-packet', { paths: [require.resolve('aedes')] })) as { writeToStream: WriteToStream };

const held = new WeakMap<Writable, [PacketLike, unknown][]>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const original = mqttPacket.writeToStream;
  mqttPacket.writeToStream = (packet, stream, opts) => {
    const queue = held.get(stream);
    if (!queue) return original(packet, stream, opts);
    if (packet.cmd !== 'connack') {
      queue.push([packet, opts]);
      return true;
    }
    held.delete(stream);
    let ok = original(packet, stream, opts);
    for (const [p, o] of queue) ok = original(p, stream, o) && ok;
    return ok;
  };
}

/** Call from aedes preConnect with the client's connection. */
export function holdUntilConnack(conn: Writable): void {
  install();
  held.set(conn, []);
}
