/**
 * Node requirements that come from a pod's volumes: a bound PersistentVolume's node affinity (a zonal
 * disk pins its pod to the zone) and, for a claim not yet bound, its StorageClass's allowedTopologies.
 */
import type { Pod } from '../apis/core.js';
import { Requirement, Requirements } from './requirements.js';
import type { SolverVolumes } from './types.js';

export class VolumeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VolumeError';
  }
}

/** The claims, volumes and classes of a SolverVolumes by name. */
interface VolumeIndex {
  readonly pvcs: Map<string, NonNullable<SolverVolumes['persistentVolumeClaims']>[number]>;
  readonly pvs: Map<string, NonNullable<SolverVolumes['persistentVolumes']>[number]>;
  readonly classes: Map<string, NonNullable<SolverVolumes['storageClasses']>[number]>;
}

function indexVolumes(volumes: SolverVolumes | undefined): VolumeIndex {
  const index: VolumeIndex = { pvcs: new Map(), pvs: new Map(), classes: new Map() };
  for (const pvc of volumes?.persistentVolumeClaims ?? []) index.pvcs.set(`${pvc.metadata.namespace ?? 'default'}/${pvc.metadata.name ?? ''}`, pvc);
  for (const pv of volumes?.persistentVolumes ?? []) index.pvs.set(pv.metadata.name ?? '', pv);
  for (const sc of volumes?.storageClasses ?? []) index.classes.set(sc.metadata.name ?? '', sc);
  return index;
}

export class VolumeTopology {
  readonly #volumes: SolverVolumes | undefined;
  /** Built on the first claim looked up: most solves hold no pod with a claim. */
  #index: VolumeIndex | undefined;

  constructor(volumes: SolverVolumes | undefined, private readonly normalizeKey: (k: string) => string) {
    this.#volumes = volumes;
  }

  get #byName(): VolumeIndex {
    return (this.#index ??= indexVolumes(this.#volumes));
  }

  /**
   * The requirements a node must meet for this pod's volumes; undefined when none.
   * @throws VolumeError when a claim or its volume is missing (the pod cannot start anywhere).
   */
  requirementsFor(pod: Pod): Requirements | undefined {
    let out: Requirements | undefined;
    const namespace = pod.metadata.namespace ?? 'default';
    for (const v of pod.spec.volumes ?? []) {
      const claimName = v.persistentVolumeClaim?.claimName;
      if (!claimName) continue;
      const pvc = this.#byName.pvcs.get(`${namespace}/${claimName}`);
      if (!pvc) throw new VolumeError(`volume ${v.name}: persistentvolumeclaim ${namespace}/${claimName} not found`);
      const reqs = this.#claimRequirements(pvc.spec.volumeName, pvc.spec.storageClassName, `${namespace}/${claimName}`);
      if (reqs) (out ??= new Requirements()).addAll(reqs);
    }
    return out;
  }

  #claimRequirements(volumeName: string | undefined, className: string | undefined, claim: string): Requirements | undefined {
    if (volumeName) {
      const pv = this.#byName.pvs.get(volumeName);
      if (!pv) throw new VolumeError(`persistentvolumeclaim ${claim} is bound to persistentvolume ${volumeName}, which does not exist`);
      // Several terms are ORed; the first is the one a zonal volume carries.
      const term = pv.spec.nodeAffinity?.required?.nodeSelectorTerms[0];
      if (!term?.matchExpressions?.length) return undefined;
      const r = new Requirements();
      for (const e of term.matchExpressions) r.add(Requirement.fromSelector(this.normalizeKey(e.key), e.operator, e.values));
      return r;
    }
    const sc = className ? this.#byName.classes.get(className) : undefined;
    if (!sc || sc.volumeBindingMode !== 'WaitForFirstConsumer') return undefined;
    const term = sc.allowedTopologies?.[0];
    if (!term?.matchLabelExpressions?.length) return undefined;
    const r = new Requirements();
    for (const e of term.matchLabelExpressions) r.add(Requirement.in(this.normalizeKey(e.key), e.values));
    return r;
  }
}
