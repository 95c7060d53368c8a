/**
 * `Service.Method` split at its last dot (service names may contain dots, method names do not).
 * @throws TypeError for a pattern without a service or a method part.
 * @internal
 */
export function splitPattern(pattern: string): { service: string; method: string } {
  const dot = pattern.lastIndexOf('.');
  if (dot <= 0) throw new TypeError(`TTStreamClient: expected 'Service.Method', got '${pattern}'`);
  return { service: pattern.slice(0, dot), method: pattern.slice(dot + 1) };
}
