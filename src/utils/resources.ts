/**
 * Resource lists as plain numbers: "cpu" in millicores, every other resource in whole base units
 * (memory and storage in bytes, pods and extended resources as counts). Exact for integers up to
 * 2^53 (8 PiB of memory), which covers any real machine.
 */
export type ResourceList = Readonly<Record<string, number>>;

export const CPU = 'cpu';
export const MEMORY = 'memory';
export const PODS = 'pods';
export const EPHEMERAL_STORAGE = 'ephemeral-storage';
