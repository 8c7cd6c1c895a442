/** The standard node labels the catalogues set (the full well-known list lives in apis/). */
export const LABEL_INSTANCE_TYPE = 'node.kubernetes.io/instance-type';
export const LABEL_ARCH = 'kubernetes.io/arch';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_REGION = 'topology.kubernetes.io/region';

export const GiB = 2 ** 30;
export const MiB = 2 ** 20;
