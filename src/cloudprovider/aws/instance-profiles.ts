/**
 * Instance profiles nodewright manages for EC2NodeClasses that name an IAM `role`: one per node
 * class, named deterministically from the cluster, region and node class (so a restart or another
 * replica finds the same one), holding exactly that role, tagged as this cluster's. Created on
 * first use and kept for a while on the Clock; deleted when the node class goes.
 */
import { createHash } from 'node:crypto';
import type { IAMClient, InstanceProfile, Tag } from '@aws-sdk/client-iam';
import {
  AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, DeleteInstanceProfileCommand, GetInstanceProfileCommand,
  RemoveRoleFromInstanceProfileCommand, TagInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import type { Clock } from '../../utils/clock.js';
import { CloudProviderError } from '../cloud-provider.js';
import { awsErrorInfo } from './errors.js';
import { clusterTag, NODECLASS_TAG } from './launch-templates.js';
import type { Retrier } from './retry.js';

/** Which cluster's nodewright (or Karpenter) manages a resource. */
export const MANAGED_BY_TAG = 'karpenter.sh/managed-by';
/** How long a profile found in order is trusted before IAM is asked again. */
export const DEFAULT_INSTANCE_PROFILE_TTL_MS = 15 * 60_000;

/**
 * `<cluster>_<hash>`: the hash of region and node class name keeps it unique per node class and
 * within IAM's 128 characters (cluster names are at most 100).
 */
export function instanceProfileName(cluster: string, region: string, nodeClassName: string): string {
  return `${cluster}_${createHash('sha256').update(`${region}\u0000${nodeClassName}`).digest('hex').slice(0, 20)}`;
}

/** The role's name, from a name or an ARN (arn:aws:iam::<account>:role/<path>/<name>). */
export function roleNameOf(role: string): string {
  return role.startsWith('arn:') ? role.slice(role.lastIndexOf('/') + 1) : role;
}

/**
 * The instance profile of a node class cannot be set up for a reason a retry will not fix (the
 * role does not exist, IAM refuses access): the node class is not ready, and says so.
 */
export class InstanceProfileError extends Error {
  override readonly name = 'InstanceProfileError';
  readonly role: string;

  constructor(message: string, role: string, options?: ErrorOptions) {
    super(message, options);
    this.role = role;
  }
}

export interface InstanceProfilesOptions {
  readonly iam: IAMClient;
  readonly retry: Retrier;
  readonly clock: Clock;
  readonly cluster: string;
  readonly region: string;
  readonly ttlMs?: number;
}

const codeOf = (e: unknown): string => awsErrorInfo(e instanceof CloudProviderError && e.cause !== undefined ? e.cause : e).code;
const isNoSuchEntity = (e: unknown): boolean => /^NoSuchEntity/.test(codeOf(e));

export class InstanceProfiles {
  readonly #o: InstanceProfilesOptions;
  readonly #ensured = new Map<string, { at: number; value: Promise<string> }>();

  constructor(options: InstanceProfilesOptions) {
    this.#o = options;
  }

  /** The name of the profile this node class gets. */
  nameFor(nodeClassName: string): string {
    return instanceProfileName(this.#o.cluster, this.#o.region, nodeClassName);
  }

  /**
   * The node class's profile, created, tagged and holding `role` (replacing another role), on
   * first use and again once the TTL has passed. Failures are not cached.
   * @returns the profile's name.
   * @throws InstanceProfileError naming the role for a failure a retry will not fix;
   *   CloudProviderError (retryable) when IAM keeps throttling or failing.
   */
  ensure(nodeClassName: string, role: string): Promise<string> {
    const name = this.nameFor(nodeClassName);
    const key = `${name}\u0000${role}`;
    const now = this.#o.clock.now();
    const hit = this.#ensured.get(key);
    if (hit !== undefined && now - hit.at < (this.#o.ttlMs ?? DEFAULT_INSTANCE_PROFILE_TTL_MS)) return hit.value;
    const value = this.#ensure(name, nodeClassName, roleNameOf(role));
    const entry = { at: now, value };
    this.#ensured.set(key, entry);
    value.catch(() => { if (this.#ensured.get(key) === entry) this.#ensured.delete(key); });
    return value;
  }

  /**
   * Removes the node class's profile (its roles first) when it is this cluster's; idempotent.
   * @returns whether a profile was deleted (false: none, or not tagged as this cluster's).
   * @throws CloudProviderError when IAM fails.
   */
  async delete(nodeClassName: string): Promise<boolean> {
    const name = this.nameFor(nodeClassName);
    for (const key of this.#ensured.keys()) if (key.startsWith(`${name}\u0000`)) this.#ensured.delete(key);
    const what = `deleting instance profile ${name} of EC2NodeClass ${nodeClassName}`;
    const profile = await this.#get(name, what);
    if (profile === undefined) return false;
    if (!profile.Tags?.some((t) => t.Key === MANAGED_BY_TAG && t.Value === this.#o.cluster)) return false;
    try {
      for (const r of profile.Roles ?? []) await this.#removeRole(name, r.RoleName ?? '', what);
      await this.#o.retry.run(what, () => this.#o.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name })));
    } catch (e) {
      if (isNoSuchEntity(e)) return true;
      throw e;
    }
    return true;
  }

  async #get(name: string, what: string): Promise<InstanceProfile | undefined> {
    try {
      return (await this.#o.retry.run(`${what}: reading it`, () => this.#o.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name })))).InstanceProfile;
    } catch (e) {
      if (isNoSuchEntity(e)) return undefined;
      throw e;
    }
  }

  async #removeRole(name: string, role: string, what: string): Promise<void> {
    try {
      await this.#o.retry.run(`${what}: removing role "${role}"`, () => this.#o.iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: role })));
    } catch (e) {
      if (!isNoSuchEntity(e)) throw e;
    }
  }

  async #ensure(name: string, nodeClassName: string, role: string): Promise<string> {
    const { iam, retry, cluster } = this.#o;
    const what = `setting up instance profile ${name} with role "${role}" for EC2NodeClass ${nodeClassName}`;
    const tags: Tag[] = [
      { Key: MANAGED_BY_TAG, Value: cluster },
      { Key: NODECLASS_TAG, Value: nodeClassName },
      { Key: clusterTag(cluster), Value: 'owned' },
    ];
    try {
      let profile = await this.#get(name, what);
      if (profile === undefined) {
        try {
          profile = (await retry.run(`${what}: creating it`, () => iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: tags })))).InstanceProfile;
        } catch (e) {
          // Another replica created it between our read and create.
          if (!/^EntityAlreadyExists/.test(codeOf(e))) throw e;
          profile = await this.#get(name, what);
        }
      } else if (!tags.every((t) => profile?.Tags?.some((have) => have.Key === t.Key && have.Value === t.Value))) {
        await retry.run(`${what}: tagging it`, () => iam.send(new TagInstanceProfileCommand({ InstanceProfileName: name, Tags: tags })));
      }
      const roles = (profile?.Roles ?? []).map((r) => r.RoleName ?? '');
      if (roles.includes(role)) return name;
      // A profile holds one role: the node class's role changed.
      for (const old of roles) await this.#removeRole(name, old, what);
      try {
        await retry.run(`${what}: adding the role`, () => iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: role })));
      } catch (e) {
        if (isNoSuchEntity(e)) throw new InstanceProfileError(`${what}: role "${role}" does not exist`, role, { cause: e });
        throw e;
      }
      return name;
    } catch (e) {
      if (e instanceof InstanceProfileError || !(e instanceof CloudProviderError) || e.retryable) throw e;
      throw new InstanceProfileError(e.message, role, { cause: e });
    }
  }
}
