/**
 * The simulated machine room: two nodes per BMC (…b0n0, …b0n1 behind …b0), 8 slots per
 * chassis, 8 chassis per cabinet, cabinets x1000, x1001, …; nids 1..N, hostnames nid000001….
 */
export interface NodePlace {
  index: number;
  xname: string;
  bmc: string;
  /** 0 or 1: the node's position behind its BMC. */
  slotNode: number;
  nid: number;
  hostname: string;
}

export const NODES_PER_BMC = 2;
const SLOTS_PER_CHASSIS = 8;
const CHASSIS_PER_CABINET = 8;
const FIRST_CABINET = 1000;

export function placeNode(index: number): NodePlace {
  const bmcIndex = Math.floor(index / NODES_PER_BMC);
  const slotNode = index % NODES_PER_BMC;
  const slot = bmcIndex % SLOTS_PER_CHASSIS;
  const chassis = Math.floor(bmcIndex / SLOTS_PER_CHASSIS) % CHASSIS_PER_CABINET;
  const cabinet = FIRST_CABINET + Math.floor(bmcIndex / (SLOTS_PER_CHASSIS * CHASSIS_PER_CABINET));
  const bmc = `x${cabinet}c${chassis}s${slot}b0`;
  const nid = index + 1;
  return { index, xname: `${bmc}n${slotNode}`, bmc, slotNode, nid, hostname: `nid${String(nid).padStart(6, '0')}` };
}

export function systemIdFor(profile: 'cray-ex' | 'generic', slotNode: number): string {
  return profile === 'cray-ex' ? `Node${slotNode}` : `System.Embedded.${slotNode + 1}`;
}
