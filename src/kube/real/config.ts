/**
 * Where the real client finds its API server and credentials: a kubeconfig file (its current
 * context), or the in-cluster service account (KUBERNETES_SERVICE_HOST/PORT and the token and CA
 * mounted under /var/run/secrets/kubernetes.io/serviceaccount).
 */
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

export type KubeConfigSource =
  | { kind: 'file'; path: string; /** Use this context instead of the file's current one. */ context?: string }
  | { kind: 'in-cluster'; /** Prefix of the service-account mount (tests point it at a temporary folder). */ pathPrefix?: string };

/** The configuration could not be loaded; the message names the source and what is missing. */
export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function loadFile(kc: KubeConfig, path: string, context: string | undefined): void {
  if (!existsSync(path)) throw new KubeConfigError(`loading kubeconfig ${path}: the file does not exist`);
  try {
    kc.loadFromFile(path);
  } catch (err) {
    throw new KubeConfigError(`loading kubeconfig ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (context !== undefined) {
    if (!kc.getContextObject(context)) throw new KubeConfigError(`loading kubeconfig ${path}: it has no context "${context}"`);
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) throw new KubeConfigError(`loading kubeconfig ${path}: the current context names no cluster`);
}

function loadInCluster(kc: KubeConfig, prefix: string): void {
  const doing = 'loading the in-cluster configuration';
  const { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: port } = process.env;
  if (!host || !port) throw new KubeConfigError(`${doing}: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (not running in a pod?)`);
  for (const file of ['token', 'ca.crt']) {
    if (!existsSync(`${prefix}${SA_DIR}/${file}`)) throw new KubeConfigError(`${doing}: ${prefix}${SA_DIR}/${file} does not exist (no service account mounted?)`);
  }
  kc.loadFromCluster(prefix);
}

/**
 * Loads a KubeConfig from the source.
 * @throws KubeConfigError when the file is missing or malformed, names no cluster or lacks the
 *   requested context, or (in-cluster) the environment or service-account files are missing.
 */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  switch (source.kind) {
    case 'file':
      loadFile(kc, source.path, source.context);
      break;
    case 'in-cluster':
      loadInCluster(kc, source.pathPrefix ?? '');
      break;
  }
  return kc;
}
