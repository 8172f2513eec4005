// A last will is a publish the broker makes on its client's behalf, possibly long after the
// client left and from another process: a hub restarted on the same database publishes the
// dead broker's stored wills with no client attached. So a will is checked twice against its
// owner's ACL: at CONNECT, before it is stored, and again when it is published client-less.
import type { BoxRegistry, Principal } from './box-registry.js';

/** A will as aedes stores it: the CONNECT's will plus the client id and broker id it adds. */
export interface StoredWill {
  topic: string;
  clientId?: unknown;
  owner?: unknown;
}

/**
 * Records who authenticated for this will. It is stored with the will (persistence keeps every
 * field) and aedes drops it when the will is published (aedes-packet copies known fields only).
 */
export function stampOwner(will: StoredWill, p: Principal): void {
  will.owner = p.username;
}

/** The will's owner with its current rights; null if unknown or disabled since. */
export function ownerOf(registry: BoxRegistry, will: StoredWill): Principal | null {
  // A will stored before owners were stamped: a box's client id is its username.
  const username = typeof will.owner === 'string' ? will.owner : typeof will.clientId === 'string' ? will.clientId : null;
  return username ? registry.principal(username) : null;
}
