import { kubeClientContract } from '../contract.js';
import { VirtualClock } from '../../utils/clock.js';
import { MemoryKubeClient } from './memory-client.js';

kubeClientContract('memory', () => {
  const clock = new VirtualClock();
  const client = new MemoryKubeClient({ clock, freezeStored: true });
  return Promise.resolve({
    client,
    cleanup: () => Promise.resolve(client.close()),
    advance: async (ms: number) => void (await clock.step(ms)),
    expireHistory: () => Promise.resolve(client.faults.expireHistory()),
  });
});
