import type { ServiceInstance } from './service-instance.js';

/**
 * The instances carrying every tag of `tags` with the same value (all of them when `tags` is
 * undefined or empty), in their original order.
 */
export function filterByTags(
  instances: readonly ServiceInstance[],
  tags: Readonly<Record<string, string>> | undefined,
): readonly ServiceInstance[] {
  if (tags === undefined) return instances;
  const wanted = Object.entries(tags);
  if (wanted.length === 0) return instances;
  return instances.filter((i) => wanted.every(([key, value]) => i.tags[key] === value));
}
